import { KIND_NAMES, isDrillSensor, type SensorKind } from '../../domain/index.ts';
import type { OdContext } from './context.ts';

const HOUR_MS = 3_600_000;

export interface Reliability {
  /** Readings received ÷ readings expected from each sensor's interval, 0–1, over the window. */
  readonly completeness24h: number | null;
  readonly completeness30d: number | null;
  /** Share of the kind's sensors whose latest reading is older than `silentAfterIntervals` intervals (or absent). */
  readonly silentShare: number | null;
  readonly sensors: number;
  readonly silentSensors: number;
  readonly computedAt: number;
  readonly method: string;
}

const METHOD =
  '完整率 = 收到筆數 ÷ 依各感測器回報間隔應收筆數（以每小時行政區統計計算，含遲到資料）；靜默 = 最新資料超過回報間隔數倍 / ' +
  'completeness = readings received ÷ readings expected from each sensor\'s interval (from hourly district aggregates, late readings included: LA3); per-sensor figures at /open-data/v1/quality; silent = latest reading older than a few intervals';

/**
 * Reliability figures per feed (issue 5 §9; ANCHORS: "no peer publishes these"). Counts come
 * from the hourly *district* aggregates, not per-sensor rows: 30 days × 24 h × districts ×
 * fields stays in the tens of thousands of rows for a city of 100k streetlights, where the
 * per-sensor table would be millions. A reading counts once: per (district, hour) we take the
 * largest per-field count, since every reading carries at least one field. Cached (TTL) because
 * catalogue requests are frequent and the figures move slowly.
 */
export class ReliabilityCalculator {
  private cache: { at: number; figures: Record<SensorKind, Reliability> } | undefined;
  private pending: Promise<Record<SensorKind, Reliability>> | undefined;

  constructor(private readonly ctx: OdContext) {}

  async all(): Promise<Record<SensorKind, Reliability>> {
    const now = this.ctx.now();
    if (this.cache && now - this.cache.at < this.ctx.limits.reliabilityTtlSeconds * 1000) return this.cache.figures;
    // One computation at a time: concurrent catalogue requests share it instead of stampeding the store.
    this.pending ??= this.compute(now).finally(() => { this.pending = undefined; });
    const figures = await this.pending;
    this.cache = { at: now, figures };
    return figures;
  }

  private async compute(now: number): Promise<Record<SensorKind, Reliability>> {
    const out = {} as Record<SensorKind, Reliability>;
    for (const kind of KIND_NAMES) out[kind] = await this.forKind(kind, now);
    return out;
  }

  private async forKind(kind: SensorKind, now: number): Promise<Reliability> {
    const sensors = [...this.ctx.registry.sensors()].filter((s) => s.kind === kind && !isDrillSensor(s)); // AL10
    // Per district: expected readings per hour.
    const perHour = new Map<string, number>();
    for (const s of sensors) perHour.set(s.district.code, (perHour.get(s.district.code) ?? 0) + 3600 / s.intervalSeconds);
    const hourEnd = Math.floor(now / HOUR_MS) * HOUR_MS;
    const since30 = hourEnd - 30 * 24 * HOUR_MS;
    const since24 = hourEnd - 24 * HOUR_MS;
    const rows = await this.ctx.store.aggregates({ scope: 'district', period: '1h', kind, from: since30, to: hourEnd, limit: 5_000_000 });
    const best = new Map<string, number>();
    for (const a of rows) {
      const k = `${a.key}\u0000${a.start}`;
      if ((best.get(k) ?? 0) < a.count) best.set(k, a.count);
    }
    let got24 = 0;
    let got30 = 0;
    for (const [k, n] of best) {
      const [district, start] = k.split('\u0000') as [string, string];
      // A district with more readings than expected (e.g. a replay) cannot raise completeness above 1 in that hour.
      const capped = Math.min(n, perHour.get(district) ?? 0);
      got30 += capped;
      if (Number(start) >= since24) got24 += capped;
    }
    const expectedHour = [...perHour.values()].reduce((x, y) => x + y, 0);
    const latest = await this.ctx.store.latest({ kind });
    const lastTs = new Map(latest.map((r) => [r.sensorId, r.ts]));
    let silent = 0;
    for (const s of sensors) {
      const ts = lastTs.get(s.id);
      if (ts === undefined || now - ts > s.intervalSeconds * 1000 * this.ctx.limits.silentAfterIntervals) silent++;
    }
    const ratio = (got: number, hours: number) => (expectedHour > 0 ? round(got / (expectedHour * hours)) : null);
    return {
      completeness24h: ratio(got24, 24),
      completeness30d: ratio(got30, 30 * 24),
      silentShare: sensors.length ? round(silent / sensors.length) : null,
      sensors: sensors.length,
      silentSensors: silent,
      computedAt: now,
      method: METHOD,
    };
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
