import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { makeDevCerts, revokeClient, type DevCerts } from '../../cli/certs.ts';
import { SECRETS, startBroker, type Harness } from './fixture.ts';

/** Debian's mosquitto_pub / mosquitto_sub: an independent MQTT 3.1.1 + TLS implementation. */
function run(bin: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeout = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(`/usr/bin/${bin}`, args, { timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('TLS, mutual TLS and the WebSocket listeners (B13, B37, B38)', () => {
  let h: Harness;
  let dir: string;
  let certs: DevCerts;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'civic-tls-'));
    certs = makeDevCerts(dir, { clients: ['aq-1', 'gw-1', 'stranger'] });
    h = await startBroker({
      extra: {
        tls: { host: '127.0.0.1', port: 0, certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.caCert, crlFile: certs.crl },
        deviceWebSocket: { host: '127.0.0.1', port: 0, path: '/mqtt' },
        publicWebSocket: { host: '127.0.0.1', port: 0, path: '/mqtt', maySubscribe: (f) => f.startsWith('public/') },
      },
    });
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = () => ['-h', 'localhost', '-p', String(h.ports.tlsPort), '-V', 'mqttv311', '--cafile', certs.caCert];
  const pub = (topic = 'sensors/air-quality/aq-1/telemetry') => ['-q', '1', '-t', topic, '-m', '{"pm25":4}'];

  it('B37: mosquitto_pub publishes QoS 1 over TLS with --cafile and a password', async () => {
    const before = h.inbound.length;
    const r = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'aq-1-tls', '-u', 'aq-1', '-P', SECRETS['aq-1']]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(h.inbound.length, before + 1);
    assert.equal(h.inbound.at(-1)?.clientId, 'aq-1-tls');
  });

  it('B37: over TLS a wrong password is still refused, and TLS 1.1 is refused at the handshake', async () => {
    const r = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'aq-1-tls', '-u', 'aq-1', '-P', 'wrong']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /bad user ?name or password/i);
    const socket = tlsConnect({ host: '127.0.0.1', port: h.ports.tlsPort as number, ca: readFileSync(certs.caCert), servername: 'localhost', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
    const [err] = (await once(socket, 'error').catch((e: unknown) => [e])) as [Error];
    assert.ok(err instanceof Error);
  });

  it('B38: mosquitto_pub with --cert/--key and no password is the sensor its certificate names', async () => {
    const before = h.inbound.length;
    const r = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'aq-1-mtls', '--cert', certs.clients['aq-1']!.cert, '--key', certs.clients['aq-1']!.key]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(h.inbound.length, before + 1);
    assert.deepEqual(h.inbound.at(-1)?.principal, { type: 'sensor', id: 'aq-1' });
  });

  it('B38: the certificate is the identity: another sensor topic is refused, a mismatching username too, an unregistered name too', async () => {
    const other = await run('mosquitto_pub', [...tls(), ...pub('sensors/air-quality/aq-2/telemetry'), '-i', 'aq-1-mtls-2', '--cert', certs.clients['aq-1']!.cert, '--key', certs.clients['aq-1']!.key]);
    // B4: NOT_AUTHORIZED closes the connection without PUBACK.
    assert.notEqual(other.code, 0);
    const mismatch = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'x-mtls', '-u', 'aq-2', '-P', SECRETS['aq-2'], '--cert', certs.clients['aq-1']!.cert, '--key', certs.clients['aq-1']!.key]);
    assert.notEqual(mismatch.code, 0);
    assert.match(mismatch.stderr, /not authori[sz]ed/i);
    const stranger = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'stranger', '--cert', certs.clients['stranger']!.cert, '--key', certs.clients['stranger']!.key]);
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.stderr, /not authori[sz]ed/i);
  });

  it('B38: mosquitto_sub with the gateway certificate receives its sensor status', async () => {
    const sub = run('mosquitto_sub', [...tls(), '-i', 'gw-1-mtls', '--cert', certs.clients['gw-1']!.cert, '--key', certs.clients['gw-1']!.key, '-t', 'sensors/parking/pk-1/status', '-C', '1', '-W', '8']);
    // Publish until the subscription is in place (mosquitto_sub has no "subscribed" signal).
    let r: Awaited<typeof sub> | undefined;
    void sub.then((x) => (r = x));
    for (let i = 0; i < 80 && r === undefined; i++) {
      await h.broker.publish('sensors/parking/pk-1/status', '{"online":true}', { qos: 0 });
      await new Promise((res) => setTimeout(res, 100));
    }
    const done = await sub;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), '{"online":true}');
  });

  it('B38: a revoked certificate stops working after reloadTls (SIGHUP), without a restart', async () => {
    revokeClient(certs, 'aq-1');
    h.broker.reloadTls();
    const r = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'aq-1-revoked', '--cert', certs.clients['aq-1']!.cert, '--key', certs.clients['aq-1']!.key]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not authori[sz]ed/i);
    // Password login over TLS still works for the same sensor.
    const pw = await run('mosquitto_pub', [...tls(), ...pub(), '-i', 'aq-1-pw', '-u', 'aq-1', '-P', SECRETS['aq-1']]);
    assert.equal(pw.code, 0, pw.stderr);
  });

  it('B37: a device publishes QoS 1 through mqtt.js over WSS with the same credentials and ACLs', async () => {
    const before = h.inbound.length;
    const c = await mqtt.connectAsync(`wss://localhost:${h.ports.deviceWsPort}/mqtt`, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'aq-2-wss', username: 'aq-2', password: SECRETS['aq-2'], ca: readFileSync(certs.caCert) });
    try {
      await c.publishAsync('sensors/air-quality/aq-2/telemetry', '{"pm25":9}', { qos: 1 });
      assert.equal(h.inbound.length, before + 1);
      assert.equal(h.inbound.at(-1)?.clientId, 'aq-2-wss');
      const gone = new Promise((res) => c.once('close', () => res(undefined)));
      c.publish('sensors/air-quality/aq-1/telemetry', '{}', { qos: 1 }); // B4 on WSS too
      await gone;
    } finally {
      await c.endAsync(true);
    }
    const anon = await mqtt.connectAsync(`wss://localhost:${h.ports.deviceWsPort}/mqtt`, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'anon-wss', ca: readFileSync(certs.caCert) }).then(
      (cl) => (cl.end(true), 0),
      (e: { code?: number }) => e.code,
    );
    assert.equal(anon, 5, 'no anonymous devices on the device listener');
  });

  it('B13: the public WebSocket listener refuses any credentials with code 5 and admits anonymous readers', async () => {
    const url = `ws://127.0.0.1:${h.ports.wsPort}/mqtt`;
    const code = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'aq-1-public', username: 'aq-1', password: SECRETS['aq-1'] }).then(
      (cl) => (cl.end(true), 0),
      (e: { code?: number }) => e.code,
    );
    assert.equal(code, 5);
    const before = h.inbound.length;
    const reader = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'reader' });
    try {
      const granted = await reader.subscribeAsync('public/#');
      assert.equal(granted[0]?.qos, 0);
      const gone = new Promise((res) => reader.once('close', () => res(undefined)));
      reader.publish('sensors/air-quality/aq-1/telemetry', '{}', { qos: 1 });
      await gone;
      assert.equal(h.inbound.length, before, 'nothing from the public listener is stored');
    } finally {
      await reader.endAsync(true);
    }
  });
});
