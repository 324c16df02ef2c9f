import { kindOf, type Sensor } from '../../domain/index.ts';
import { Rng } from '../rng.ts';
import { airQualityModel } from './air-quality.ts';
import { genericModel } from './generic.ts';
import type { SensorModel, Values } from './model.ts';
import { parkingModel } from './parking.ts';
import { streetlightModel } from './streetlight.ts';
import { riverModel, roadFloodModel } from './water-level.ts';
import { createWeather, type Weather } from './weather.ts';

export { createWeather, type Weather } from './weather.ts';
export type { SensorModel, Values } from './model.ts';
export { trafficShape } from './air-quality.ts';
export { targetOccupancy } from './parking.ts';

/** The models a kind description can name in `simulator.model`. */
const MODELS: Readonly<Record<string, SensorModel<any>>> = {
  'air-quality': airQualityModel,
  streetlight: streetlightModel,
  parking: parkingModel,
  river: riverModel,
  'road-flood': roadFloodModel,
};

/** The behaviour model for a sensor, as its kind description names it (the generic model when it names none). */
export function modelFor(sensor: Sensor): SensorModel<any> {
  const ref = kindOf(sensor.kind).simulator?.model;
  if (ref === undefined) return genericModel;
  const name = typeof ref === 'function' ? ref(sensor) : ref;
  const model = MODELS[name];
  if (model === undefined) throw new Error(`kind "${sensor.kind}" names simulator model "${name}"; known: ${Object.keys(MODELS).join(', ')}`);
  return model;
}

/** A sensor's reading source: its model, its own seeded stream, its state. */
export interface SensorSource {
  readonly sensor: Sensor;
  /** Values at simulated time t; call with non-decreasing t. */
  next(t: number): Values;
}

/**
 * Binds a sensor to its model with a stream keyed by (seed, sensor id), so the same
 * sensor reports the same values whatever else runs. State is created lazily at the
 * first reading so it warms up from the weather before that time.
 */
export function createSensorSource(sensor: Sensor, seed: number, weather: Weather = createWeather(seed)): SensorSource {
  const model = modelFor(sensor);
  const rng = new Rng(seed, `model:${sensor.id}`);
  let state: unknown;
  let started = false;
  return {
    sensor,
    next(t) {
      if (!started) {
        state = model.init(sensor, rng, weather, t);
        started = true;
      }
      return model.next(sensor, t, rng, state, weather);
    },
  };
}
