import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { createBroker } from '../../broker/index.ts';
import { closed, connect, LIMITS, startBroker, testRegistry } from './fixture.ts';

describe('broker lifecycle', () => {
  it('B16: connections() counts live sessions by principal type; disconnectPrincipal closes only the named principal (of the type given)', async () => {
    const h = await startBroker();
    try {
      const aq = await connect(h, 'aq-1');
      const gw = await connect(h, 'gw-1');
      assert.deepEqual(h.broker.connections(), { sensor: 1, gateway: 1, staff: 0, integration: 0, public: 0 });
      assert.equal(h.broker.disconnectPrincipal('aq-1', 'gateway'), 0, 'aq-1 is no gateway');
      const gone = closed(aq);
      assert.equal(h.broker.disconnectPrincipal('aq-1'), 1);
      await gone;
      assert.ok(gw.connected, "another principal's session stays");
      for (let i = 0; i < 50 && h.broker.connections().sensor > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(h.broker.connections(), { sensor: 0, gateway: 1, staff: 0, integration: 0, public: 0 });
    } finally {
      await h.stop();
    }
    assert.deepEqual(h.broker.connections(), { sensor: 0, gateway: 0, staff: 0, integration: 0, public: 0 }, 'nothing is live after stop');
  });

  it('connectTimeout: a socket that never sends CONNECT is dropped', async () => {
    const h = await startBroker({ limits: { connectTimeoutMs: 100 } });
    try {
      const socket = tcpConnect(h.port, '127.0.0.1');
      await once(socket, 'connect');
      await once(socket, 'close');
    } finally {
      await h.stop();
    }
  });

  it('B34: keepaliveLimit: a client asking for a longer keep-alive (or 0) is accepted and served the limit', async () => {
    const h = await startBroker({ limits: { keepaliveLimitSeconds: 30 } });
    try {
      const longer = await connect(h, 'aq-1', { keepalive: 60 });
      const none = await connect(h, 'aq-2', { keepalive: 0 });
      const ok = await connect(h, 'aq-1', { keepalive: 30 });
      assert.ok(longer.connected && none.connected && ok.connected);
    } finally {
      await h.stop();
    }
  });

  it('stop() closes connected clients (their Wills fire) and idle sockets, and reports disconnects', async () => {
    const h = await startBroker();
    const c = await connect(h, 'aq-1', { clientId: 'aq-1-life', will: { topic: 'sensors/air-quality/aq-1/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: false } });
    const idle = tcpConnect(h.port, '127.0.0.1');
    await once(idle, 'connect');
    const clientGone = closed(c);
    const idleGone = once(idle, 'close');
    await h.broker.stop();
    await Promise.all([clientGone, idleGone]);
    assert.deepEqual(h.connections.map((e) => [e.clientId, e.connected]), [['aq-1-life', true], ['aq-1-life', false]]);
    assert.equal(h.inbound.at(-1)?.parsed?.channel, 'status');
    assert.equal(h.broker.connectedClients, 0);
    await h.stop(); // idempotent
  });

  it('publish() retains pipeline messages for later subscribers and refuses before start', async () => {
    const h = await startBroker();
    try {
      await h.broker.publish('sensors/air-quality/aq-1/rejections', '{"reason":"SCHEMA"}', { qos: 1, retain: true });
      const c = await connect(h, 'aq-1');
      const message = once(c as unknown as import('node:events').EventEmitter, 'message');
      await c.subscribeAsync('sensors/air-quality/aq-1/rejections', { qos: 1 });
      const [topic, payload] = (await message) as [string, Buffer];
      assert.deepEqual([topic, payload.toString()], ['sensors/air-quality/aq-1/rejections', '{"reason":"SCHEMA"}']);
    } finally {
      await h.stop();
    }
    const idle = createBroker({ host: '127.0.0.1', port: 0, registry: await testRegistry(), limits: LIMITS, onInbound: (_m, d) => d(), onRejected: () => undefined, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
    await assert.rejects(idle.publish('alerts/x', 'y'), /not started/);
  });
});
