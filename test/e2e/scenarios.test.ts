import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { SCENARIOS, buildScenario } from '../../alerts/index.ts';
import { playScenario } from '../../simulators/index.ts';
import { eventually, startApp } from '../support/app.ts';

function startOf(sc: ReturnType<typeof buildScenario>): number {
  const now = Date.now();
  let startMs = sc.startLocalHour === undefined ? now - sc.durationMs : now - (((now + 8 * 3_600_000) % 86_400_000) - sc.startLocalHour * 3_600_000);
  while (startMs + sc.durationMs > now) startMs -= 86_400_000;
  return startMs;
}

/** Issue 3 §9: each scripted scenario, played over real MQTT, opens the alerts it is meant to. */
describe('alert scenarios played over MQTT through the whole pipeline', () => {
  let env: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    // Scenarios compress hours into milliseconds: lift the per-sensor rate limit (B7) for this test only.
    env = await startApp({ 'mqtt.sensorRatePerSecond': 100_000, 'mqtt.sensorBurst': 100_000 });
  });
  after(async () => env.stop());

  // silent-sensor is measured against the pipeline's own clock from its start (≥ 3 reporting
  // intervals of wall time), so it is tested on virtual time in test/alerts instead.
  for (const name of SCENARIOS.filter((n) => n !== 'silent-sensor')) {
    it(`${name} opens ${name === 'flood' ? 'river, rise and road flood alerts' : 'its expected alerts'}`, { timeout: 60_000 }, async () => {
      const sc = buildScenario(name, [...env.app.registry.sensors()]);
      const startMs = startOf(sc);
      await playScenario({ mqttUrl: env.mqttUrl, registry: env.app.registry, credentials: env.credentials, readings: sc.readings, startMs, speed: 1e6, logger: pino({ level: 'silent' }) });
      const seen = await eventually(async () => {
        const body = await env.json<{ items: Array<{ ruleId: string }> }>('/api/v1/alerts?state=open,acknowledged,resolved&limit=1000');
        const ids = new Set(body.items.map((a) => a.ruleId));
        return sc.expect.every((r) => ids.has(r)) && ids;
      }, `alerts ${sc.expect.join(', ')}`, 20_000);
      for (const rule of sc.expect) assert.ok(seen.has(rule), rule);
    });
  }

  it('AL10/CP3: the drills\' alerts are Exercise on the staff list (public rules among them) and never in the public Atom feed', async () => {
    type Item = { ruleId: string; subject: string; public: boolean; capStatus: string };
    const items = await eventually(async () => {
      const body = await env.json<{ items: Item[] }>('/api/v1/alerts?state=open,acknowledged,resolved&limit=1000');
      return body.items.some((a) => a.ruleId === 'water.road.district-flood') && body.items;
    }, 'the flood drill\'s district composite');
    const drills = items.filter((a) => a.subject.startsWith('drill-') || a.subject.endsWith(':drill'));
    assert.equal(drills.length, items.length, `every scenario alert is on a drill sensor or a drill group: ${items.map((a) => a.subject).join(', ')}`);
    assert.ok(drills.some((a) => a.public && a.ruleId.startsWith('water.')), 'the flood rules are public');
    assert.ok(items.some((a) => a.ruleId === 'water.road.district-flood' && a.subject.endsWith(':drill')), 'the composite counts drills in their own group');
    for (const a of drills) assert.equal(a.capStatus, 'Exercise', `${a.ruleId} ${a.subject}`);
    const res = await env.get('/open-data/v1/alerts/atom.xml');
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /<entry>/, 'no drill alert reaches the public feed');
  });
});

/**
 * AL10 (issue 10): with the background simulators running (the default `npm start`), the
 * flood scenario still opens its alerts. The fleet has published for the river station the
 * scenario would otherwise take before the scenario starts, so a scenario that shared the
 * fleet's sensors would have every reading behind newer fleet readings (AE4) and open nothing.
 */
describe('a scenario against a pipeline whose simulators run (AL10)', () => {
  let env: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    env = await startApp({ 'simulate.enabled': true, 'mqtt.sensorRatePerSecond': 100_000, 'mqtt.sensorBurst': 100_000 });
  });
  after(async () => env.stop());

  it('flood opens river, rise and road flood alerts on drill sensors the fleet never plays', { timeout: 90_000 }, async () => {
    const sensors = [...env.app.registry.sensors()];
    const fleetRiver = sensors.find((s) => s.params.station === 'river' && !s.tags.includes('drill'))!;
    // The fleet's first reading of every sensor comes within 30 s of its start.
    await eventually(async () => {
      const body = await env.json<{ items: unknown[] }>(`/api/v1/sensors/${fleetRiver.id}/readings`);
      return body.items.length > 0;
    }, `a fleet reading of ${fleetRiver.id}`, 45_000);
    const sc = buildScenario('flood', sensors);
    const played = new Set(sc.readings.map((r) => r.sensorId));
    assert.ok([...played].every((id) => id.startsWith('drill-')), `the scenario plays drill sensors only: ${[...played].join(', ')}`);
    assert.ok(!played.has(fleetRiver.id));
    await playScenario({ mqttUrl: env.mqttUrl, registry: env.app.registry, credentials: env.credentials, readings: sc.readings, startMs: startOf(sc), speed: 1e6, logger: pino({ level: 'silent' }) });
    const seen = await eventually(async () => {
      const body = await env.json<{ items: Array<{ ruleId: string; sensorId?: string; subject?: string }> }>('/api/v1/alerts?state=open,acknowledged,resolved&limit=1000');
      const ids = new Set(body.items.map((a) => a.ruleId));
      return sc.expect.every((r) => ids.has(r)) && ids;
    }, `alerts ${sc.expect.join(', ')}`, 20_000);
    for (const rule of sc.expect) assert.ok(seen.has(rule), rule);
    // The drill river's stored readings are exactly the scenario's: the fleet never wrote to it.
    const river = sc.readings.filter((r) => r.sensorId === 'drill-wl-river');
    const stored = await eventually(async () => {
      const body = await env.json<{ items: Array<{ values: { currentLevel: number } }> }>(`/api/v1/sensors/drill-wl-river/readings?limit=1000`);
      return body.items.length >= river.length && body.items;
    }, 'the drill river readings stored', 10_000);
    assert.deepEqual(stored.map((r) => r.values.currentLevel).sort((a, b) => a - b), river.map((r) => r.values.currentLevel as number).sort((a, b) => a - b));
    assert.ok((env.app.simulation?.stats.published ?? 0) > 0, 'the fleet is publishing');
  });
});
