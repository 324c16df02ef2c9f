import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect, metricValue, SECRETS, startBroker, type Harness } from './fixture.ts';
import { connectPacket, DISCONNECT, publishPacket, pubackPacket, rawConnect, RawClient, subscribePacket } from './raw.ts';

const TOPIC = 'sensors/air-quality/aq-1/telemetry';
const STATUS = 'sensors/air-quality/aq-1/status';
const aq1 = (clientId: string, extra: Record<string, unknown> = {}) => ({ clientId, username: 'aq-1', password: SECRETS['aq-1'], ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** up/down reports per client id must pair exactly (B31). */
function assertBalanced(h: Harness): void {
  const open = new Map<string, number>();
  for (const c of h.connections) {
    const n = open.get(c.clientId) ?? 0;
    if (c.connected) assert.equal(n, 0, `second "up" for ${c.clientId} before its "down"`);
    else assert.equal(n, 1, `"down" for ${c.clientId} without an "up"`);
    open.set(c.clientId, c.connected ? 1 : 0);
  }
  assert.deepEqual([...open].filter(([, v]) => v !== 0), [], 'every up has its down');
}

describe('broker hardening (issue 12)', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker({ limits: { keepaliveLimitSeconds: 120 } });
  });
  after(() => h.stop());

  it('B30: CONNECT + FIN and instant disconnects leave no client id stuck; another principal then gets the id', async () => {
    for (let i = 0; i < 40; i++) {
      const c = await RawClient.open(h.port);
      if (i % 2 === 0) c.socket.end(connectPacket(aq1('squat-1'))); // CONNECT then FIN
      else {
        c.send(connectPacket(aq1('squat-1')));
        await c.next('connack');
        c.destroy();
      }
      await c.closed;
    }
    await until(() => h.broker.connectedClients === 0 && h.broker.liveConnections === 0, 'all squatters gone');
    const { client, code } = await rawConnect(h.port, { clientId: 'squat-1', username: 'aq-2', password: SECRETS['aq-2'] });
    assert.equal(code, 0, 'aq-2 gets the id once the squatters are gone');
    client.send(DISCONNECT);
    await client.closed;
    await until(() => h.broker.liveConnections === 0, 'aq-2 gone');
    assertBalanced(h);
  });

  it("B30: another registered principal's own id is refused with code 2, its owner gets in", async () => {
    const squat = await rawConnect(h.port, aq1('aq-2'));
    assert.equal(squat.code, 2);
    await squat.client.closed;
    const own = await rawConnect(h.port, { clientId: 'aq-2', username: 'aq-2', password: SECRETS['aq-2'] });
    assert.equal(own.code, 0);
    own.client.destroy();
    await until(() => h.broker.liveConnections === 0, 'aq-2 gone');
  });

  it('B31: a takeover by the same principal closes the old session and reports down before the new up', async () => {
    const from = h.connections.length;
    const first = await rawConnect(h.port, aq1('take-1'));
    assert.equal(first.code, 0);
    const second = await rawConnect(h.port, aq1('take-1'));
    assert.equal(second.code, 0);
    await first.client.closed;
    second.client.send(DISCONNECT);
    await second.client.closed;
    const take = () => h.connections.slice(from).filter((c) => c.clientId === 'take-1');
    await until(() => take().length >= 4, 'four reports');
    await sleep(50);
    assert.deepEqual(take().map((c) => [c.clientId, c.connected]), [['take-1', true], ['take-1', false], ['take-1', true], ['take-1', false]]);
  });

  it('B30/B31: a 2,000 connect/disconnect storm leaves no stuck id, balanced reports, heap back to baseline; a sensor then publishes', async () => {
    gc();
    const baseline = process.memoryUsage().heapUsed;
    const from = h.connections.length;
    let n = 0;
    const worker = async (): Promise<void> => {
      while (n < 2_000) {
        const i = n++;
        const c = await RawClient.open(h.port);
        const id = `storm-${i % 20}`; // ids are reused: takeovers and races on the same id
        switch (i % 4) {
          case 0:
            c.socket.end(connectPacket(aq1(id)));
            break;
          case 1:
            c.send(connectPacket(aq1(id)));
            c.destroy();
            break;
          case 2:
            c.send(connectPacket(aq1(id)));
            await c.next('connack').catch(() => undefined);
            c.send(DISCONNECT);
            break;
          default:
            c.send(connectPacket(aq1(id)));
            await c.next('connack').catch(() => undefined);
            c.destroy();
        }
        await c.closed;
      }
    };
    await Promise.all(Array.from({ length: 25 }, worker));
    await until(() => h.broker.connectedClients === 0 && h.broker.liveConnections === 0, 'storm connections gone', 10_000);
    await sleep(200);
    const storm = { ...h, connections: h.connections.slice(from) } as Harness;
    assertBalanced(storm);
    assert.ok(storm.connections.length > 0, 'some storm sessions got CONNACK 0');
    gc();
    const grown = process.memoryUsage().heapUsed - baseline;
    assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MB after the storm and GC`);
    for (let i = 0; i < 20; i++) {
      const { client, code } = await rawConnect(h.port, { clientId: `storm-${i}`, username: 'aq-2', password: SECRETS['aq-2'] });
      assert.equal(code, 0, `storm-${i} is free for another principal`);
      client.destroy();
    }
    const legit = await rawConnect(h.port, aq1('aq-1-after-storm'));
    assert.equal(legit.code, 0);
    legit.client.send(publishPacket(TOPIC, '{"pm25":1}', 1, 7));
    assert.deepEqual(await legit.client.next('puback'), { type: 'puback', id: 7 });
    legit.client.destroy();
  });

  it('B34: keep-alive 0 and keep-alive above the limit get CONNACK 0 (never the reserved 6)', async () => {
    for (const keepalive of [0, 121, 65_535]) {
      const { client, code } = await rawConnect(h.port, aq1(`ka-${keepalive}`, { keepalive }));
      assert.equal(code, 0, `keep-alive ${keepalive}`);
      client.destroy();
    }
  });

  it('B34: a silent keep-alive-0 connection is still closed after 1.5 × mqtt.keepaliveLimitSeconds', async () => {
    const short = await startBroker({ limits: { keepaliveLimitSeconds: 1 } });
    try {
      const { client, code } = await rawConnect(short.port, aq1('ka-silent', { keepalive: 0 }));
      assert.equal(code, 0);
      const t0 = Date.now();
      await client.closed;
      const took = Date.now() - t0;
      assert.ok(took >= 1_000 && took < 4_000, `closed after ${took} ms`);
    } finally {
      await short.stop();
    }
  });

  it('B32: a Will with QoS 3 and retain is closed without CONNACK, and the topic stays usable', async () => {
    const { client, code } = await rawConnect(h.port, aq1('bad-will', { will: { topic: STATUS, payload: '{"online":false}', qos: 3, retain: true } }));
    assert.equal(code, undefined, 'no CONNACK');
    await client.closed;
    for (const will of [{ topic: 'sensors/air-quality/+/status', qos: 1 }, { topic: Buffer.from([0x73, 0xff]), qos: 0 }]) {
      const r = await rawConnect(h.port, aq1('bad-will-2', { will: { ...will, payload: 'x', retain: false } }));
      assert.equal(r.code, undefined, `no CONNACK for will ${String(will.topic)}`);
    }
    // The gateway and the sensor subscribe to the status topic: SUBACK, and they stay connected.
    const sub = await rawConnect(h.port, aq1('will-sub'));
    sub.client.send(subscribePacket(3, [[STATUS, 1], ['sensors/air-quality/aq-1/#', 0]]));
    assert.deepEqual(await sub.client.next('suback'), { type: 'suback', id: 3, codes: [1, 0] });
    await sleep(100);
    assert.ok(sub.client.isOpen);
    sub.client.destroy();
  });

  it('B40: a retained QoS 1 message reaches a QoS 0 subscription at QoS 0', async () => {
    await h.broker.publish(STATUS, '{"online":true}', { qos: 1, retain: true });
    const { client } = await rawConnect(h.port, aq1('retained-q0'));
    client.send(subscribePacket(1, [['sensors/air-quality/aq-1/#', 0]]));
    assert.deepEqual(await client.next('suback'), { type: 'suback', id: 1, codes: [0] });
    const msg = await client.next('publish');
    assert.equal(msg?.type, 'publish');
    assert.deepEqual(msg?.type === 'publish' ? [msg.topic, msg.qos, msg.retain] : [], [STATUS, 0, true]);
    client.destroy();
    // And a QoS 1 subscription gets it at QoS 1.
    const q1 = await rawConnect(h.port, aq1('retained-q1'));
    q1.client.send(subscribePacket(1, [['sensors/air-quality/aq-1/+', 1]]));
    const m1 = await q1.client.next('publish');
    assert.deepEqual(m1?.type === 'publish' ? [m1.qos, m1.retain] : [], [1, true]);
    q1.client.destroy();
    await h.broker.publish(STATUS, '', { qos: 0, retain: true }); // clear it
  });

  it('B42: an unacknowledged QoS 1 delivery re-sent after reconnect has DUP = 1 and the same packet id', async () => {
    const a = await rawConnect(h.port, aq1('dup-1', { clean: false }));
    a.client.send(subscribePacket(1, [['sensors/air-quality/aq-1/+', 1]]));
    await a.client.next('suback');
    await h.broker.publish(TOPIC, '{"n":1}', { qos: 1 });
    const first = await a.client.next('publish');
    assert.ok(first?.type === 'publish' && first.dup === false && first.qos === 1);
    a.client.destroy(); // no PUBACK
    await a.client.closed;
    await until(() => [...h.connections].reverse().find((c) => c.clientId === 'dup-1')?.connected === false, 'dup-1 down');
    const b = await rawConnect(h.port, aq1('dup-1', { clean: false }));
    assert.equal(b.code, 0);
    const again = await b.client.next('publish');
    assert.ok(again?.type === 'publish');
    assert.deepEqual([again.dup, again.id, again.payload], [true, first.id, '{"n":1}']);
    b.client.send(pubackPacket(again.id as number));
    b.client.destroy();
    // Clean the persistent session up.
    const c = await rawConnect(h.port, aq1('dup-1', { clean: true }));
    c.client.destroy();
  });

  it('B33: a QoS 1 PUBLISH whose topic has byte 0xFF, an encoded lone surrogate or NUL is closed, never acknowledged', async () => {
    const before = h.inbound.length;
    const bad = [
      Buffer.concat([Buffer.from('sensors/air-quality/aq-1/'), Buffer.from([0xff])]),
      Buffer.concat([Buffer.from('sensors/air-quality/aq-1/tele'), Buffer.from([0xed, 0xa0, 0x80])]),
      Buffer.from('sensors/air-quality/aq-1/tele\u0000metry'),
    ];
    for (const topic of bad) {
      const { client, code } = await rawConnect(h.port, aq1('utf8'));
      assert.equal(code, 0);
      client.send(publishPacket(topic, '{}', 1, 9));
      assert.equal(await client.next('puback'), undefined, `no PUBACK for ${topic.toString('hex')}`);
      assert.ok(!client.isOpen);
    }
    // A SUBSCRIBE filter with NUL is a protocol violation too.
    const s = await rawConnect(h.port, aq1('utf8-sub'));
    s.client.send(subscribePacket(2, [['sensors/air-quality/aq-1/\u0000', 0]]));
    assert.equal(await s.client.next('suback'), undefined);
    assert.equal(h.inbound.length, before);
  });

  it('B41: a QoS 1 PUBLISH of 9 or more levels under the own prefix is acknowledged and dead-lettered BAD_TOPIC', async () => {
    const { client } = await rawConnect(h.port, aq1('deep'));
    for (const [id, extra] of [[11, '/a/b/c/d/e'], [12, '/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z']] as const) {
      const before = h.rejected.length;
      client.send(publishPacket(`${TOPIC}${extra}`, '{}', 1, id));
      assert.deepEqual(await client.next('puback'), { type: 'puback', id });
      const r = h.rejected.at(-1);
      assert.equal(h.rejected.length, before + 1);
      assert.equal(r?.reason, 'BAD_TOPIC');
      assert.match(r?.message ?? '', /mqtt\.maxTopicLevels 8/);
    }
    assert.ok(client.isOpen);
    assert.ok(((await metricValue(h.metrics, 'civic_mqtt_rejected_total', { reason: 'BAD_TOPIC' })) ?? 0) >= 2);
    client.destroy();
  });

  it('B41: a SUBSCRIBE with one 9-level filter gets 0x80 for it, the valid filters in the packet are granted', async () => {
    const { client } = await rawConnect(h.port, aq1('deep-sub'));
    client.send(subscribePacket(5, [[STATUS, 1], ['sensors/air-quality/aq-1/a/b/c/d/e/f/#', 0], [TOPIC, 0]]));
    assert.deepEqual(await client.next('suback'), { type: 'suback', id: 5, codes: [1, 0x80, 0] });
    await h.broker.publish(STATUS, '{"online":true}', { qos: 0 });
    const m = await client.next('publish');
    assert.equal(m?.type === 'publish' ? m.topic : undefined, STATUS);
    client.destroy();
  });

  it('B39: oversized headers from 300 unauthenticated peers are counted, and only a sample is dead-lettered', async () => {
    const before = h.rejected.length;
    const conns = await Promise.all(Array.from({ length: 300 }, () => RawClient.open(h.port)));
    const t0 = Date.now();
    for (const c of conns) c.send(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await Promise.all(conns.map((c) => c.closed));
    const seconds = (Date.now() - t0) / 1000;
    const written = h.rejected.length - before;
    assert.ok(written >= 1 && written <= 2 + Math.ceil(seconds), `${written} dead letters in ${seconds.toFixed(2)} s`);
    const sampled = (await metricValue(h.metrics, 'civic_mqtt_unauthenticated_violations_total', { outcome: 'sampled' })) ?? 0;
    const dropped = (await metricValue(h.metrics, 'civic_mqtt_unauthenticated_violations_total', { outcome: 'dropped' })) ?? 0;
    assert.equal(sampled + dropped, 300);
    assert.equal(sampled, written);
  });

  it('B8 still applies to an authenticated sensor: its oversized packet is dead-lettered every time', async () => {
    const before = h.rejected.length;
    for (let i = 0; i < 3; i++) {
      const { client } = await rawConnect(h.port, aq1('big'));
      client.send(Buffer.from([0x32, 0xff, 0xff, 0xff, 0x7f]));
      await client.closed;
    }
    assert.equal(h.rejected.length - before, 3);
    assert.ok(h.rejected.slice(before).every((r) => r.reason === 'OVERSIZED' && r.sensorId === 'aq-1'));
  });

  it('mqtt.js still works end to end after all of the above', async () => {
    const c = await connect(h, 'aq-1');
    await c.publishAsync(TOPIC, '{"pm25":3}', { qos: 1 });
    assert.equal(h.inbound.at(-1)?.topic, TOPIC);
  });
});
