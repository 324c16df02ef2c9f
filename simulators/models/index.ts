import type { Sensor, SensorKind } from '../../domain/index.ts';
import { Rng } from '../rng.ts';
import { airQualityModel } from './air-quality.ts';
import type { SensorModel, Values } from './model.ts';
import { parkingModel } from './parking.ts';
import { streetlightModel } from './streetlight.ts';
import { riverModel, roadFloodModel } from './water-level.ts';
import { createWeather, type Weather } from './weather.ts';

export { createWeather, type Weather } from './weather.ts';
export type { SensorModel, Values } from './model.ts';
export { trafficShape } from './air-quality.ts';
export { targetOccupancy } from './parking.ts';

const BY_KIND: Readonly<Record<Exclude<SensorKind, 'water-level'>, SensorModel<any>>> = {
  'air-quality': airQualityModel,
  streetlight: streetlightModel,
  parking: parkingModel,
};

/** The behaviour model for a sensor; water-level splits by station type. */
export function modelFor(sensor: Sensor): SensorModel<any> {
  if (sensor.kind === 'water-level') return sensor.params.station === 'river' ? riverModel : roadFloodModel;
  return BY_KIND[sensor.kind];
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
