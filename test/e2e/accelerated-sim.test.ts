import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QualityFlag, type Aggregate, type Reading } from '../../domain/index.ts';
import { startApp } from '../support/app.ts';

/**
 * Symptom 2, simulator part: `CIVIC_SIM_SPEED=…` with the simulators on. The accelerated
 * clock replays the past day and never runs ahead of real time, so readings carry their
 * device time (no CLOCK_SKEW) and the stored hourly aggregates, re-aggregated from late
 * readings (LA3), equal a recomputation from the stored raw readings.
 */
const HOUR = 3_600_000;
let env: Awaited<ReturnType<typeof startApp>>;
before(async () => {
  env = await startApp({ 'simulate.enabled': true, 'simulate.speed': 1800, 'simulate.malformedRate': 0, 'simulate.silentSensors': 0 });
});
after(async () => {
  await env?.stop();
});

describe('accelerated simulation (LA3)', () => {
  it('produces readings with device times and hourly aggregates that match the raw readings', async () => {
    await new Promise((r) => setTimeout(r, 8_000)); // ≈ 4 simulated hours
    await env.app.simulation?.stop();
    const store = env.app.store;
    // Let the recompute of the replayed hours finish.
    for (let i = 0; i < 100 && env.app.processor.lateWindowsPending > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const since = Date.now() - 26 * HOUR;
    const sensor = [...env.app.registry.sensors()].find((s) => s.kind === 'air-quality')!;
    const raw: Reading[] = await store.readings({ sensorId: sensor.id, from: since, to: Date.now(), limit: 10_000 });
    assert.ok(raw.length >= 60, `readings stored (${raw.length})`);
    assert.equal(raw.filter((r) => r.flags & QualityFlag.CLOCK_SKEW).length, 0, 'no CLOCK_SKEW: device times are not in the future');
    const closedHourEnd = Math.floor((Date.now() - 120_000) / HOUR) * HOUR;
    const hours: Aggregate[] = await store.aggregates({ scope: 'sensor', period: '1h', key: sensor.id, field: 'pm25', from: since, to: closedHourEnd, limit: 1_000 });
    assert.ok(hours.length >= 2, `hourly aggregates exist (${hours.length})`);
    for (const h of hours) {
      const inHour = raw.filter((r) => r.ts >= h.start && r.ts < h.start + HOUR && typeof r.values.pm25 === 'number');
      assert.equal(h.count, inHour.length, `hour ${new Date(h.start).toISOString()} count`);
      const mean = inHour.reduce((n, r) => n + (r.values.pm25 as number), 0) / inHour.length;
      assert.ok(Math.abs(h.mean - mean) < 1e-9, 'mean');
    }
  });
});
