import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSensorSource, createWeather, jsonPayload, Rng, senmlPayload } from '../../simulators/index.ts';
import { decodeSenml, demoRegistry, payloadProblems, valueProblems } from './validate.ts';

const WEEK_MS = 7 * 86_400_000;
const registry = demoRegistry();
const sensors = [...registry.sensors()];

/** Every reading of `sensor` over a week from `start`, at its reporting interval. */
function week(sensorId: string, seed: number, start: number): Array<{ t: number; values: Record<string, number | string> }> {
  const sensor = registry.sensor(sensorId)!;
  const source = createSensorSource(sensor, seed);
  const out = [];
  for (let t = start; t < start + WEEK_MS; t += sensor.intervalSeconds * 1000) out.push({ t, values: source.next(t) });
  return out;
}

describe('behaviour models', () => {
  // A wet-season week and a winter week: storms and pollution episodes both occur.
  for (const start of [Date.parse('2025-07-07T00:00:00+08:00'), Date.parse('2025-01-06T00:00:00+08:00')]) {
    it(`keep every payload of every demo sensor within its kind's schema over a week (${new Date(start).toISOString().slice(0, 7)})`, () => {
      let checked = 0;
      for (const sensor of sensors) {
        for (const { t, values } of week(sensor.id, 11, start)) {
          const problems = payloadProblems(sensor, JSON.parse(jsonPayload(t, values)));
          assert.deepEqual(problems, [], `${sensor.id} at ${new Date(t).toISOString()}: ${problems.join('; ')}`);
          checked++;
        }
      }
      assert.ok(checked > 100_000, `checked ${checked} readings`);
    });
  }

  it('gives identical readings for the same seed and different ones for another seed', () => {
    const start = Date.parse('2025-03-03T00:00:00+08:00');
    for (const id of ['aq-zhongli-ind-01', 'wl-nankan-luzhu', 'sl-taoyuan-zhongzheng-01', 'pk-hsr-north']) {
      assert.deepEqual(week(id, 5, start), week(id, 5, start), id);
      assert.notDeepEqual(week(id, 5, start), week(id, 6, start), id);
    }
  });

  it('reports only the pollutants a sensor is registered for, with PM10 never below PM2.5', () => {
    for (const sensor of sensors.filter((s) => s.kind === 'air-quality')) {
      const pollutants = new Set(sensor.params.pollutants as string[]);
      for (const { values } of week(sensor.id, 3, Date.parse('2025-11-10T00:00:00+08:00'))) {
        for (const p of ['pm25', 'pm10', 'no2', 'o3', 'co', 'so2']) assert.equal(p in values, pollutants.has(p), `${sensor.id} ${p}`);
        if ('pm10' in values && 'pm25' in values) assert.ok((values.pm10 as number) >= (values.pm25 as number));
      }
    }
  });

  it('keeps parking counts consistent with capacity', () => {
    for (const sensor of sensors.filter((s) => s.kind === 'parking')) {
      const capacity = sensor.params.capacity as number;
      for (const { values } of week(sensor.id, 9, Date.parse('2025-05-05T00:00:00+08:00'))) {
        const a = values.availableSpotNumber as number;
        assert.ok(Number.isInteger(a) && a >= 0 && a <= capacity);
        if ('occupiedSpotNumber' in values) assert.equal((values.occupiedSpotNumber as number) + a, capacity);
      }
    }
  });

  it('encodes SenML packs that decode back to valid canonical values', () => {
    const rng = new Rng(2, 'senml-test');
    const weather = createWeather(2);
    let converted = 0;
    for (const sensor of sensors.filter((s) => s.kind === 'air-quality' || s.kind === 'water-level')) {
      const source = createSensorSource(sensor, 2, weather);
      for (let i = 0; i < 50; i++) {
        const t = Date.parse('2025-06-01T00:00:00+08:00') + i * sensor.intervalSeconds * 1000;
        const values = source.next(t);
        const text = senmlPayload(sensor.kind, sensor.id, t, values, rng, 0.5);
        const pack = JSON.parse(text) as Array<{ u?: string }>;
        const decoded = decodeSenml(sensor, pack);
        assert.equal(decoded.t, t);
        assert.deepEqual(valueProblems(sensor, decoded.values), []);
        for (const [k, v] of Object.entries(values)) assert.ok(Math.abs((decoded.values[k] as number) - (v as number)) < 1e-6, `${k}: ${decoded.values[k]} vs ${v}`);
        if (pack.some((r) => r.u === 'mg/m3' || r.u === 'cm' || r.u === 'mm' || r.u === 'ppm' || r.u === 'K')) converted++;
      }
    }
    assert.ok(converted > 100, `only ${converted} packs used a unit needing conversion`);
  });
});
