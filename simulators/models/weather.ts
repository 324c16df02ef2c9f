import { hashUnit } from '../rng.ts';
import { HOUR_MS, localHours, seasonal } from './clock.ts';

/**
 * City-wide weather as pure functions of (seed, time). Storms and pollution episodes
 * are drawn per fixed time block from a hash of (seed, block index), so every sensor
 * sees the same storm without shared mutable state, any time can be evaluated in
 * O(1), and a run is reproducible whatever the fleet subset or start time.
 */
export interface Weather {
  /** Rain intensity over the city, mm/h. */
  rainMmPerHour(t: number): number;
  /** Multiplier ≥ 1 on particle background during multi-hour pollution episodes. */
  pollutionFactor(t: number): number;
  /** Air temperature, °C. */
  temperatureC(t: number): number;
}

const RAIN_BLOCK_MS = 6 * HOUR_MS;
const EPISODE_BLOCK_MS = 12 * HOUR_MS;
const SALT_RAIN = 1;
const SALT_EPISODE = 2;

/** Contribution of the storm (if any) drawn for rain block `b` at time t. */
function stormRain(seed: number, b: number, t: number): number {
  const blockStart = b * RAIN_BLOCK_MS;
  // Taoyuan's rain falls mostly May–September (plum rains, afternoon convection,
  // typhoons): a storm in ~14 % of 6-hour blocks then, ~4 % in the dry season.
  const p = 0.09 + 0.05 * seasonal(blockStart, 195);
  if (hashUnit(seed, SALT_RAIN, b, 0) >= p) return 0;
  const start = blockStart + hashUnit(seed, SALT_RAIN, b, 1) * RAIN_BLOCK_MS;
  const duration = HOUR_MS * (1 + 5 * hashUnit(seed, SALT_RAIN, b, 2));
  if (t < start || t >= start + duration) return 0;
  // Peak intensity: heavy-tailed, mostly 10–40 mm/h, occasionally a cloudburst
  // past the 60–80 mm/h storm-drain design intensity of Taiwanese cities.
  const peak = Math.min(130, 6 - 22 * Math.log(1 - hashUnit(seed, SALT_RAIN, b, 3)));
  const s = Math.sin((Math.PI * (t - start)) / duration);
  return peak * s * s;
}

function episodeExcess(seed: number, b: number, t: number): number {
  const blockStart = b * EPISODE_BLOCK_MS;
  // Episodes (stagnant air, transboundary haze on the northeast monsoon) cluster in
  // October–April; ~9 % of half-days in mid-winter, ~2 % in summer.
  const p = 0.055 + 0.035 * seasonal(blockStart, 15);
  if (hashUnit(seed, SALT_EPISODE, b, 0) >= p) return 0;
  const start = blockStart + hashUnit(seed, SALT_EPISODE, b, 1) * EPISODE_BLOCK_MS;
  const duration = HOUR_MS * (6 + 18 * hashUnit(seed, SALT_EPISODE, b, 2));
  if (t < start || t >= start + duration) return 0;
  const magnitude = 0.6 + 1.6 * hashUnit(seed, SALT_EPISODE, b, 3);
  return magnitude * Math.sin((Math.PI * (t - start)) / duration);
}

export function createWeather(seed: number): Weather {
  return {
    rainMmPerHour(t) {
      const b = Math.floor(t / RAIN_BLOCK_MS);
      // A storm lasts at most 6 h, so only this block and the previous one can reach t.
      return stormRain(seed, b, t) + stormRain(seed, b - 1, t);
    },
    pollutionFactor(t) {
      const b = Math.floor(t / EPISODE_BLOCK_MS);
      // Episodes last up to 24 h: blocks b, b−1 and b−2 can overlap t.
      return 1 + episodeExcess(seed, b, t) + episodeExcess(seed, b - 1, t) + episodeExcess(seed, b - 2, t);
    },
    temperatureC(t) {
      // Taoyuan monthly means run from ~15.5 °C (January) to ~29.5 °C (July);
      // the daily cycle peaks mid-afternoon; rain cools the air.
      const rain = this.rainMmPerHour(t);
      const diurnal = 3.2 * Math.cos((2 * Math.PI * (localHours(t) - 14)) / 24);
      return 22.5 + 7 * seasonal(t, 200) + diurnal - Math.min(3, rain * 0.2);
    },
  };
}
