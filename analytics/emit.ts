import type { Aggregate, AggregatePeriod, SensorKind } from '../domain/index.ts';
import { COUNT, LAST, MAX, MIN, STATS_PER_FIELD, SUM, mergeStats, resetStats, type KindLayout } from './stats.ts';

/** Appends one Aggregate per field that saw at least one value. */
function emitBlock(
  out: Aggregate[],
  scope: Aggregate['scope'],
  key: string,
  kind: SensorKind,
  district: string,
  period: AggregatePeriod,
  start: number,
  layout: KindLayout,
  buf: Float64Array,
  off: number,
): void {
  const fields = layout.fields;
  for (let f = 0; f < fields.length; f++) {
    const o = off + f * STATS_PER_FIELD;
    const count = buf[o + COUNT]!;
    if (count === 0) continue;
    out.push({
      scope,
      key,
      kind,
      district,
      period,
      start,
      field: fields[f]!,
      count,
      mean: buf[o + SUM]! / count,
      min: buf[o + MIN]!,
      max: buf[o + MAX]!,
      last: buf[o + LAST]!,
    });
  }
}

export function emitSensor(
  out: Aggregate[],
  id: string,
  layout: KindLayout,
  district: string,
  period: AggregatePeriod,
  start: number,
  buf: Float64Array,
  off: number,
): void {
  emitBlock(out, 'sensor', id, layout.kind, district, period, start, layout, buf, off);
}

interface DistrictAcc {
  readonly district: string;
  readonly layout: KindLayout;
  readonly stats: Float64Array;
}

/**
 * District aggregates are built at window close by merging the member sensors' closed
 * blocks, never per reading: mean = Σ sums / Σ counts over every reading of the
 * district's sensors (not a mean of sensor means), min/max over all, last = latest
 * event time across sensors. One merger per window close; it allocates one block per
 * (district, kind), which is per window, not per reading.
 */
export class DistrictMerger {
  private readonly accs = new Map<string, DistrictAcc>();

  add(district: string, layout: KindLayout, buf: Float64Array, off: number): void {
    // Kinds are kept apart: their fields differ, and a district mean of mixed kinds means nothing.
    const key = `${district}\u0000${layout.kind}`;
    let acc = this.accs.get(key);
    if (acc === undefined) {
      const stats = new Float64Array(layout.width);
      resetStats(stats, 0, layout.width);
      acc = { district, layout, stats };
      this.accs.set(key, acc);
    }
    mergeStats(acc.stats, 0, buf, off, layout.width);
  }

  emit(out: Aggregate[], period: AggregatePeriod, start: number): void {
    for (const acc of this.accs.values()) {
      emitBlock(out, 'district', acc.district, acc.layout.kind, acc.district, period, start, acc.layout, acc.stats, 0);
    }
  }
}

/** A district block computed elsewhere (late-data recompute, LA3). */
export function emitDistrictBlock(out: Aggregate[], district: string, layout: KindLayout, period: AggregatePeriod, start: number, buf: Float64Array, off: number): void {
  emitBlock(out, 'district', district, layout.kind, district, period, start, layout, buf, off);
}
