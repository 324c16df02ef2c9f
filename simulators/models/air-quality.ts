import type { Sensor } from '../../domain/index.ts';
import { bell, clamp, HOUR_MS, isWeekend, localHours, MINUTE_MS, round, seasonal } from './clock.ts';
import { ar1, decay, type SensorModel, type Values } from './model.ts';

/**
 * Air-quality micro-sensor. PM2.5 = regional background × boundary-layer cycle ×
 * season × pollution episode + local traffic + industrial plumes, washed out by rain,
 * with log-normal correlated noise. Magnitudes follow Taoyuan's MOENV stations
 * (annual PM2.5 mean in the mid-teens µg/m³, winter higher than summer).
 * The site type comes from the sensor's tags: industrial, roadside, school, background.
 */
type Site = 'industrial' | 'roadside' | 'school' | 'background';

export interface AirState {
  site: Site;
  /** µg/m³ added at the height of rush hour. */
  trafficWeight: number;
  background: number;
  pm10Ratio: number;
  tempOffset: number;
  noise: number;
  plume: number;
  lastT: number;
}

const TRAFFIC_WEIGHT: Readonly<Record<Site, number>> = { roadside: 12, school: 7, industrial: 6, background: 1.5 };

function siteOf(sensor: Sensor): Site {
  for (const s of ['industrial', 'roadside', 'school', 'background'] as const) if (sensor.tags.includes(s)) return s;
  return 'roadside';
}

/** Traffic intensity 0–1.1: weekday peaks 07–09 and 17–19, flatter weekends. */
export function trafficShape(t: number): number {
  const h = localHours(t);
  if (isWeekend(t)) return 0.06 + 0.45 * bell(h, 11.5, 3) + 0.5 * bell(h, 18, 2);
  return 0.06 + 0.95 * bell(h, 8, 0.9) + 0.85 * bell(h, 18, 1.1) + 0.3 * bell(h, 13, 2.5);
}

/** Night inversions trap particles; afternoon mixing dilutes them (max ~05:00, min ~17:00). */
function boundaryLayer(h: number): number {
  return 1 + 0.22 * Math.cos((2 * Math.PI * (h - 5)) / 24);
}

export const airQualityModel: SensorModel<AirState> = {
  init(sensor, rng) {
    const site = siteOf(sensor);
    return {
      site,
      trafficWeight: TRAFFIC_WEIGHT[site] * rng.range(0.8, 1.2),
      background: rng.range(10, 15) * (site === 'background' ? 0.8 : 1),
      pm10Ratio: rng.range(1.5, 2.0),
      tempOffset: rng.range(-0.6, 0.6),
      noise: 0,
      plume: 0,
      lastT: Number.NaN,
    };
  },

  next(sensor, t, rng, s, weather) {
    const dt = Number.isNaN(s.lastT) ? sensor.intervalSeconds * 1000 : t - s.lastT;
    s.lastT = t;
    s.noise = ar1(s.noise, dt, 45 * MINUTE_MS, 0.16, rng);
    if (s.site === 'industrial') {
      // Stack or fugitive plumes reach the sensor a few times a day when the wind turns.
      s.plume *= decay(dt, 25 * MINUTE_MS);
      if (rng.chance(dt / (6 * HOUR_MS))) s.plume += rng.range(8, 45);
    }
    const h = localHours(t);
    const traffic = trafficShape(t);
    const washout = 1 / (1 + weather.rainMmPerHour(t) / 4);
    const winter = 1 + 0.3 * seasonal(t, 15);
    const regional = s.background * boundaryLayer(h) * winter * weather.pollutionFactor(t);
    const noise = Math.exp(s.noise);
    const pm25 = clamp((regional + s.trafficWeight * traffic + s.plume) * washout * noise, 0.5, 480);
    const roadDust = 0.8 * s.trafficWeight * traffic * washout;
    const pm10 = clamp(pm25 * s.pm10Ratio + roadDust, pm25, 950);
    const trafficShare = s.trafficWeight / 12;
    const no2 = clamp((4 + 3 * boundaryLayer(h) + 26 * trafficShare * traffic) * Math.sqrt(noise), 0.5, 300);
    // Ozone is photochemical (afternoon peak, spring/autumn high) and titrated by NO near roads.
    const sun = Math.max(0, Math.sin((Math.PI * (h - 6)) / 12)) ** 1.5;
    const o3 = clamp(16 + 45 * sun * (1 + 0.2 * seasonal(t, 110)) - 0.35 * no2 + 3 * s.noise, 1, 250);
    const co = clamp(0.22 + 0.55 * trafficShare * traffic * noise, 0.05, 20);
    const so2 = clamp((1.2 + (s.site === 'industrial' ? 3 + 0.25 * s.plume : 0)) * Math.sqrt(noise), 0.1, 300);
    const temperature = weather.temperatureC(t) + s.tempOffset + 0.3 * s.noise;
    const dailyMean = 22.5 + 7 * seasonal(t, 200);
    const wet = weather.rainMmPerHour(t) > 0.5 ? 18 : 0;
    const relativeHumidity = clamp(76 - 2.4 * (temperature - dailyMean) + wet + 4 * s.noise, 25, 100);

    const all: Values = {
      pm25: round(pm25, 1),
      pm10: round(pm10, 1),
      no2: round(no2, 1),
      o3: round(o3, 1),
      co: round(co, 2),
      so2: round(so2, 1),
    };
    const values: Values = {};
    for (const p of sensor.params.pollutants as readonly string[]) {
      const v = all[p];
      if (v !== undefined) values[p] = v;
    }
    values.temperature = round(temperature, 1);
    values.relativeHumidity = round(relativeHumidity, 1);
    return values;
  },
};
