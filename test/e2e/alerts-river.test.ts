import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { addStaff } from '../../alerts/staff-tokens.ts';
import { TAOYUAN, riverSensor } from '../analytics/fixtures.ts';
import { SENSOR_SECRET, startHarness, type Harness } from '../alerts/harness.ts';

/**
 * AL1 AL3 AL4 end to end with real parts: a river station publishes the rise level 3 → 2
 * → 1 and the recession over MQTT; a `minSeverity: warning` subscriber gets exactly
 * opened (level 2) → updated (level 1) → updated (level 2) → left (level 3), by e-mail on a
 * real SMTP server and by a webhook whose signature a real receiver verifies; a clean
 * restart of the alert runtime in the middle adds no notice; a staff MQTT client that
 * subscribes at any point gets, retained, every open alert of the station.
 */
const river = riverSensor('wl-e2e-river', TAOYUAN); // levels 3/2/1 = 2 / 3 / 4 m
const base = `alerts/water-level/${TAOYUAN.code}/${river.id}`;
const RULES = `
version: 1
rules:
  - id: river
    type: threshold
    name: { zh-TW: 河川水位警戒, en: River warning level }
    target: { params: { station: river } }
    field: currentLevel
    levels:
      - { severity: critical, above: { param: warningLevels.level1 }, label: { zh-TW: 一級警戒, en: Warning level 1 } }
      - { severity: warning, above: { param: warningLevels.level2 }, label: { zh-TW: 二級警戒, en: Warning level 2 } }
      - { severity: advisory, above: { param: warningLevels.level3 }, label: { zh-TW: 三級警戒, en: Warning level 3 } }
  - id: river.stuck
    type: stuck
    name: { zh-TW: 水位計數值凍結, en: Level gauge frozen }
    target: { params: { station: river } }
    field: currentLevel
    count: 2
    severity: advisory
    label: { zh-TW: 數值未變, en: Value unchanged }
`;
const contacts = (url: string) => `
contacts:
  - { id: flood, name: { zh-TW: 防汛中心, en: Flood centre }, agency: water, email: flood@water.example.org, webhook: { url: "${url}", secret: "e2e-webhook-secret-0123456789abcdef" } }
subscriptions:
  - { id: flood-warning, contacts: [flood], match: { kinds: [water-level], rules: [river], minSeverity: warning }, channels: [email, webhook] }
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

describe('river rise and recession end to end (AL1 AL3 AL4: real MQTT, SMTP, signed webhook)', () => {
  let h: Harness;
  let token = '';
  const clients: MqttClient[] = [];
  before(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-river-e2e-'));
    const rulesFile = path.join(dir, 'rules.yaml');
    await writeFile(rulesFile, RULES);
    h = await startHarness({ sensors: [river], rulesFile, contactsYaml: contacts, dataDir: dir });
    token = (await addStaff(h.alerts.store, 'duty', 'viewer', Date.now())).token;
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await h.stop();
  });

  /** A staff client joining now: the retained (sensor, rule) states it receives. */
  const retainedNow = async (): Promise<Map<string, { severity: string }>> => {
    const c = await connect(h.mqttUrl, 'duty', token);
    clients.push(c);
    const got = new Map<string, { severity: string }>();
    c.on('message', (t, p, packet) => {
      if (packet.retain && p.length > 0 && t.startsWith(`${base}/`)) got.set(t, JSON.parse(p.toString()));
    });
    await c.subscribeAsync(`${base}/#`, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    c.end(true);
    return got;
  };
  const expectRetained = async (when: string) => {
    const open = h.alerts.engine.open();
    const got = await retainedNow();
    assert.deepEqual([...got.keys()].sort(), open.map((a) => `${base}/${a.ruleId}`).sort(), `retained = open alerts (${when})`);
    for (const a of open) assert.equal(got.get(`${base}/${a.ruleId}`)!.severity, a.severity, when);
  };

  it('the warning subscriber hears level 2, level 1, level 2 and the fall below its threshold, once each, across a restart', { timeout: 60_000 }, async () => {
    const dev = await connect(h.mqttUrl, river.id, SENSOR_SECRET);
    clients.push(dev);
    const reasons = () => h.hooks.map((x) => `${x.body.reason}:${x.body.alert.severity}`);
    const send = async (m: number) => {
      await dev.publishAsync(`sensors/water-level/${river.id}/telemetry`, JSON.stringify({ currentLevel: m }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 150));
      await h.alerts.service.idle();
    };
    await send(2.5); // level 3: below the subscription
    await expectRetained('level 3');
    assert.deepEqual(reasons(), []);
    await send(3.5); // level 2
    await until(() => h.hooks.length === 1, 'notice at level 2');
    await send(3.5); // unchanged: the stuck rule opens too (a second rule on the same sensor)
    await expectRetained('level 2 + stuck');
    await h.restartAlerts(); // a clean restart in the middle
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(reasons(), ['opened:warning'], 'the restart added no notice');
    await expectRetained('after the restart');
    await send(4.5); // level 1
    await until(() => h.hooks.length === 2, 'notice at level 1');
    await send(3.6); // back to level 2
    await until(() => h.hooks.length === 3, 'notice back at level 2');
    await expectRetained('recession, level 2');
    await send(2.4); // level 3: leaves the warning view
    await until(() => h.hooks.length === 4, 'notice of the fall below warning');
    await send(1.0); // resolved: the subscriber was already told it left
    await new Promise((r) => setTimeout(r, 300));
    await expectRetained('resolved');
    assert.deepEqual(reasons(), ['opened:warning', 'updated:critical', 'updated:warning', 'left:advisory']);
    assert.ok(h.hooks.every((x) => x.verified), 'every webhook signature verified');
    const mails = await until(() => h.mails.length >= 4 && h.mails, 'four e-mails');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.mails.length, 4, 'one e-mail per notice');
    const subjects = mails.map((m) => /Subject: ([^\r\n]*(?:\r?\n [^\r\n]*)*)/.exec(m.data)?.[1] ?? '');
    assert.equal(subjects.length, 4);
    assert.ok(mails.every((m) => m.to.join() === 'flood@water.example.org'));
  });
});
