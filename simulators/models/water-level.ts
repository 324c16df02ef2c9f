import { clamp, MINUTE_MS, round, seasonal } from './clock.ts';
import { ar1, decay, type SensorModel } from './model.ts';
import type { Weather } from './weather.ts';

/**
 * Water level from rain through a linear reservoir: runoff Q follows rain with time
 * constant tau (dQ/dt = (c·R − Q)/tau), giving the rise–peak–recession hydrograph
 * of a storm. River catchments in Taoyuan are short and steep (hours to peak);
 * a road drain responds within minutes and only floods when inflow beats its capacity.
 */
interface Reservoir {
  /** Runoff, mm/h equivalent. */
  q: number;
  lastT: number;
  /** Local rain relative to the city-wide figure (convective cells are uneven). */
  rainFactor: number;
}

const STEP_MS = 10 * MINUTE_MS;
const WARM_UP_MS = 48 * 60 * MINUTE_MS;

/** Advances the reservoir to t in ≤ 10-minute steps so a long gap still follows the storm shape. */
function advance(r: Reservoir, t: number, tauMs: number, weather: Weather): void {
  let from = r.lastT;
  while (from < t) {
    const to = Math.min(t, from + STEP_MS);
    const rain = weather.rainMmPerHour((from + to) / 2) * r.rainFactor;
    const e = decay(to - from, tauMs);
    r.q = r.q * e + rain * (1 - e);
    from = to;
  }
  r.lastT = t;
}

function warmReservoir(t: number, rainFactor: number, tauMs: number, weather: Weather): Reservoir {
  // Start 48 h earlier so a storm already under way at start time shows in the first reading.
  const r: Reservoir = { q: 0, lastT: t - WARM_UP_MS, rainFactor };
  advance(r, t, tauMs, weather);
  return r;
}

interface WarningLevels {
  level3: number;
  level2: number;
  level1: number;
}

export interface RiverState extends Reservoir {
  base: number;
  span: number;
  /** Runoff (mm/h) that brings the stage to warning level 3. */
  qLevel3: number;
  step: number;
  noise: number;
}

const RIVER_TAU_MS = 5 * 60 * MINUTE_MS;

/**
 * River stage in metres. Normal stage sits three warning steps below level 3; runoff
 * qLevel3 lifts it to level 3, ~1.6 × that to level 2 and ~2.3 × to level 1 (stage
 * grows with runoff to the power 0.6, the usual shape of a rating curve inverted).
 */
export const riverModel: SensorModel<RiverState> = {
  init(sensor, rng, weather, t) {
    const w = sensor.params.warningLevels as WarningLevels;
    const step = Math.max(0.2, w.level2 - w.level3);
    const r = warmReservoir(t, rng.range(0.85, 1.2), RIVER_TAU_MS, weather);
    return { ...r, base: w.level3 - 3 * step, span: 3 * step, qLevel3: rng.range(11, 16), step, noise: 0 };
  },
  next(sensor, t, rng, s, weather) {
    const dt = t - s.lastT;
    advance(s, t, RIVER_TAU_MS, weather);
    s.noise = ar1(s.noise, dt, 30 * MINUTE_MS, 0.01, rng);
    const wetSeasonBase = 0.08 * s.span * (1 + seasonal(t, 195));
    const stage = s.base + wetSeasonBase + s.span * (s.q / s.qLevel3) ** 0.6 + s.noise;
    const w = sensor.params.warningLevels as WarningLevels;
    // Beyond level 1 the river leaves its channel: the gauge cannot read far above it.
    return { currentLevel: round(clamp(stage, s.base - s.step, w.level1 + 2 * s.step), 2) };
  },
};

export interface RoadFloodState extends Reservoir {
  /** Runoff (mm/h) the local drains can carry; above it water stands on the road. */
  drainCapacity: number;
  /** cm of standing water per mm/h of excess runoff. */
  depthPerExcess: number;
}

const ROAD_TAU_MS = 20 * MINUTE_MS;

/** Road flood depth in cm: 0 almost always; during a heavy storm it rises, peaks and drains away. */
export const roadFloodModel: SensorModel<RoadFloodState> = {
  init(_sensor, rng, weather, t) {
    const r = warmReservoir(t, rng.range(0.8, 1.25), ROAD_TAU_MS, weather);
    // Low-lying spots are monitored because they flood below the 60–80 mm/h design rain.
    return { ...r, drainCapacity: rng.range(26, 38), depthPerExcess: rng.range(0.5, 0.9) };
  },
  next(_sensor, t, _rng, s, weather) {
    advance(s, t, ROAD_TAU_MS, weather);
    const depth = Math.max(0, (s.q - s.drainCapacity) * s.depthPerExcess);
    return { floodDepth: round(Math.min(depth, 150), 1) };
  },
};
