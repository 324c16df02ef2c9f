import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closed, connect, metricValue, startBroker, type Harness } from './fixture.ts';

const reading = JSON.stringify({ pm25: 12.5 });

describe('broker PUBLISH ACL (B4–B6)', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  it('B4: a sensor publishes on its own T1 topic; ingest sees principal and parsed topic', async () => {
    const c = await connect(h, 'aq-1', { clientId: 'aq-1-pub' });
    await c.publishAsync('sensors/air-quality/aq-1/telemetry', reading, { qos: 1 });
    const msg = h.inbound.at(-1);
    assert.ok(msg);
    assert.deepEqual(msg.principal, { type: 'sensor', id: 'aq-1' });
    assert.deepEqual(msg.parsed, { kind: 'air-quality', sensorId: 'aq-1', channel: 'telemetry' });
    assert.equal(msg.payload.toString(), reading);
    assert.equal(msg.clientId, 'aq-1-pub');
    assert.equal(msg.qos, 1);
    // B44: the registry entry the ACL check resolved travels with the message (no second lookup downstream).
    assert.deepEqual([msg.sensor?.id, msg.sensor?.kind], ['aq-1', 'air-quality']);
    await c.endAsync();
  });

  for (const topic of ['sensors/air-quality/aq-2/telemetry', 'sensors/parking/aq-1/telemetry', 'alerts/x', '$SYS/x', 'public/x', 'other']) {
    it(`B4: publishing on ${topic} is refused as NOT_AUTHORIZED and the connection closed`, async () => {
      const c = await connect(h, 'aq-1');
      const before = h.inbound.length;
      const gone = closed(c);
      c.publish(topic, reading, { qos: 1 });
      await gone;
      assert.equal(h.inbound.length, before);
      const r = h.rejected.at(-1);
      assert.equal(r?.reason, 'NOT_AUTHORIZED');
      assert.equal(r?.topic, topic);
      assert.equal(r?.payload?.toString(), reading);
    });
  }

  it('B5: a gateway publishes for its own sensors, not for others', async () => {
    const gw = await connect(h, 'gw-1');
    await gw.publishAsync('sensors/water-level/wl-1/telemetry', '{"floodDepth":3}', { qos: 1 });
    await gw.publishAsync('sensors/parking/pk-1/status', '{"online":true}', { qos: 1 });
    assert.deepEqual(h.inbound.slice(-2).map((m) => [m.principal.id, m.parsed?.sensorId, m.parsed?.channel]), [
      ['gw-1', 'wl-1', 'telemetry'],
      ['gw-1', 'pk-1', 'status'],
    ]);
    const gone = closed(gw);
    gw.publish('sensors/parking/pk-2/telemetry', '{}', { qos: 1 }); // pk-2 belongs to gw-2
    await gone;
    assert.deepEqual([h.rejected.at(-1)?.reason, h.rejected.at(-1)?.sensorId], ['NOT_AUTHORIZED', 'pk-2']);
  });

  it('B5: a gateway publishing for an unregistered sensor is acknowledged, reported, and stays connected', async () => {
    const gw = await connect(h, 'gw-1');
    const before = h.inbound.length;
    await gw.publishAsync('sensors/parking/ghost-9/telemetry', '{"availableSpotNumber":1}', { qos: 1 }); // resolves on PUBACK
    assert.equal(h.inbound.length, before);
    assert.deepEqual([h.rejected.at(-1)?.reason, h.rejected.at(-1)?.sensorId], ['UNKNOWN_SENSOR', 'ghost-9']);
    await gw.publishAsync('sensors/parking/pk-1/telemetry', '{"availableSpotNumber":2}', { qos: 1 });
    assert.equal(h.inbound.length, before + 1);
    assert.ok(gw.connected);
    await gw.endAsync();
  });

  it('B6: own prefix but not T1/T2 (incl. T3 rejections) is BAD_TOPIC, acknowledged, not passed on', async () => {
    const c = await connect(h, 'aq-1');
    // The sensor listens on its own subtree: a dropped message must not be routed back to it either.
    const echoed: string[] = [];
    c.on('message', (topic) => echoed.push(topic));
    await c.subscribeAsync('sensors/air-quality/aq-1/#', { qos: 1 });
    const before = h.inbound.length;
    for (const topic of ['sensors/air-quality/aq-1/rejections', 'sensors/air-quality/aq-1/foo', 'sensors/air-quality/aq-1/telemetry/extra']) {
      await c.publishAsync(topic, reading, { qos: 1 });
      assert.deepEqual([h.rejected.at(-1)?.reason, h.rejected.at(-1)?.topic], ['BAD_TOPIC', topic]);
    }
    await c.publishAsync('sensors/air-quality/aq-1/telemetry', reading, { qos: 1 });
    while (echoed.length < 1) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(echoed, ['sensors/air-quality/aq-1/telemetry']);
    assert.equal(h.inbound.length, before + 1);
    await c.endAsync();
  });

  it('T2: a Last Will on the own status topic reaches ingest as a status message', async () => {
    const c = await connect(h, 'aq-2', { will: { topic: 'sensors/air-quality/aq-2/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: false } });
    const before = h.inbound.length;
    c.stream.destroy(); // abnormal disconnect: the broker must publish the Will (§3.1.2.5)
    while (h.inbound.length === before) await new Promise((r) => setTimeout(r, 5));
    const will = h.inbound.at(-1);
    assert.deepEqual([will?.parsed?.channel, will?.principal.id, will?.payload.toString()], ['status', 'aq-2', '{"online":false}']);
  });

  it('counts rejections by reason and inbound messages', async () => {
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_rejected_total', { reason: 'NOT_AUTHORIZED' }), 7);
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_rejected_total', { reason: 'UNKNOWN_SENSOR' }), 1);
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_rejected_total', { reason: 'BAD_TOPIC' }), 3);
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_inbound_total'), h.inbound.length);
  });
});
