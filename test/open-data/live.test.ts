import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { Registry as MetricsRegistry } from 'prom-client';
import type { Reading } from '../../domain/index.ts';
import { createPublicMqtt } from '../../exporter/open-data/index.ts';
import { NOW, openEnv, reading, type Env } from './fixture.ts';

/** Reads SSE events from a fetch body until `n` `reading` events arrived. */
async function readEvents(res: Response, n: number): Promise<any[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const out: any[] = [];
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const lines = frame.split('\n');
      if (lines.includes('event: reading')) out.push(JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)));
    }
  }
  await reader.cancel();
  return out;
}

describe('live feeds', () => {
  let env: Env;
  const listeners = new Set<(r: Reading) => void>();
  before(async () => {
    env = await openEnv({ subscribe: (l) => { listeners.add(l); return () => listeners.delete(l); } }, false);
  });
  after(async () => { await env.close(); });

  it('SSE streams new readings of the requested kind (and district) only, with public fields', async () => {
    const res = await env.get('/open-data/v1/feeds/air-quality/live?district=6800100', { headers: { origin: 'https://map.example.org' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const events = readEvents(res, 2);
    // Give the server a tick to register the client before publishing.
    await new Promise((r) => setTimeout(r, 50));
    for (const l of listeners) {
      l(reading('aq-zl-001', 'air-quality', '6800200', NOW, { pm25: 99 }));
      l(reading('wl-zl-001', 'water-level', '6800200', NOW, { floodDepth: 3 }));
      l(reading('aq-ty-002', 'air-quality', '6800100', NOW, { pm25: 12 }));
      l(reading('aq-ty-002', 'air-quality', '6800100', NOW + 60_000, { pm25: 13 }));
    }
    const got = await events;
    assert.deepEqual(got.map((e) => e.values.pm25), [12, 13]);
    assert.equal(got[0].time, '2026-11-22T12:00:00.000+08:00');
    assert.deepEqual(got[0].location, { lat: 24.985, lon: 121.315 }, 'coarsened');
  });

  it('SSE answers 503 when no live source is configured', async () => {
    const other = await openEnv({}, false);
    try {
      assert.equal((await other.get('/open-data/v1/feeds/air-quality/live')).status, 503);
    } finally {
      await other.close();
    }
  });

  it('public MQTT: anonymous clients read public/# only, cannot publish, and get the retained latest', async () => {
    let pub: ReturnType<typeof createPublicMqtt> | undefined;
    const broker = await Aedes.createBroker({
      authorizeSubscribe: (_c, sub, cb) => cb(null, pub!.anonymousMaySubscribe(sub.topic) ? sub : null),
      authorizePublish: (_c, packet, cb) => cb(pub!.mayPublish(packet.topic, true) ? null : new Error('read-only')),
    });
    const metrics = new MetricsRegistry();
    pub = createPublicMqtt({ registry: env.registry, metrics, publish: (topic, payload, retain) => broker.publish({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false }, () => {}) });
    const server = createServer(broker.handle);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    try {
      pub.onReading(reading('aq-ty-002', 'air-quality', '6800100', NOW, { pm25: 21 }));
      await new Promise((r) => setTimeout(r, 50));
      const message = new Promise<[string, Buffer]>((resolve) => client.once('message', (t, p) => resolve([t, p])));
      const granted = await client.subscribeAsync(['public/#', 'public/air-quality/+']);
      assert.deepEqual(granted.map((g) => g.qos), [0, 0]);
      // mqtt.js rejects a SUBACK with return code 0x80 (MQTT 3.1.1 §3.9.3).
      for (const refused of ['sensors/#', '#', '$SYS/#', '+/air-quality/+']) await assert.rejects(client.subscribeAsync(refused), refused);
      const [topic, payload] = await message;
      assert.equal(topic, 'public/air-quality/aq-ty-002');
      const body = JSON.parse(payload.toString('utf8'));
      assert.equal(body.values.pm25, 21);
      assert.deepEqual(body.location, { lat: 24.985, lon: 121.315 });
      assert.match(await metrics.metrics(), /civic_open_data_mqtt_published_total 1\b/);
      assert.equal(pub.mayPublish('public/air-quality/x', false), false, 'PT2: not even authenticated clients');
      assert.equal(pub.mayPublish('sensors/air-quality/x/telemetry', false), true);
      assert.equal(pub.anonymousMaySubscribe('public/#/x'), false);
      assert.equal(pub.anonymousMaySubscribe('public/a+b'), false);
    } finally {
      await client.endAsync();
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
    }
  });
});
