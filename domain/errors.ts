import { defineErrors } from './error-catalogue.ts';
import type { RejectReason } from './types.ts';

/**
 * Error catalogue for ingest rejections: one code, one bilingual explanation.
 * Dead letters, metrics labels, the rejection notice on T3 and API errors share these codes.
 */
export const REJECT_CATALOGUE: Readonly<Record<RejectReason, { readonly 'zh-TW': string; readonly en: string }>> = defineErrors('reject', {
  BAD_TOPIC: { 'zh-TW': '主題不符合 sensors/{kind}/{sensorId}/telemetry 格式', en: 'topic does not match sensors/{kind}/{sensorId}/telemetry' },
  BAD_JSON: { 'zh-TW': '內容不是有效的 JSON', en: 'payload is not valid JSON' },
  BAD_SENML: { 'zh-TW': 'SenML 記錄無效', en: 'invalid SenML records' },
  SCHEMA: { 'zh-TW': '欄位不符合此感測器類型的結構', en: 'fields violate the schema of this sensor kind' },
  UNKNOWN_SENSOR: { 'zh-TW': '感測器未登錄', en: 'sensor is not registered' },
  TOPIC_KIND_MISMATCH: { 'zh-TW': '主題中的類型與登錄資料不符', en: 'kind in topic differs from the registry' },
  TIMESTAMP_RANGE: { 'zh-TW': '時間戳記超出可接受範圍', en: 'timestamp outside the accepted range' },
  UNIT: { 'zh-TW': '不支援的單位', en: 'unsupported unit' },
  OVERSIZED: { 'zh-TW': '訊息超過大小上限', en: 'message exceeds the size limit' },
  RATE_LIMITED: { 'zh-TW': '發布頻率超過上限', en: 'publish rate limit exceeded' },
  NOT_AUTHORIZED: { 'zh-TW': '無權發布至此主題', en: 'not authorised to publish on this topic' },
});

export class RejectError extends Error {
  constructor(
    readonly reason: RejectReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}
