import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AedesPublishPacket, Client } from 'aedes';
import { authorizeForward } from '../../broker/authorize-forward.ts';
import type { MqttClient } from 'mqtt';
import { connect, startBroker, type Harness } from './fixture.ts';

/** SUBACK return codes (§3.9.3); mqtt.js rejects when any is 0x80 but keeps the packet on the error. */
async function suback(c: MqttClient, filters: string[], qos: 0 | 1): Promise<number[]> {
  const granted = await c.subscribeAsync(filters, { qos }).then(
    (g) => g.map((x) => x.qos),
    (err: { packet?: { granted?: number[] } }) => err.packet?.granted,
  );
  assert.ok(granted, 'expected a SUBACK');
  return [...granted];
}

describe('broker SUBSCRIBE ACL and forwarding (B10, B11)', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  it('B10: a sensor may subscribe only inside its own subtree; others get SUBACK 0x80', async () => {
    const c = await connect(h, 'aq-1');
    const filters = ['sensors/air-quality/aq-1/#', 'sensors/air-quality/aq-1/rejections', '#', 'alerts/#', '$SYS/#', 'sensors/air-quality/aq-2/#', 'sensors/+/aq-1/#', 'sensors/air-quality/+/rejections', 'sensors/parking/aq-1/#'];
    assert.deepEqual(await suback(c, filters, 1), filters.map((_f, i) => (i < 2 ? 1 : 128)));
    assert.ok(c.connected, 'a refused filter does not close the connection');
    await c.endAsync();
  });

  it('B10: a gateway may subscribe to its sensors subtrees only', async () => {
    const gw = await connect(h, 'gw-1');
    const filters = ['sensors/water-level/wl-1/#', 'sensors/parking/pk-1/rejections', 'sensors/parking/pk-2/#', 'sensors/+/+/#', 'sensors/parking/ghost/#'];
    assert.deepEqual(await suback(gw, filters, 0), [0, 0, 128, 128, 128]);
    await gw.endAsync();
  });

  it('T3: a pipeline notice on the own rejections topic reaches the sensor; alerts do not', async () => {
    const c = await connect(h, 'aq-1');
    const got: Array<[string, string]> = [];
    c.on('message', (topic, payload) => got.push([topic, payload.toString()]));
    assert.deepEqual(await suback(c, ['sensors/air-quality/aq-1/#', '#'], 1), [1, 128]);
    await h.broker.publish('alerts/air-quality/6800200/aq-1', '{"state":"open"}', { qos: 1 });
    await h.broker.publish('sensors/air-quality/aq-2/rejections', '{"reason":"SCHEMA"}', { qos: 1 });
    await h.broker.publish('sensors/air-quality/aq-1/rejections', '{"reason":"BAD_JSON"}', { qos: 1 });
    while (got.length < 1) await new Promise((r) => setTimeout(r, 5));
    // A QoS 1 round trip after the three publishes: anything else routed would have arrived by now.
    await c.publishAsync('sensors/air-quality/aq-1/status', '{}', { qos: 1 });
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, [
      ['sensors/air-quality/aq-1/rejections', '{"reason":"BAD_JSON"}'],
      ['sensors/air-quality/aq-1/status', '{}'],
    ]);
    await c.endAsync();
  });

  it('B11: authorizeForward drops everything under $ and passes sensor topics', () => {
    const packet = (topic: string) => ({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, dup: false, retain: false }) as unknown as AedesPublishPacket;
    const client = {} as Client;
    assert.equal(authorizeForward(client, packet('$SYS/abc/heartbeat')), null);
    assert.equal(authorizeForward(client, packet('$civic/discarded')), null);
    const ok = packet('sensors/air-quality/aq-1/rejections');
    assert.equal(authorizeForward(client, ok), ok);
  });
});
