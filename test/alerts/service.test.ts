import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { SseHub } from '../../alerts/delivery/sse.ts';
import { createAlertEngine } from '../../alerts/engine.ts';
import { Router, parseContacts } from '../../alerts/routing.ts';
import { AlertService } from '../../alerts/service.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import type { AlertChange } from '../../domain/index.ts';
import { MIN, T0, reading, riverSensor, roadFloodSensor } from '../analytics/fixtures.ts';
import { L, ruleSet } from './helpers.ts';

const river = riverSensor();
const rules = ruleSet([
  { id: 'river', type: 'threshold', field: 'currentLevel', levels: [{ severity: 'critical', above: 4, label: L('L1') }] },
  { id: 'off', type: 'offline', graceMinutes: 1, severity: 'advisory', label: L('offline') },
]);

async function freePortThatRefuses(): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as AddressInfo).port)));
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('AlertService (SV1–SV5)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('SV4 a webhook that never answers is retried, then dead-lettered in the delivery log and metrics', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-svc-'));
    dirs.push(dir);
    const store = await AlertStateStore.open(dir);
    const port = await freePortThatRefuses();
    const router = new Router(parseContacts(`
contacts: [{ id: ops, name: { zh-TW: 值班, en: Ops }, agency: water, webhook: { url: "http://127.0.0.1:${port}/x", secret: "sixteen-chars-secret" } }]
subscriptions: [{ id: all, contacts: [ops], match: {}, channels: [webhook] }]
`, 'c.yaml'));
    const metrics = new MetricsRegistry();
    const engine = createAlertEngine({ rules });
    const mqtt: string[] = [];
    const service = new AlertService({ engine, store, router, sse: new SseHub(10, 60_000), baseUrl: 'http://x', logger: pino({ level: 'silent' }), metrics, retry: { maxAttempts: 3, baseMs: 1, maxMs: 2 }, mqttPublish: async (t, p, r) => void mqtt.push(`${t}|${r}|${p === '' ? 'EMPTY' : (JSON.parse(p).change ?? 'summary')}`) });
    const changes = engine.onReading(reading(river, T0, { currentLevel: 4.5 }), river);
    await service.handle(changes);
    await service.idle();
    const log = store.deliveries.get(changes[0]!.alert.id)!;
    assert.deepEqual(log.filter((d) => d.channel === 'webhook').map((d) => d.status), ['failed', 'failed', 'dead']);
    assert.deepEqual(log.filter((d) => d.channel === 'mqtt').map((d) => d.status), ['sent', 'sent'], 'state topic and summary topic');
    assert.match((await metrics.getSingleMetricAsString('civic_alert_deliveries_total')), /channel="webhook",status="dead"} 1/);
    // SV2: resolve publishes the empty retained message after the open, on the same topic.
    await service.handle(engine.onReading(reading(river, T0 + MIN, { currentLevel: 1 }), river));
    await service.idle();
    // SV8 (AL4): the (sensor, rule) state topic and the sensor's summary topic, each retained, cleared on resolve.
    const base = `alerts/water-level/${river.district.code}/${river.id}`;
    assert.deepEqual(mqtt.filter((m) => m.startsWith(`${base}/river|`)), [`${base}/river|true|opened`, `${base}/river|true|EMPTY`]);
    assert.deepEqual(mqtt.filter((m) => m.startsWith(`${base}|`)).map((m) => m.split('|')[2] === 'EMPTY' ? 'EMPTY' : 'summary'), ['summary', 'EMPTY']);
    service.sse.close();
    await store.close();
  });

  it('SV5 SV6 AL7 every change (tick, staff action, connection event) reaches `persist`; restore brings alerts back after a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-svc-'));
    dirs.push(dir);
    const persisted: AlertChange[] = [];
    let clock = T0;
    const build = async () => {
      const store = await AlertStateStore.open(dir);
      const engine = createAlertEngine({ rules });
      return new AlertService({ engine, store, router: new Router({ contacts: [], subscriptions: [] }), sse: new SseHub(10, 60_000), baseUrl: 'http://x', logger: pino({ level: 'silent' }), now: () => clock, persist: (c) => void persisted.push(...c) });
    };
    const s1 = await build();
    const road = roadFloodSensor('rf-svc');
    await s1.onConnection(road, true, T0 - MIN);
    await s1.onConnection(road, false, T0);
    s1.tick(T0 + 2 * MIN);
    const [open] = s1.engine.open();
    assert.equal(open!.ruleId, 'off');
    clock = T0 + 3 * MIN;
    await s1.assign(open!.id, 'amy', 'team-3');
    assert.deepEqual(persisted.map((c) => `${c.type}:${(c.alert as { assignee?: string }).assignee ?? ''}`), ['opened:', 'updated:team-3']);
    s1.sse.close();
    await s1.store.close();

    const s2 = await build();
    const restored = await s2.restore();
    assert.equal(restored.length, 1);
    assert.equal(s2.engine.get(open!.id)?.assignee, 'team-3');
    await s2.onConnection(road, true, T0 + 4 * MIN);
    assert.deepEqual(persisted.slice(2).map((c) => `${c.type}:${c.alert.id}`), [`resolved:${open!.id}`]);
    s2.sse.close();
    await s2.store.close();
  });
});

describe('AlertService shutdown (RY3)', () => {
  it('close() wakes backoff sleeps and stops retrying, logging what was not retried', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-svc-'));
    const store = await AlertStateStore.open(dir);
    const port = await freePortThatRefuses();
    const router = new Router(parseContacts(`
contacts: [{ id: ops, name: { zh-TW: 值班, en: Ops }, agency: water, webhook: { url: "http://127.0.0.1:${port}/x", secret: "sixteen-chars-secret" } }]
subscriptions: [{ id: all, contacts: [ops], match: {}, channels: [webhook] }]
`, 'c.yaml'));
    const engine = createAlertEngine({ rules });
    const service = new AlertService({ engine, store, router, sse: new SseHub(10, 60_000), baseUrl: 'http://x', logger: pino({ level: 'silent' }), retry: { maxAttempts: 5, baseMs: 60_000, maxMs: 60_000 } });
    const changes = engine.onReading(reading(river, T0, { currentLevel: 4.5 }), river);
    await service.handle(changes);
    await new Promise((r) => setTimeout(r, 100)); // first attempt fails, a 60 s backoff starts
    const t0 = Date.now();
    await service.close();
    assert.ok(Date.now() - t0 < 5000, 'close did not wait out the backoff');
    const log = store.deliveries.get(changes[0]!.alert.id)!.filter((d) => d.channel === 'webhook');
    assert.match(log[log.length - 1]!.error ?? '', /shutting down: not retried/);
    service.sse.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
