import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closed, connect, metricValue, startBroker, type Harness } from './fixture.ts';

/** CONNACK return code carried by mqtt.js' connection error (MQTT 3.1.1 §3.2.2.3). */
async function refusedCode(p: Promise<unknown>): Promise<number> {
  const err = await p.then(() => assert.fail('connection was accepted'), (e: unknown) => e as { code?: number });
  assert.equal(typeof err.code, 'number', `expected a CONNACK code, got ${String(err)}`);
  return err.code as number;
}

describe('broker CONNECT (B1–B3)', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  it('B1: anonymous connection is refused with code 5 (not authorized)', async () => {
    assert.equal(await refusedCode(connect(h, undefined)), 5);
  });

  it('B1: wrong secret and unknown user are refused with code 4 (bad user name or password)', async () => {
    assert.equal(await refusedCode(connect(h, undefined, { username: 'aq-1', password: 'not-the-secret' })), 4);
    assert.equal(await refusedCode(connect(h, undefined, { username: 'nobody', password: 'x' })), 4);
    // A gateway-only sensor has no secret of its own and cannot log in directly.
    assert.equal(await refusedCode(connect(h, undefined, { username: 'wl-1', password: 'x' })), 4);
  });

  it('B1: correct secrets are accepted for sensors and gateways, and reported', async () => {
    const sensor = await connect(h, 'aq-1', { clientId: 'aq-1-ok' });
    const gateway = await connect(h, 'gw-1', { clientId: 'gw-1-ok' });
    assert.ok(sensor.connected && gateway.connected);
    assert.equal(h.broker.connectedClients, 2);
    assert.deepEqual(h.connections.filter((c) => c.connected).map((c) => [c.principal.type, c.principal.id, c.clientId]).sort(), [
      ['gateway', 'gw-1', 'gw-1-ok'],
      ['sensor', 'aq-1', 'aq-1-ok'],
    ]);
    assert.equal(await metricValue(h.metrics, 'civic_mqtt_connected_clients'), 2);
    await sensor.endAsync();
    await gateway.endAsync();
    // clientDisconnect is emitted after the socket closes; wait for both reports.
    while (h.connections.filter((c) => !c.connected).length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(h.broker.connectedClients, 0);
  });

  it('B2: an empty client id is refused with code 2 (identifier rejected)', async () => {
    assert.equal(await refusedCode(connect(h, 'aq-1', { clientId: '', clean: true })), 2);
  });

  it('B2: a client id live for another principal is refused, and its holder stays connected', async () => {
    const holder = await connect(h, 'aq-1', { clientId: 'shared-id' });
    assert.equal(await refusedCode(connect(h, 'aq-2', { clientId: 'shared-id' })), 2);
    assert.ok(holder.connected);
    // The same principal may take over its own session (§3.1.4-2), e.g. after a half-open TCP connection.
    const holderClosed = closed(holder);
    const again = await connect(h, 'aq-1', { clientId: 'shared-id' });
    await holderClosed;
    assert.ok(again.connected);
    await again.endAsync();
  });

  it('B3: a Will on another sensor status topic is refused with code 5; on its own, accepted', async () => {
    const foreign = { topic: 'sensors/air-quality/aq-2/status', payload: Buffer.from('{"online":false}'), qos: 1 as const, retain: false };
    assert.equal(await refusedCode(connect(h, 'aq-1', { will: foreign })), 5);
    const telemetryWill = { ...foreign, topic: 'sensors/air-quality/aq-1/telemetry' };
    assert.equal(await refusedCode(connect(h, 'aq-1', { will: telemetryWill })), 5);
    const gatewayForeign = { ...foreign, topic: 'sensors/parking/pk-2/status' };
    assert.equal(await refusedCode(connect(h, 'gw-1', { will: gatewayForeign })), 5);
    const own = await connect(h, 'aq-1', { will: { ...foreign, topic: 'sensors/air-quality/aq-1/status' } });
    assert.ok(own.connected);
    await own.endAsync();
  });

  it('counts accepted and refused connections', async () => {
    const accepted = await metricValue(h.metrics, 'civic_mqtt_connections_total', { result: 'accepted' });
    const refused = await metricValue(h.metrics, 'civic_mqtt_connections_total', { result: 'refused' });
    // Tests above (run in order): 5 accepted (aq-1, gw-1, holder, takeover, own will), 9 refused.
    assert.equal(accepted, 5);
    assert.equal(refused, 9);
  });
});
