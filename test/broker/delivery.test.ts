import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { closed, connect, metricValue, startBroker, type Harness } from './fixture.ts';

const TOPIC = 'sensors/air-quality/aq-1/telemetry';

describe('broker delivery guarantees and limits (B7–B9)', () => {
  const harnesses: Harness[] = [];
  after(() => Promise.all(harnesses.map((h) => h.stop())));
  const start = async (...args: Parameters<typeof startBroker>) => {
    const h = await startBroker(...args);
    harnesses.push(h);
    return h;
  };

  it('B9: QoS 1 PUBACK is sent only after onInbound calls done', async () => {
    const events: string[] = [];
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = await start({
      onInbound: (_msg, done) => {
        events.push('inbound');
        void held.then(() => {
          events.push('done');
          done();
        });
      },
    });
    const c = await connect(h, 'aq-1');
    const puback = c.publishAsync(TOPIC, '{"pm25":1}', { qos: 1 }).then(() => events.push('puback'));
    while (!events.includes('inbound')) await new Promise((r) => setTimeout(r, 2));
    // A SUBACK round trip on the same TCP stream: had PUBACK been written on receipt,
    // it would have arrived before this SUBACK.
    await c.subscribeAsync('sensors/air-quality/aq-1/rejections');
    assert.deepEqual(events, ['inbound']);
    release?.();
    await puback;
    assert.deepEqual(events, ['inbound', 'done', 'puback']);
  });

  it('B9: done(err) closes the connection without PUBACK', async () => {
    const h = await start({ onInbound: (_msg, done) => done(new Error('journal full')) });
    const c = await connect(h, 'aq-1');
    let acked = false;
    const gone = closed(c);
    c.publish(TOPIC, '{"pm25":1}', { qos: 1 }, (err) => {
      acked = !err;
    });
    await gone;
    assert.equal(acked, false);
    assert.equal(h.inbound.length, 1);
  });

  it('B7: over the budget, QoS 0 is dropped, counted and reported', async () => {
    const h = await start({ limits: { sensorBurst: 3, sensorRatePerSecond: 0.001 } });
    const c = await connect(h, 'aq-1');
    for (let i = 0; i < 6; i++) await c.publishAsync(TOPIC, `{"pm25":${i}}`, { qos: 0 });
    await new Promise((r) => setTimeout(r, 200)); // QoS 0 has no acknowledgement to wait for
    assert.equal(h.inbound.length, 3);
    assert.deepEqual(h.rejected.map((r) => r.reason), ['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    assert.equal(h.rejected[0]?.sensorId, 'aq-1');
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_rejected_total', { reason: 'RATE_LIMITED' }), 3);
    assert.ok(c.connected);
    // The budget is per connection and per principal type: a gateway has its own.
    const gw = await connect(h, 'gw-1');
    await gw.publishAsync('sensors/parking/pk-1/telemetry', '{"availableSpotNumber":1}', { qos: 1 });
    assert.equal(h.inbound.length, 4);
  });

  it('B7: over the budget, QoS 1 is delayed to the budget, never acknowledged and dropped', async () => {
    const h = await start({ limits: { sensorBurst: 2, sensorRatePerSecond: 20 } });
    const c = await connect(h, 'aq-1');
    const acked: number[] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.publishAsync(TOPIC, `{"pm25":${i}}`, { qos: 1 }).then(() => acked.push(i))));
    // Every acknowledged message reached ingest; none was reported as rate-limited.
    assert.equal(acked.length, 6);
    assert.equal(h.inbound.length, 6);
    assert.deepEqual(h.rejected, []);
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_throttled_total', {}), 4);
    // B44: the two within budget carry the sensor the ACL resolved; the four held back carry none, so ingest looks it up after the wait.
    assert.deepEqual(h.inbound.map((m) => m.sensor?.id), ['aq-1', 'aq-1', undefined, undefined, undefined, undefined]);
    assert.ok(c.connected);
  });

  it('B7: a QoS 1 sender owing more than maxThrottleMs of budget is disconnected without acknowledgement', async () => {
    const h = await start({ limits: { sensorBurst: 1, sensorRatePerSecond: 1, maxThrottleMs: 1500 } });
    const c = await connect(h, 'aq-1');
    const gone = closed(c);
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) c.publish(TOPIC, `{"pm25":${i}}`, { qos: 1 }, (err) => outcomes.push(err ? 'error' : 'acked'));
    await gone;
    assert.ok(h.rejected.some((r) => r.reason === 'RATE_LIMITED'), 'the refusal is reported');
    // What reached ingest is at most what was within the budget; nothing refused was acknowledged.
    assert.ok(outcomes.filter((o) => o === 'acked').length <= h.inbound.length);
  });

  it('B8: a packet over maxPacketBytes closes the connection and is reported as OVERSIZED', async () => {
    const h = await start({ limits: { maxPacketBytes: 1024 } });
    const c = await connect(h, 'aq-1');
    await c.publishAsync(TOPIC, 'x'.repeat(900), { qos: 1 }); // under the limit: passes
    const gone = closed(c);
    c.publish(TOPIC, 'x'.repeat(2000), { qos: 1 });
    await gone;
    assert.equal(h.inbound.length, 1);
    const r = h.rejected.at(-1);
    assert.deepEqual([r?.reason, r?.topic, r?.sensorId], ['OVERSIZED', TOPIC, 'aq-1']);
    assert.ok((r?.payloadBytes ?? 0) > 2000);
  });

  it('B8: a header declaring a huge packet is cut off before any body is sent', async () => {
    const h = await start({ limits: { maxPacketBytes: 1024 } });
    const socket = tcpConnect(h.port, '127.0.0.1');
    await once(socket, 'connect');
    // PUBLISH, Remaining Length 268,435,455 (0xFF 0xFF 0xFF 0x7F, §2.2.3's maximum), no body.
    socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await once(socket, 'close');
    assert.deepEqual([h.rejected.at(-1)?.reason, h.rejected.at(-1)?.payloadBytes], ['OVERSIZED', 268_435_460]);
  });

  it('B41: maxTopicLevels: a deeper own topic is acknowledged and dead-lettered, never reaching ingest; a deeper filter gets 0x80', async () => {
    const h = await start({ limits: { maxTopicLevels: 8 } });
    const c = await connect(h, 'aq-1');
    await c.publishAsync(`${TOPIC}/a/b/c/d/e`, '{}', { qos: 1 });
    assert.equal(h.inbound.length, 0);
    assert.equal(h.rejected.at(-1)?.reason, 'BAD_TOPIC');
    // mqtt.js turns a SUBACK 0x80 into an error carrying the packet.
    const err = await c.subscribeAsync('sensors/air-quality/aq-1/a/b/c/d/e/f/#').then(() => undefined, (e: { packet?: { granted?: number[] } }) => e);
    assert.deepEqual(err?.packet?.granted, [128]);
    assert.ok(c.connected);
  });
});
