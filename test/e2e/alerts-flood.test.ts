import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { addStaff } from '../../alerts/staff-tokens.ts';
import { roadFloodSensor, ZHONGLI } from '../analytics/fixtures.ts';
import { SENSOR_SECRET, startHarness, type Harness } from '../alerts/harness.ts';

/**
 * Flood scenario end to end with real parts: a sensor publishes over MQTT → a critical
 * alert reaches a staff MQTT client on alerts/# (retained), a signed webhook (verified
 * by a real HTTP receiver) and an e-mail (real SMTP server); reminders repeat until an
 * acknowledgement through the staff API stops them; resolving clears the retained
 * message; a restart of the alert runtime keeps an open alert.
 */
const sensor = roadFloodSensor('rf-e2e-1', ZHONGLI, 10);
// SV8 (AL4): one retained state per (sensor, rule).
const topic = `alerts/water-level/${ZHONGLI.code}/${sensor.id}/flood`;
const RULES = `
version: 1
# The latency loop opens and clears 20 times in a row: keep flap suppression out of its way.
flap: { maxTransitions: 100, windowMinutes: 1 }
rules:
  - id: flood
    type: threshold
    name: { zh-TW: 道路淹水, en: Road flooding }
    target: { kinds: [water-level] }
    field: floodDepth
    levels:
      - { severity: critical, above: { param: floodThresholdCm }, clear: { param: floodThresholdCm, factor: 0.5 }, label: { zh-TW: 道路積淹水, en: Road flooding } }
`;
const contacts = (url: string) => `
contacts:
  - { id: duty, name: { zh-TW: 值班台, en: Duty desk }, agency: fire, email: duty@fire.example.org, webhook: { url: "${url}", secret: "e2e-webhook-secret-0123456789abcdef" } }
  - { id: chief, name: { zh-TW: 指揮官, en: Commander }, agency: fire, email: chief@fire.example.org }
subscriptions:
  - id: flood
    contacts: [duty]
    match: { kinds: [water-level], minSeverity: warning }
    channels: [email, webhook]
    escalation: { renotifyMinutes: 0.005, escalateAfterMinutes: 0.015, to: [chief] }
`;

const connect = (url: string, username: string, password: string) =>
  new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, clientId: `${username}-${Math.random().toString(36).slice(2, 8)}`, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
