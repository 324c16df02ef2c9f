import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { addStaff } from '../../alerts/index.ts';
import { filterCovers, isWellFormedFilter, topicMatches } from '../../broker/acl.ts';
import { connect, eventually, publish, startApp } from '../support/app.ts';
import { adminClient, closedOnce, telemetry } from '../registry/helpers.ts';

const level = fc.constantFrom('sensors', 'alerts', 'air-quality', 'parking', 'aq-1', 'aq-2', 'telemetry', 'status', 'x');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([l, hash]) => (hash ? [...l, '#'] : l).join('/'));

describe('integration principals: pure grant rules (B15)', () => {
  it('B15: filterCovers(p, f) ⇒ every topic f matches, p matches too (generated)', () => {
    fc.assert(
      fc.property(filterArb, filterArb, topicArb, (p, f, t) => {
        if (filterCovers(p, f) && topicMatches(f, t)) assert.ok(topicMatches(p, t), `${p} covers ${f} but not ${t}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('B15: a filter that reaches outside the pattern is not covered (generated counter-examples exist and are refused)', () => {
    fc.assert(
      fc.property(filterArb, filterArb, topicArb, (p, f, t) => {
        if (topicMatches(f, t) && !topicMatches(p, t)) assert.equal(filterCovers(p, f), false);
      }),
      { numRuns: 5000 },
    );
    assert.equal(filterCovers('sensors/+/+/telemetry', 'sensors/#'), false);
    assert.equal(filterCovers('sensors/+/+/telemetry', 'sensors/parking/+/telemetry'), true);
    assert.equal(filterCovers('alerts/#', 'alerts'), true);
    assert.equal(isWellFormedFilter('$SYS/#'), false);
    assert.equal(isWellFormedFilter('a/#/b'), false);
  });
});

describe('integration principals on a running pipeline with mqtt.js (B15, RG5)', () => {
  let s: Awaited<ReturnType<typeof startApp>>;
  let api: ReturnType<typeof adminClient>;
  let reader: { secret: string };
  let writer: { secret: string };
  const clients: MqttClient[] = [];
  before(async () => {
    s = await startApp();
    api = adminClient(s, (await addStaff(s.app.alerts.store, 'adm', 'admin', Date.now())).token);
    reader = (await api<{ secret: string }>('POST', '/integrations', { id: 'node-red-1', name: 'Node-RED', read: ['sensors/+/+/telemetry', 'alerts/#', 'integrations/bridge-1/#'] })).body;
    writer = (await api<{ secret: string }>('POST', '/integrations', { id: 'bridge-1', read: [], publish: ['integrations/bridge-1/out/#'] })).body;
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await s.stop();
  });

  const subscribe = (c: MqttClient, filter: string): Promise<number> =>
    new Promise((resolve, reject) =>
      c.subscribe(filter, { qos: 1 }, (err, granted) => {
        // mqtt.js reports a SUBACK 0x80 as an error carrying the packet.
        if (err) return err.name === 'ErrorWithSubackPacket' ? resolve(((err as unknown as { packet?: { granted?: number[] } }).packet?.granted?.[0]) ?? 128) : reject(err);
        resolve(granted?.[0]?.qos ?? -1);
      }),
    );

  it('B15: subscribes inside its read grants only (SUBACK 0x80 outside), and receives live telemetry and nothing else', async () => {
    const c = await connect(s.mqttUrl, 'node-red-1', reader.secret);
    clients.push(c);
    assert.equal(await subscribe(c, 'sensors/+/+/telemetry'), 1);
    assert.equal(await subscribe(c, 'sensors/parking/+/telemetry'), 1);
    for (const f of ['sensors/+/+/status', 'sensors/#', '#', '$SYS/#', 'public/#', 'integrations/other/#', '+/+/+/telemetry']) assert.equal(await subscribe(c, f), 128, f);
    const got: string[] = [];
    c.on('message', (topic) => got.push(topic));
    const [aq, secret] = Object.entries(s.credentials.sensors)[0] as [string, string];
    const dev = await connect(s.mqttUrl, aq, secret);
    clients.push(dev);
    await publish(dev, `sensors/air-quality/${aq}/telemetry`, telemetry(20));
    await publish(dev, `sensors/air-quality/${aq}/status`, JSON.stringify({ online: true }));
    await eventually(async () => got.includes(`sensors/air-quality/${aq}/telemetry`), 'telemetry to reach the integration', 5000);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(got.every((t) => t.endsWith('/telemetry')), `only telemetry: ${got.join(', ')}`);
  });

  it('B15: subscribe-only by default: any publish closes the connection', async () => {
    const c = await connect(s.mqttUrl, 'node-red-1', reader.secret);
    const closed = closedOnce(c);
    c.publish('sensors/air-quality/aq-guanyin-ind-01/telemetry', telemetry(999), { qos: 1 });
    await closed;
    c.end(true);
  });

  it('B15: a granted publisher publishes under its own namespace (routed to grantees), never on sensor topics', async () => {
    const sub = await connect(s.mqttUrl, 'node-red-1', reader.secret);
    clients.push(sub);
    assert.equal(await subscribe(sub, 'integrations/bridge-1/#'), 1);
    const got: string[] = [];
    sub.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
    const w = await connect(s.mqttUrl, 'bridge-1', writer.secret);
    await publish(w, 'integrations/bridge-1/out/summary', 'hello');
    await eventually(async () => got.includes('integrations/bridge-1/out/summary hello'), 'the routed message', 5000);
    const closed = closedOnce(w);
    const seqBefore = s.app.journal.lastSeq;
    w.publish('sensors/air-quality/aq-guanyin-ind-01/telemetry', telemetry(999), { qos: 1 });
    await closed;
    w.end(true);
    assert.equal(s.app.journal.lastSeq, seqBefore, 'nothing reached ingest');
    for (const t of ['integrations/bridge-1/in/x', 'integrations/node-red-1/out/x', 'alerts/x']) {
      const c = await connect(s.mqttUrl, 'bridge-1', writer.secret);
      const gone = closedOnce(c);
      c.publish(t, 'x', { qos: 1 });
      await gone;
      c.end(true);
    }
  });

  it('RG1/B16: changing an integration’s grants closes its session so the new grants apply', async () => {
    const c = await connect(s.mqttUrl, 'node-red-1', reader.secret);
    const closed = closedOnce(c);
    assert.equal((await api('PATCH', '/integrations/node-red-1', { read: ['alerts/#'] })).status, 200);
    await closed;
    c.end(true);
    const again = await connect(s.mqttUrl, 'node-red-1', reader.secret);
    clients.push(again);
    assert.equal(await subscribe(again, 'sensors/+/+/telemetry'), 128);
    assert.equal(await subscribe(again, 'alerts/#'), 1);
  });
});
