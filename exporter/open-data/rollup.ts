import { TAIPEI_OFFSET_MS, type Aggregate } from '../../domain/index.ts';
import type { DayAggregate } from './present.ts';

const DAY_MS = 86_400_000;

type Mutable = { -readonly [K in keyof DayAggregate]: DayAggregate[K] } & { sum: number; lastStart: number };

/** Start of the Taipei calendar day holding `ms` (a public "day" is a local day, 00:00+08:00). */
export function taipeiDayStart(ms: number): number {
  return Math.floor((ms + TAIPEI_OFFSET_MS) / DAY_MS) * DAY_MS - TAIPEI_OFFSET_MS;
}

/**
 * 1-day aggregates are computed at query time from the stored 1-hour aggregates: the store
 * keeps 1m and 1h only (storage/port.ts AggregatePeriod), and 24 hourly rows per sensor-field
 * are cheap to fold. The mean is count-weighted, so it equals the mean of the raw readings;
 * `last` is the last hour's last value. Input order does not matter.
 */
export function rollupDays(hours: readonly Aggregate[]): DayAggregate[] {
  const byKey = new Map<string, { a: Mutable }>();
  for (const h of hours) {
    if (h.period !== '1h' || h.count <= 0) continue;
    const day = taipeiDayStart(h.start);
    const k = `${h.scope}\u0000${h.key}\u0000${h.field}\u0000${day}`;
    const cur = byKey.get(k);
    if (!cur) {
      byKey.set(k, { a: { scope: h.scope, key: h.key, kind: h.kind, district: h.district, period: '1d', start: day, field: h.field, count: h.count, mean: h.mean, min: h.min, max: h.max, last: h.last, sum: h.mean * h.count, lastStart: h.start, ...(h.partial ? { partial: true } : {}) } });
      continue;
    }
    const a = cur.a;
    a.count += h.count;
    a.sum += h.mean * h.count;
    if (h.min < a.min) a.min = h.min;
    if (h.max > a.max) a.max = h.max;
    if (h.partial) a.partial = true;
    if (h.start > a.lastStart) {
      a.lastStart = h.start;
      a.last = h.last;
    }
  }
  const out: DayAggregate[] = [];
  for (const { a } of byKey.values()) {
    const { sum, lastStart: _ls, ...rest } = a;
    out.push({ ...rest, mean: sum / a.count });
  }
  out.sort((x, y) => x.start - y.start || cmp(x.key, y.key) || cmp(x.field, y.field));
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
