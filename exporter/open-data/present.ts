import { KINDS, kindOf, flagNames, toTaipeiIso, type Aggregate, type FieldValue, type Reading, type Sensor } from '../../domain/index.ts';
import type { OdContext } from './context.ts';

/**
 * Public views, built field by field from allow-lists (never a spread of a domain object):
 * a Sensor carries secretHash, gateway, params and free-form tags, none of which is published.
 * test/open-data/deidentify.test.ts scans every format for the fields that must not appear.
 */

export function publicSensor(ctx: OdContext, s: Sensor) {
  const loc = ctx.privacy.location(s);
  return {
    id: s.id,
    kind: s.kind,
    name: { 'zh-TW': s.name['zh-TW'], en: s.name.en },
    district: { code: s.district.code, name: { 'zh-TW': s.district.name['zh-TW'], en: s.district.name.en } },
    location: { lat: loc.lat, lon: loc.lon },
    locationCoarsened: ctx.privacy.isCoarsened(s),
    intervalSeconds: s.intervalSeconds,
  };
}

export type PublicSensor = ReturnType<typeof publicSensor>;

/** One value per row in feeds: value, unit, and the reading's quality flags beside it (issue 5 §2). */
export function publicReading(r: Reading) {
  return { time: toTaipeiIso(r.ts), epochMs: r.ts, values: r.values as Record<string, FieldValue>, flags: flagNames(r.flags).map(flagLabel) };
}

/**
 * Public quality flag names. The issue names six (ok, out-of-range, spike, stuck, late,
 * estimated); the pipeline's two clock flags are published as `clock-skew` / `no-device-time`.
 * An empty list means ok.
 */
const FLAG_LABELS: Record<string, string> = {
  CLOCK_SKEW: 'clock-skew',
  NO_DEVICE_TIME: 'no-device-time',
  LATE: 'late',
  OUT_OF_RANGE: 'out-of-range',
  SPIKE: 'spike',
  STUCK: 'stuck',
  ESTIMATED: 'estimated',
  CORRECTED: 'corrected',
};
export function flagLabel(name: string): string {
  return FLAG_LABELS[name] ?? name.toLowerCase();
}
export function qualityOf(flags: number): string {
  const names = flagNames(flags).map(flagLabel);
  return names.length ? names.join('|') : 'ok';
}

/** The kinds' SPIKE / STUCK parameters in words (QF1, QF2), so the catalogue never drifts from them. */
function paramList(what: 'spike' | 'stuck'): string {
  const parts: string[] = [];
  for (const d of Object.values(KINDS)) {
    for (const f of d.fields) {
      if (what === 'spike' && f.spike !== undefined) parts.push(`${d.kind} ${f.name} ${f.spike} ${f.unit ?? ''}/min`);
      if (what === 'stuck' && f.stuck !== undefined) parts.push(`${d.kind} ${f.name} ${f.stuck.count}${f.stuck.ignore !== undefined ? ` (${f.stuck.ignore} ${f.unit ?? ''} may repeat)` : ''}`);
    }
  }
  return parts.join('; ');
}

export const QUALITY_FLAG_DOCS = [
  { flag: 'ok', 'zh-TW': '無異常', en: 'no issue found' },
  { flag: 'out-of-range', 'zh-TW': '數值超出合理範圍（仍保留）', en: 'outside the plausible range of the kind (kept)' },
  {
    flag: 'spike',
    'zh-TW': `與該感測器前一筆非突變讀值相比，變化超過每分鐘上限（間隔不足一分鐘以一分鐘計）；仍儲存並納入統計。上限：${paramList('spike')}`,
    en: `changed by more than the field's per-minute limit since the sensor's previous non-spike reading (a gap under a minute counts as one); stored and aggregated. Limits: ${paramList('spike')}`,
  },
  {
    flag: 'stuck',
    'zh-TW': `連續相同讀值達設定筆數（含本筆）；仍儲存並納入統計。筆數：${paramList('stuck')}`,
    en: `the same value in this many consecutive readings of the sensor (this one included); stored and aggregated. Counts: ${paramList('stuck')}`,
  },
  { flag: 'late', 'zh-TW': '延遲到達，未納入即時統計', en: 'arrived late: stored but not in streaming aggregates' },
  { flag: 'estimated', 'zh-TW': '由系統推算', en: 'derived by the pipeline (e.g. occupied = total − available)' },
  { flag: 'clock-skew', 'zh-TW': '裝置時間偏差過大，改用接收時間', en: 'device clock outside the accepted skew; receive time used' },
  { flag: 'no-device-time', 'zh-TW': '未附時間，使用接收時間', en: 'no device time in the payload; receive time used' },
] as const;

export function unitOf(kind: Sensor['kind'], field: string): string | undefined {
  return kindOf(kind).fields.find((f) => f.name === field)?.unit;
}

export function publicAggregate(a: Aggregate | DayAggregate) {
  const unit = unitOf(a.kind, a.field);
  return {
    sensorId: a.key,
    period: a.period,
    start: toTaipeiIso(a.start),
    startMs: a.start,
    field: a.field,
    ...(unit !== undefined ? { unit } : {}),
    count: a.count,
    // LA6: a day not yet ended, or a window emitted while open, is partial.
    complete: a.partial !== true,
    mean: a.mean,
    min: a.min,
    max: a.max,
    last: a.last,
  };
}

/** A 1-day window computed at query time from hourly aggregates (see rollup.ts). */
export interface DayAggregate extends Omit<Aggregate, 'period'> {
  readonly period: '1d';
}
