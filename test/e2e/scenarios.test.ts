import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { SCENARIOS, buildScenario } from '../../alerts/index.ts';
import { playScenario } from '../../simulators/index.ts';
import { eventually, startApp } from '../support/app.ts';

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
      const now = Date.now();
      let startMs = sc.startLocalHour === undefined ? now - sc.durationMs : now - (((now + 8 * 3_600_000) % 86_400_000) - sc.startLocalHour * 3_600_000);
      while (startMs + sc.durationMs > now) startMs -= 86_400_000;
      await playScenario({ mqttUrl: env.mqttUrl, registry: env.app.registry, credentials: env.credentials, readings: sc.readings, startMs, speed: 1e6, logger: pino({ level: 'silent' }) });
      const seen = await eventually(async () => {
        const body = await env.json<{ items: Array<{ ruleId: string }> }>('/api/v1/alerts?state=open,acknowledged,resolved&limit=1000');
        const ids = new Set(body.items.map((a) => a.ruleId));
        return sc.expect.every((r) => ids.has(r)) && ids;
      }, `alerts ${sc.expect.join(', ')}`, 20_000);
      for (const rule of sc.expect) assert.ok(seen.has(rule), rule);
    });
  }

  it('publishes only alerts of rules marked public in the CAP Atom feed (flood yes, parking-full no)', async () => {
    const atom = await eventually(async () => {
      const res = await env.get('/open-data/v1/alerts/atom.xml');
      return res.status === 200 && res.text.includes('<entry>') && res.text;
    }, 'public alerts in the Atom feed');
    assert.match(atom, /fl-|wl-/, 'the flood scenario\'s public water alerts are listed');
    assert.doesNotMatch(atom, /pk-/, 'parking.full is not marked public');
  });
});
