import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { addStaff } from '../../alerts/index.ts';
import { connect, eventually, publish, startApp } from '../support/app.ts';
import { NEW_SENSOR, adminClient, closedOnce, connackCode, telemetry } from './helpers.ts';

type Started = Awaited<ReturnType<typeof startApp>>;

describe('live registry changes on a running pipeline (RG1, B16, TK4)', () => {
  let s: Started;
  let api: ReturnType<typeof adminClient>;
  let adminToken: string;
  const clients: MqttClient[] = [];

  before(async () => {
    s = await startApp();
    adminToken = (await addStaff(s.app.alerts.store, 'ops-admin', 'admin', Date.now())).token;
    api = adminClient(s, adminToken);
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await s.stop();
  });

  it('RG1: a sensor added through the API publishes at once (no restart), and the registry file keeps its comments (RG6)', async () => {
    const res = await api<{ sensor: { id: string; hasSecret: boolean; secretHash?: string }; secret: string }>('POST', '/sensors', NEW_SENSOR);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.sensor.id, NEW_SENSOR.id);
    assert.equal(res.body.sensor.secretHash, undefined, 'never a hash');
    assert.equal(res.body.sensor.hasSecret, true);
    // Right after the answer, with no wait: the broker already knows it.
    const c = await connect(s.mqttUrl, NEW_SENSOR.id, res.body.secret);
    clients.push(c);
    await publish(c, `sensors/air-quality/${NEW_SENSOR.id}/telemetry`, telemetry(12));
    // PUBACK came back: ingest accepted and journaled it (B9), so the sensor is known past the broker too.
    await eventually(async () => s.app.ingest.sensorStatus(NEW_SENSOR.id) !== undefined || s.app.journal.lastSeq > 0, 'the reading to be journaled', 5000);
    const text = readFileSync(path.join(s.dataDir, 'registry.yaml'), 'utf8');
    assert.match(text, /# civicstream demo registry/, 'the header comment survives');
    assert.match(text, /# ── Air quality/, 'section comments survive');
    assert.match(text, /id: aq-live-01/);
  });

  it('RG1/B16: rotating a secret through the API closes the live session; the old secret is refused, the new one accepted', async () => {
    const aq = Object.keys(s.credentials.sensors)[0] as string;
    const old = s.credentials.sensors[aq] as string;
    const c = await connect(s.mqttUrl, aq, old);
    const closed = closedOnce(c);
    const res = await api<{ secret: string }>('POST', `/sensors/${aq}/rotate-secret`);
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.secret, 'string');
    await Promise.race([closed, new Promise((_r, rej) => setTimeout(() => rej(new Error('session not closed within 1 s')), 1000))]);
    c.end(true);
    assert.equal(await connackCode(s.mqttUrl, aq, old), 4, 'old secret → CONNACK 4');
    assert.equal(await connackCode(s.mqttUrl, aq, res.body.secret), 0, 'new secret accepted');
    // The simulator's keystore learns the new secret (the demo device keeps working after a restart).
    const ks = JSON.parse(readFileSync(path.join(s.dataDir, 'simulator', 'credentials.json'), 'utf8')) as { sensors: Record<string, string> };
    assert.equal(ks.sensors[aq], res.body.secret);
  });

  it('RG4: disabling a sensor closes its session and refuses it (CONNACK 5); enabling lets it back', async () => {
    const aq = Object.keys(s.credentials.sensors)[1] as string;
    const secret = s.credentials.sensors[aq] as string;
    const c = await connect(s.mqttUrl, aq, secret);
    const closed = closedOnce(c);
    const res = await api<{ disabled?: boolean }>('PATCH', `/sensors/${aq}`, { disabled: true });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.disabled, true);
    await closed;
    c.end(true);
    assert.equal(await connackCode(s.mqttUrl, aq, secret), 5);
    assert.equal((await api('PATCH', `/sensors/${aq}`, { disabled: false })).status, 200);
    assert.equal(await connackCode(s.mqttUrl, aq, secret), 0);
    assert.doesNotMatch(readFileSync(path.join(s.dataDir, 'registry.yaml'), 'utf8'), new RegExp(`id: ${aq}\\n(?:.*\\n){0,9}?\\s+disabled:`), 'disabled: false removes the key');
  });

  it('TK4: a staff token created through the API works at once; revoked, the next API call and MQTT connect are refused and the live session is closed', async () => {
    const created = await api<{ name: string; role: string; token: string }>('POST', '/staff', { name: 'duty-officer', role: 'viewer' });
    assert.equal(created.status, 201);
    const token = created.body.token;
    const viewer = await fetch(`${s.info.url}/api/v1/staff/alerts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(viewer.status, 200);
    const c = await connect(s.mqttUrl, 'duty-officer', token);
    const closed = closedOnce(c);
    assert.equal((await api('DELETE', '/staff/duty-officer')).status, 204);
    await closed;
    c.end(true);
    const after = await fetch(`${s.info.url}/api/v1/staff/alerts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401);
    assert.notEqual(await connackCode(s.mqttUrl, 'duty-officer', token), 0);
    const list = await api<{ items: { name: string }[] }>('GET', '/staff');
    assert.ok(!list.body.items.some((i) => i.name === 'duty-officer'));
  });

  it('AD4: every change above is in the durable audit log with its actor', async () => {
    const res = await api<{ items: { at: string; actor: string; action: string; target: string }[] }>('GET', '/audit?limit=50');
    const actions = res.body.items.map((i) => i.action);
    for (const a of ['sensor.create', 'sensor.rotate-secret', 'sensor.update', 'staff.create', 'staff.revoke']) assert.ok(actions.includes(a), `${a} audited`);
    assert.ok(res.body.items.every((i) => i.actor === 'ops-admin'));
    assert.match(res.body.items[0]?.at ?? '', /\+08:00$/);
    const lines = readFileSync(path.join(s.dataDir, 'admin', 'audit.jsonl'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 5);
    assert.doesNotMatch(lines.join('\n'), /scrypt\$|cs_[A-Za-z0-9_-]{20,}/, 'no secrets or hashes in the audit log');
  });
});
