import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { createBroker, type CivicBroker } from '../../broker/index.ts';
import { createStaMqtt, STA_MQTT_CONFORMANCE, staTopicOf, type StaMqtt } from '../../exporter/open-data/index.ts';
import { CONFORMANCE } from '../../exporter/open-data/sta/routes.ts';
import { MIN, NOW, json, openEnv, reading, type Env } from './fixture.ts';

const BASE = 'https://data.example.test';

/** OD-S10 over a real broker's public WebSocket listener and a real MQTT client. */
describe('OD-S10 SensorThings MQTT extension (receive updates)', () => {
  let env: Env;
  let broker: CivicBroker;
  let sta: StaMqtt;
  let wsUrl: string;
  const published: string[] = [];
  const clients: MqttClient[] = [];
  const metrics = new MetricsRegistry();

  before(async () => {
    env = await openEnv({ baseUrl: BASE, staMqtt: { endpoints: ['wss://data.example.test/mqtt'] } });
    sta = createStaMqtt({
      registry: env.registry, baseUrl: BASE, metrics,
      publish: (topic, payload, retain) => { published.push(topic); void broker.publish(topic, payload, { qos: 0, retain }); },
    });
    broker = createBroker({
      host: '127.0.0.1', port: -1, registry: env.registry,
      limits: { maxPacketBytes: 65_536, maxTopicLevels: 8, drainTimeoutMs: 5_000, connectTimeoutMs: 5_000, keepaliveLimitSeconds: 120, sensorRatePerSecond: 100, sensorBurst: 100, gatewayRatePerSecond: 100, gatewayBurst: 100, maxThrottleMs: 1_000 },
      publicWebSocket: { host: '127.0.0.1', port: 0, path: '/mqtt', maySubscribe: (f) => sta.maySubscribe(f), onSubscriptions: (e) => sta.onSubscriptions(e) },
      onInbound: (_m, done) => done(), onRejected: () => undefined, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry(),
    });
    const ports = await broker.start();
    wsUrl = `ws://127.0.0.1:${ports.wsPort}/mqtt`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await broker.stop();
    await env.close();
  });

  const reader = async () => {
    const c = await mqtt.connectAsync(wsUrl, { reconnectPeriod: 0, protocolVersion: 4 });
    clients.push(c);
    return c;
  };
  /** The broker reports subscriptions as it handles them; wait (bounded) until the count is reached. */
  const watchedBecomes = async (n: number) => {
    for (let i = 0; i < 200 && sta.watched() !== n; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sta.watched(), n);
  };
  const pm25 = staTopicOf('aq-zl-001:pm25');

  it('the root lists the MQTT class and its endpoint only when served', async () => {
    const root = await json(await env.get('/sta/v1.1'));
    assert.deepEqual(root.serverSettings.conformance, [...CONFORMANCE, STA_MQTT_CONFORMANCE]);
    assert.deepEqual(root.serverSettings[STA_MQTT_CONFORMANCE], { endpoints: ['wss://data.example.test/mqtt'] });
  });

  it('nothing is published while nobody reads; a reader gets the same Observation JSON as HTTP, only for its Datastream', async () => {
    const ts = NOW + MIN;
    const r = reading('aq-zl-001', 'air-quality', '6800200', ts, { pm25: 33, pm10: 44 });
    await env.store.writeReadings([r]);
    sta.onReading(r);
    assert.deepEqual(published, [], 'no reader, no publish');
    const c = await reader();
    const granted = await c.subscribeAsync(pm25);
    assert.deepEqual(granted.map((g) => g.qos), [0]);
    for (const refused of ["v1.1/Datastreams('nope:pm25')/Observations", "v1.1/Datastreams('aq-zl-001:nofield')/Observations", 'v1.1/#', 'v1.1/Observations', 'sensors/#']) {
      await assert.rejects(c.subscribeAsync(refused), refused);
    }
    await watchedBecomes(1);
    const got = new Promise<[string, Buffer]>((resolve) => c.once('message', (t, p) => resolve([t, p])));
    sta.onReading(r);
    sta.onReading(reading('wl-zl-001', 'water-level', '6800200', ts, { floodDepth: 3 }));
    const [topic, payload] = await got;
    assert.equal(topic, pm25);
    assert.deepEqual(published, [pm25], 'pm10 and the other sensor have no reader');
    const viaHttp = await json(await env.get(`/sta/v1.1/Observations('aq-zl-001:pm25:${ts}')`));
    assert.deepEqual(JSON.parse(payload.toString('utf8')), viaHttp);
    assert.equal(viaHttp.result, 33);
    assert.match(await metrics.metrics(), /civic_open_data_sta_mqtt_published_total 1\b/);
    await c.unsubscribeAsync(pm25);
    await watchedBecomes(0);
    sta.onReading(r);
    assert.equal(published.length, 1, 'unsubscribed: nothing more');
  });

  it('counts readers per Datastream: one leaving keeps it published for the other; the last leaving stops it', async () => {
    const a = await reader();
    const b = await reader();
    await a.subscribeAsync(pm25);
    await a.subscribeAsync(pm25); // a repeated SUBSCRIBE is one reader
    await b.subscribeAsync([pm25, staTopicOf('wl-zl-001:floodDepth')]);
    await watchedBecomes(2);
    await a.endAsync();
    const r = reading('aq-zl-001', 'air-quality', '6800200', NOW + 2 * MIN, { pm25: 1 });
    const got = new Promise<string>((resolve) => b.once('message', (t) => resolve(t)));
    const before = published.length;
    sta.onReading(r);
    assert.equal(await got, pm25);
    assert.equal(published.length, before + 1);
    await b.endAsync();
    await watchedBecomes(0);
    sta.onReading(r);
    assert.equal(published.length, before + 1);
  });
});
