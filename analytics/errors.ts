import { defineErrors, type CodeOf, type Reading } from '../domain/index.ts';

/**
 * Analytics error catalogue (STYLE habit 4). These never stop a stream: the operators
 * catch them per reading and hand them to `onError` (habit 9), where the composition
 * root counts them (civic_analytics_errors_total) and logs them.
 */
export const ANALYTICS_ERRORS = defineErrors('analytics', {
  UNKNOWN_KIND: { 'zh-TW': '未知的感測器類型', en: 'unknown sensor kind' },
  KIND_CHANGED: { 'zh-TW': '感測器類型與先前的讀數不同', en: 'sensor kind differs from its earlier readings' },
  BAD_TIMESTAMP: { 'zh-TW': '讀數時間不是有限數值', en: 'reading time is not a finite number' },
  BAD_OPTIONS: { 'zh-TW': '分析設定無效', en: 'invalid analytics options' },
  UNKNOWN_SENSOR: { 'zh-TW': '感測器未登錄，無法評估警報', en: 'sensor not in the registry; alerts not evaluated' },
  AGGREGATE_FAILED: { 'zh-TW': '讀數彙總失敗', en: 'aggregating a reading failed' },
  RULE_FAILED: { 'zh-TW': '警報規則執行失敗', en: 'alert rule failed' },
  TICK_FAILED: { 'zh-TW': '時鐘週期處理失敗', en: 'clock tick work failed' },
} as const);
export type AnalyticsErrorCode = CodeOf<typeof ANALYTICS_ERRORS>;

export class AnalyticsError extends Error {
  constructor(
    readonly code: AnalyticsErrorCode,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${ANALYTICS_ERRORS[code].en}: ${detail}`, options);
    this.name = 'AnalyticsError';
  }
}

/**
 * Side channel for per-reading failures. `reading` is absent for tick-time failures.
 * Errors are always AnalyticsError, wrapping whatever was thrown as `cause`.
 */
export type AnalyticsErrorHandler = (error: AnalyticsError, reading?: Reading) => void;

/** Wraps anything thrown by a rule or an accumulator so the handler sees one type with a code. */
export function asAnalyticsError(err: unknown, fallback: AnalyticsErrorCode): AnalyticsError {
  if (err instanceof AnalyticsError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new AnalyticsError(fallback, detail, { cause: err });
}
