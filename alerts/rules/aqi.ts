import type { AqiRule, Evaluator, Verdict } from '../types.ts';
import { bandOf, subIndex, type AqiTable, type Pollutant } from '../aqi/table.ts';

/**
 * Taiwan AQI from PM2.5 / PM10 (the particle sub-indices; gases use other averaging
 * periods and are not computed here).
 *
 * AQ3 Readings fill hourly buckets (UTC hours = Taipei hours, no DST). An hour is valid
 *     with ≥ minCoverage of the readings the sensor's interval promises (75 %).
 * AQ4 Moving concentration = longWeight × mean of the valid hours among the last
 *     longHours + shortWeight × mean of the valid hours among the last shortHours
 *     (0.5 × 12 h + 0.5 × 4 h), only when each has its minimum of valid hours (6 / 2).
 * AQ5 The alert follows the AQI band: opens at minAqi (orange = 101 by default) with the
 *     band's severity (orange advisory, red warning, purple/maroon critical); severity
 *     rises and falls with the band; clears below minAqi.
 * 12 buckets per pollutant per sensor: constant memory, O(12) per reading.
 */
const HOUR = 3_600_000;
const POLLUTANTS: readonly Pollutant[] = ['pm25', 'pm10'];

interface Buckets {
  readonly hour: Float64Array;
  readonly sum: Float64Array;
  readonly n: Uint32Array;
}

export interface AqiState {
  readonly buckets: Record<Pollutant, Buckets>;
  readonly minPerHour: number;
  aqi: number;
}

export function createAqiEvaluator(table: AqiTable): Evaluator<AqiRule, AqiState> {
  const size = Math.max(table.averaging.pm25.longHours, table.averaging.pm10.longHours);
  const mk = (): Buckets => ({ hour: new Float64Array(size).fill(-1), sum: new Float64Array(size), n: new Uint32Array(size) });

  function moving(b: Buckets, p: Pollutant, h: number, minPerHour: number): number {
    const a = table.averaging[p];
    let sL = 0, nL = 0, sS = 0, nS = 0;
    for (let i = 0; i < size; i++) {
      const age = h - b.hour[i]!;
      if (b.hour[i]! < 0 || age < 0 || age >= a.longHours || b.n[i]! < minPerHour) continue;
      const mean = b.sum[i]! / b.n[i]!;
      sL += mean;
      nL++;
      if (age < a.shortHours) {
        sS += mean;
        nS++;
      }
    }
    if (nL < a.minValidLong || nS < a.minValidShort) return Number.NaN;
    return a.longWeight * (sL / nL) + a.shortWeight * (sS / nS);
  }

  return {
    init(_rule, sensor) {
      const expected = 3600 / Math.max(1, sensor.intervalSeconds);
      return { buckets: { pm25: mk(), pm10: mk() }, minPerHour: Math.max(1, Math.ceil(expected * table.validHour.minCoverage)), aqi: Number.NaN };
    },
    onReading(st, r, rule): Verdict | undefined {
      const h = Math.floor(r.ts / HOUR);
      let seen = false;
      for (const p of POLLUTANTS) {
        const v = r.values[p];
        if (typeof v !== 'number') continue;
        seen = true;
        const b = st.buckets[p];
        const i = h % size;
        if (b.hour[i] !== h) {
          b.hour[i] = h;
          b.sum[i] = 0;
          b.n[i] = 0;
        }
        b.sum[i]! += v;
        b.n[i]!++;
      }
      if (!seen) return undefined;
      let aqi = Number.NaN;
      let field = 'aqi';
      for (const p of POLLUTANTS) {
        const c = moving(st.buckets[p], p, h, st.minPerHour);
        if (Number.isNaN(c)) continue;
        const idx = subIndex(table, p, c);
        if (!(idx <= aqi)) {
          aqi = idx;
          field = p;
        }
      }
      if (Number.isNaN(aqi)) return undefined; // not enough valid hours yet
      st.aqi = aqi;
      const band = bandOf(table, aqi);
      const on = aqi >= rule.minAqi && band.severity !== undefined;
      return {
        severity: on ? band.severity! : null,
        field: `aqi:${field}`,
        value: aqi,
        threshold: on ? band.min : rule.minAqi,
        label: on ? { 'zh-TW': `空氣品質指標 ${band.name['zh-TW']}（${band.color}）`, en: `AQI ${band.name.en} (${band.color})` } : rule.label,
      };
    },
  };
}