async function until<T>(probe: () => T | undefined | false, what: string, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

describe('alerts end to end: flood → MQTT, webhook, e-mail, ack, resolve, restart', () => {
  let h: Harness;
  let staffToken = '';
  let operatorToken = '';
  const clients: MqttClient[] = [];

  before(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-alerts-e2e-'));
    const rulesFile = path.join(dir, 'rules.yaml');
    await writeFile(rulesFile, RULES);
    h = await startHarness({ sensors: [sensor], rulesFile, contactsYaml: contacts, dataDir: dir });
    staffToken = (await addStaff(h.alerts.store, 'mei', 'viewer', Date.now())).token;
    operatorToken = (await addStaff(h.alerts.store, 'ops', 'operator', Date.now())).token;
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await h.stop();
  });

  const api = (method: string, p: string, token: string, body?: object) =>
    fetch(h.apiUrl + '/api/v1/staff' + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

  it('staff MQTT clients are read-only on alerts/# (MQ1–MQ3)', async () => {
    const c = await connect(h.mqttUrl, 'mei', staffToken);
    clients.push(c);
    const ok = await c.subscribeAsync('alerts/#');
    assert.deepEqual(ok.map((g) => g.qos), [0]);
    // MQ2: a sensor subtree is refused with SUBACK 0x80.
    await assert.rejects(c.subscribeAsync('sensors/#'), (err: Error & { code?: number }) => err.code === 128 || /128|Unspecified|Subscribe error/.test(err.message));
    // MQ3: a staff PUBLISH is refused; aedes closes the connection (MQTT 3.1.1 §3.3.5).
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('alerts/water-level/x/y', 'forged', { qos: 1 });
    await closed;
    await assert.rejects(connect(h.mqttUrl, 'mei', 'cs_wrong'));
  });

  it('a flood reading raises one critical alert on MQTT, webhook and e-mail; reminders escalate until acknowledged', async () => {
    const staff = await connect(h.mqttUrl, 'mei', staffToken);
    clients.push(staff);
    const got: { topic: string; payload: string; retain: boolean; at: number }[] = [];
    staff.on('message', (t, p, packet) => got.push({ topic: t, payload: p.toString(), retain: packet.retain, at: Date.now() }));
    await staff.subscribeAsync('alerts/#', { qos: 1 });
    const dev = await connect(h.mqttUrl, sensor.id, SENSOR_SECRET);
    clients.push(dev);

    const sentAt = Date.now();
    await dev.publishAsync(`sensors/water-level/${sensor.id}/telemetry`, JSON.stringify({ floodDepth: 23 }), { qos: 1 });
    const msg = await until(() => got.find((m) => m.topic === topic && m.payload !== ''), 'alert on MQTT');
    const alert = JSON.parse(msg.payload);
    assert.equal(alert.severity, 'critical');
    assert.equal(alert.change, 'opened');
    assert.match(alert.message['zh-TW'], /中正路地下道：道路積淹水/);
    assert.match(alert.updatedAtLocal, /\+08:00$/);

    const hook = await until(() => h.hooks.find((x) => x.body.reason === 'opened'), 'signed webhook');
    assert.equal(hook.verified, true);
    assert.equal(hook.body.alert.id, alert.id);
    const mail = await until(() => h.mails.find((m) => m.to.includes('duty@fire.example.org')), 'e-mail');
    assert.ok(mail.data.includes(alert.id.replace(/:/g, '%3A')) || mail.data.includes(encodeURIComponent(alert.id)), 'the mail links to the alert in the API');

    // Reminders every 0.3 s, escalation to the chief after 0.9 s.
    await until(() => h.mails.some((m) => m.to.includes('chief@fire.example.org')), 'escalation e-mail to the second list');
    assert.ok(h.hooks.filter((x) => x.body.reason === 'reminder').length >= 1, 'at least one reminder before escalation');

    const ack = await api('POST', `/alerts/${encodeURIComponent(alert.id)}/acknowledge`, operatorToken);
    assert.equal(ack.status, 200);
    await new Promise((r) => setTimeout(r, 150)); // let deliveries already in flight land
    const mailsAtAck = h.mails.length;
    const hooksAtAck = h.hooks.length;
    await new Promise((r) => setTimeout(r, 1200)); // four reminder periods
    assert.equal(h.mails.length, mailsAtAck, 'no e-mail after the acknowledgement');
    assert.equal(h.hooks.length, hooksAtAck, 'no webhook after the acknowledgement');

    const detail = await (await api('GET', `/alerts/${encodeURIComponent(alert.id)}`, staffToken)).json();
    const channels = new Set(detail.deliveries.map((d: { channel: string }) => d.channel));
    assert.deepEqual([...channels].sort(), ['email', 'mqtt', 'webhook']);
    assert.ok(detail.deliveries.every((d: { status: string }) => d.status === 'sent'));

    // Resolve through the API clears the retained message.
    const res = await api('POST', `/alerts/${encodeURIComponent(alert.id)}/resolve`, operatorToken, { reason: '積水已退 / water receded' });
    assert.equal(res.status, 200);
    await until(() => got.find((m) => m.topic === topic && m.payload === ''), 'retained message cleared');
    const late = await connect(h.mqttUrl, 'mei', staffToken);
    clients.push(late);
    const retained: string[] = [];
    late.on('message', (t, p) => retained.push(`${t}=${p.toString()}`));
    await late.subscribeAsync('alerts/#');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(retained, [], 'a new subscriber gets no retained alert after resolve');
    assert.ok(msg.at - sentAt < 2000);
  });

  it('restart keeps an open alert: same id, state, retained message republished; latency sample', async () => {
    const dev = await connect(h.mqttUrl, sensor.id, SENSOR_SECRET);
    clients.push(dev);
    const staff = await connect(h.mqttUrl, 'mei', staffToken);
    clients.push(staff);
    const got: { payload: string; at: number }[] = [];
    staff.on('message', (t, p) => t === topic && got.push({ payload: p.toString(), at: performance.now() }));
    await staff.subscribeAsync('alerts/#', { qos: 1 });
    // Latency: publish → alert on MQTT, 20 flood episodes (open + clear each).
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      const n = got.length;
      const t0 = performance.now();
      await dev.publishAsync(`sensors/water-level/${sensor.id}/telemetry`, JSON.stringify({ floodDepth: 30 }), { qos: 1 });
      await until(() => got.length > n && got[got.length - 1]!.payload !== '', 'open');
      lat.push(got[got.length - 1]!.at - t0);
      const m = got.length;
      await dev.publishAsync(`sensors/water-level/${sensor.id}/telemetry`, JSON.stringify({ floodDepth: 0 }), { qos: 1 });
      await until(() => got.length > m, 'clear');
    }
    console.log(`# alert latency publish→MQTT over ${lat.length} alerts, idle machine: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`);
    await dev.publishAsync(`sensors/water-level/${sensor.id}/telemetry`, JSON.stringify({ floodDepth: 40 }), { qos: 1 });
    await until(() => h.alerts.engine.open().length === 1, 'open alert');
    const before = h.alerts.engine.open()[0]!;
    await h.alerts.service.idle();
    await h.restartAlerts();
    const afterRestart = h.alerts.engine.open();
    assert.equal(afterRestart.length, 1);
    assert.equal(afterRestart[0]!.id, before.id);
    assert.equal(afterRestart[0]!.state, 'open');
    // The retained T4 message is republished from the restored state.
    const late = await connect(h.mqttUrl, 'mei', staffToken);
    clients.push(late);
    const retained: { payload: string; retain: boolean }[] = [];
    late.on('message', (t, p, packet) => t === topic && retained.push({ payload: p.toString(), retain: packet.retain }));
    await late.subscribeAsync(topic);
    const r = await until(() => retained.find((m) => m.retain && m.payload !== ''), 'retained alert after restart');
    assert.equal(JSON.parse(r.payload).id, before.id);
    const listed = await (await api('GET', '/alerts?state=active', staffToken)).json();
    assert.deepEqual(listed.items.map((a: { id: string }) => a.id), [before.id]);
    // The same flood level after the restart neither reopens nor resolves (AE4); a low one resolves.
    await dev.publishAsync(`sensors/water-level/${sensor.id}/telemetry`, JSON.stringify({ floodDepth: 41 }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.alerts.engine.open()[0]!.id, before.id);
    await dev.publishAsync(`sensors/water-level/${sensor.id}/telemetry`, JSON.stringify({ floodDepth: 0 }), { qos: 1 });
    await until(() => h.alerts.engine.open().length === 0, 'resolved after restart');
  });
});
