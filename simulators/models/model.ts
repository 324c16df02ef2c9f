import type { FieldValue, Sensor } from '../../domain/index.ts';
import type { Rng } from '../rng.ts';
import type { Weather } from './weather.ts';

/** Field values of one reading, named as the kind's FieldSpecs (FIWARE names), canonical units. */
export type Values = Record<string, FieldValue>;

/**
 * A sensor behaviour model. `next` depends only on (sensor, simulated time, the
 * sensor's own seeded stream, its state, city weather): replaying the same calls
 * with the same seed gives the same readings. `state` is mutated in place so a
 * reading costs no allocation beyond its values object.
 */
export interface SensorModel<S = unknown> {
  /** Per-sensor state at time t (may warm up from the weather before t). */
  init(sensor: Sensor, rng: Rng, weather: Weather, t: number): S;
  next(sensor: Sensor, t: number, rng: Rng, state: S, weather: Weather): Values;
}

/** Decay factor of a first-order process over dt with time constant tau. */
export function decay(dtMs: number, tauMs: number): number {
  return Math.exp(-Math.max(0, dtMs) / tauMs);
}

/**
 * One step of a stationary AR(1) process with standard deviation sigma:
 * correlated noise whose character does not depend on the reporting interval.
 */
export function ar1(prev: number, dtMs: number, tauMs: number, sigma: number, rng: Rng): number {
  const phi = decay(dtMs, tauMs);
  return phi * prev + Math.sqrt(1 - phi * phi) * sigma * rng.normal();
}
