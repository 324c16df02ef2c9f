import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sensorTopic, toTaipeiIso } from '../../domain/index.ts';
import { connect, eventually, publish, startApp } from '../support/app.ts';

/**
 * Issue 10 e2e (LA1–LA5, DQ1): a LoRaWAN gateway was cut off, buffered 10 minutes of
 * readings of two road flood sensors, and uploads them over MQTT (QoS 1, real client) once
 * back, after their hour has closed. The aggregates API, the open-data feed and the quality
 * figures show them.
 */
const HOUR = 3_600_000;
const MIN = 60_000;
const GATEWAY = 'gw-lora-taoyuan-01';
const SENSORS = ['fl-zhongli-xinsheng', 'fl-taoyuan-zhongshan'];

let env: Awaited<ReturnType<typeof startApp>>;
before(async () => {
  env = await startApp();
});
after(async () => {
  await env?.stop();
});

describe('buffered gateway upload after an outage (e2e)', () => {
  it('LA3: 10 minutes of buffered readings reach the 1m and 1h aggregates per sensor and district, the open-data feed and the quality figures', async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const gw = await connect(env.mqttUrl, GATEWAY, env.credentials.gateways[GATEWAY]!);
    try {
      for (let m = 0; m < 10; m++) {
        for (const id of SENSORS) await publish(gw, sensorTopic('water-level', id, 'telemetry'), JSON.stringify({ floodDepth: m, dateObserved: toTaipeiIso(base + m * MIN + 5_000) }));
      }
    } finally {
      gw.end(true);
    }
    const range = `from=${encodeURIComponent(toTaipeiIso(base))}&to=${encodeURIComponent(toTaipeiIso(base + HOUR))}`;
    for (const id of SENSORS) {
      const hour = await eventually(async () => {
        const r = await env.json<{ items: { count: number; field: string; mean: number; max: number }[] }>(`/api/v1/aggregates?scope=sensor&period=1h&key=${id}&${range}`);
        return r.items.find((a) => a.field === 'floodDepth' && a.count === 10);
      }, `${id} hour aggregate with 10 readings`, 15_000);
      assert.equal(hour.mean, 4.5);
      assert.equal(hour.max, 9);
      const minutes = await env.json<{ items: unknown[] }>(`/api/v1/aggregates?scope=sensor&period=1m&key=${id}&${range}`);
      assert.equal(minutes.items.length, 10, 'one 1-minute aggregate per buffered minute');
      const feed = await env.json<{ items: { count: number }[] }>(`/open-data/v1/feeds/water-level/aggregates?period=1m&sensor=${id}&${range}`);
      assert.equal(feed.items.length, 10, 'open-data 1m feed');
      const day = await env.json<{ items: { count: number; field: string }[] }>(`/open-data/v1/feeds/water-level/aggregates?period=1d&sensor=${id}&${range}`);
      assert.equal(day.items.find((a) => a.field === 'floodDepth')?.count, 10, 'open-data 1d feed folds the recomputed hours');
    }
    const district = await env.json<{ items: { count: number; field: string }[] }>(`/api/v1/aggregates?scope=district&period=1h&key=68000020&field=floodDepth&${range}`);
    assert.equal(district.items[0]?.count, 10, 'district hour');
    const q = await env.json<{ sensors: { sensorId: string; stored: number; late: number; completeness: number; uptime: number }[]; feeds: { kind: string; stored: number }[] }>('/api/v1/quality?hours=3&kind=water-level');
    for (const id of SENSORS) {
      const s = q.sensors.find((x) => x.sensorId === id)!;
      assert.equal(s.stored, 10, `DQ1: ${id} stored`);
      assert.equal(s.late, 10, `DQ1: ${id} counted as late`);
      assert.equal(s.completeness, Math.round((10 / 36) * 10_000) / 10_000, 'DQ1: 10 of 36 expected in 3 h at 300 s');
      assert.equal(s.uptime, Math.round((1 / 3) * 10_000) / 10_000, 'DQ1: one hour of three with data');
    }
    assert.ok((q.feeds.find((f) => f.kind === 'water-level')?.stored ?? 0) >= 20, 'DQ2: the feed counts them');
    // AL10: drill sensors are listed per sensor but not counted in their feed.
    const water = [...env.app.registry.sensors()].filter((s) => s.kind === 'water-level');
    const drills = water.filter((s) => s.tags.includes('drill'));
    assert.ok(drills.length > 0 && drills.every((d) => q.sensors.some((x) => x.sensorId === d.id)), 'drill sensors are listed');
    assert.equal((q.feeds.find((f) => f.kind === 'water-level') as { sensors?: number } | undefined)?.sensors, water.length - drills.length, 'the feed counts fleet sensors only');
    const od = await env.json<{ sensors: unknown[] }>('/open-data/v1/quality?hours=3&kind=water-level');
    assert.ok(od.sensors.length > 0, 'open-data quality feed');
    // OD-C4: the catalogue lists the quality figures; its distributions answer with them.
    const ds = await env.json<{ distributions: { accessURL: string }[]; fields: { name: string }[] }>('/open-data/v1/datasets/civicstream-quality');
    for (const d of ds.distributions) {
      const u = new URL(d.accessURL);
      const body = await env.json<{ sensors: Record<string, unknown>[]; feeds: { kind: string }[] }>(u.pathname + u.search);
      assert.ok(body.feeds.some((f) => f.kind === 'water-level'), d.accessURL);
      const row = body.sensors.find((x) => x.sensorId === SENSORS[0])!;
      for (const f of ds.fields) assert.ok(f.name in row, `${d.accessURL}: field ${f.name} documented and served`);
    }
  });
});
