import { toTaipeiIso, type Reading, type Sensor } from '../domain/index.ts';

/**
 * Flood time-to-threshold per river station (FE1–FE4), a pure function of recent levels.
 *
 * FE1 The trend is the Theil–Sen estimate over the window (median of the pairwise slopes),
 *     robust to a spike or a stuck sample; it needs ≥ minSamples readings spanning at
 *     least half the window.
 * FE2 While the trend is rising, the ETA is given to the *next* warning level above the
 *     current level (三級 → 二級 → 一級) and to level 1, in minutes at the current trend.
 * FE3 No ETA once the level is passed (the current level is at or above it) or when the
 *     trend is flat or falling; the rise alert drops its ETA at the same moment (LC2).
 * FE4 Times are the pipeline's readings' event times; output times are ISO 8601 +08:00.
 */
export interface WarningLevels {
  readonly level3: number;
  readonly level2: number;
  readonly level1: number;
}

export interface LevelEta {
  readonly level: 'level3' | 'level2' | 'level1';
  readonly value: number;
  readonly etaMinutes: number;
  readonly at: string;
}

export interface FloodEta {
  readonly sensorId: string;
  readonly currentLevel: number;
  readonly observedAt: string;
  /** m per hour, Theil–Sen over the window; undefined when there are too few samples. */
  readonly trendPerHour?: number;
  readonly rising: boolean;
  readonly next?: LevelEta;
  readonly toLevel1?: LevelEta;
  readonly windowMinutes: number;
  readonly samples: number;
}

export interface FloodEtaOptions {
  readonly windowMs: number;
  readonly minSamples?: number;
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

/** FE1: robust slope in value units per ms (NaN when undefined). */
export function theilSen(points: readonly { readonly ts: number; readonly v: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j]!.ts - points[i]!.ts;
      if (dt !== 0) slopes.push((points[j]!.v - points[i]!.v) / dt);
    }
  }
  return slopes.length === 0 ? Number.NaN : median(slopes);
}

const ORDER = ['level3', 'level2', 'level1'] as const;

/** FE1–FE4 for one station from its level samples (any order). */
export function floodEta(sensorId: string, samples: readonly { readonly ts: number; readonly v: number }[], levels: WarningLevels, o: FloodEtaOptions): FloodEta | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a.ts - b.ts);
  const last = sorted[sorted.length - 1]!;
  const inWindow = sorted.filter((p) => p.ts >= last.ts - o.windowMs);
  const span = last.ts - inWindow[0]!.ts;
  const base = { sensorId, currentLevel: last.v, observedAt: toTaipeiIso(last.ts), windowMinutes: Math.round(o.windowMs / 60_000), samples: inWindow.length };
  if (inWindow.length < (o.minSamples ?? 3) || span < o.windowMs / 2) return { ...base, rising: false };
  const perMs = theilSen(inWindow);
  const trendPerHour = perMs * 3_600_000;
  if (!(perMs > 0)) return { ...base, trendPerHour, rising: false };
  const eta = (level: (typeof ORDER)[number]): LevelEta | undefined => {
    const value = levels[level];
    if (!Number.isFinite(value) || last.v >= value) return undefined; // FE3: passed
    const ms = (value - last.v) / perMs;
    return { level, value, etaMinutes: Math.round(ms / 60_000), at: toTaipeiIso(last.ts + ms) };
  };
  const nextLevel = ORDER.find((l) => last.v < levels[l]);
  const next = nextLevel ? eta(nextLevel) : undefined;
  const toLevel1 = eta('level1');
  return { ...base, trendPerHour, rising: true, ...(next ? { next } : {}), ...(toLevel1 ? { toLevel1 } : {}) };
}

/** The warning levels of a river station (registry params), or undefined for other sensors. */
export function warningLevelsOf(s: Sensor): WarningLevels | undefined {
  if (s.kind !== 'water-level' || s.params.station !== 'river') return undefined;
  const w = s.params.warningLevels as Partial<WarningLevels> | undefined;
  if (!w || typeof w.level3 !== 'number' || typeof w.level2 !== 'number' || typeof w.level1 !== 'number') return undefined;
  return { level3: w.level3, level2: w.level2, level1: w.level1 };
}

/** FE1–FE4 for a station from its stored readings (the caller reads the window from the store). */
export function stationFloodEta(s: Sensor, readings: readonly Reading[], o: FloodEtaOptions): FloodEta | undefined {
  const levels = warningLevelsOf(s);
  if (!levels) return undefined;
  const pts: { ts: number; v: number }[] = [];
  for (const r of readings) {
    const v = r.values.currentLevel;
    if (typeof v === 'number' && Number.isFinite(v)) pts.push({ ts: r.ts, v });
  }
  return floodEta(s.id, pts, levels, o);
}
