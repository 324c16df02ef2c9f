import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { DEFAULT_RULES } from '../../app/app.ts';
import { addStaff, verifyWebhook } from '../../alerts/index.ts';
import { PasswordFile } from '../../exporter/console/index.ts';
import { buildConsole } from '../../scripts/build-console.mjs';
import { connect, eventually, publish, startApp } from '../support/app.ts';
import { axeSerious, launch, screenshot, type Browser } from './browser.ts';

/**
 * The console and the public page in Debian's chromium against a whole pipeline started
 * here on free ports (CO1–CO9). A river station publishes over MQTT with mqtt.js; the
 * critical alert must reach the board within 2 s of the PUBACK of the triggering reading.
 * A drill rule (capStatus Exercise, public) and a staff-only rule fire on the same reading:
 * the board shows both, the public page neither. A real HTTP receiver on a free port is the
 * escalation contact's webhook: reminders for the unacknowledged critical alert arrive there
 * every 0.6 s (renotifyMinutes: 0.01) until the acknowledgement in the browser stops them (AL2).
 */
const RIVER = 'wl-nankan-taoyuan'; // warning levels 94.2 / 95.0 / 95.8 m in the demo registry
const EXTRA_RULES = `
version: 1
rules:
  - id: drill.river
    type: threshold
    public: true
    capStatus: Exercise
    name: { zh-TW: 防汛演習, en: Flood drill }
    target: { kinds: [water-level], params: { station: river } }
    field: currentLevel
    levels:
      - { severity: warning, above: { param: warningLevels.level2 }, clear: { param: warningLevels.level2, offset: -0.1 }, label: { zh-TW: 演習狀況水位, en: Drill scenario level } }
  - id: staff.river
    type: threshold
    name: { zh-TW: 內部水位觀察, en: Internal stage watch }
    target: { kinds: [water-level], params: { station: river } }
    field: currentLevel
    levels:
      - { severity: advisory, above: { param: warningLevels.level3 }, clear: { param: warningLevels.level3, offset: -0.1 }, label: { zh-TW: 內部觀察水位, en: Internal watch level } }
`;
const WEBHOOK_SECRET = 'console-test-webhook-secret-0123456789';
const REMIND_MS = 600;
const contacts = (url: string) => `
contacts:
  - { id: flood-desk, name: { zh-TW: 防汛值班台, en: Flood duty desk }, agency: water, webhook: { url: "${url}", secret: "${WEBHOOK_SECRET}" } }
subscriptions:
  - id: river-critical
    contacts: [flood-desk]
    match: { rules: [water.river.warning], minSeverity: critical }
    channels: [webhook]
    escalation: { renotifyMinutes: ${REMIND_MS / 60_000}, escalateAfterMinutes: 600, to: [flood-desk] }
`;

describe('console and public page in chromium (CO1–CO9)', () => {
  let env: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  let page: Page;
  let sensor: MqttClient;
  let token = '';
  let receiver: Server;
  /** Every webhook the pipeline delivered, with its signature checked (WH1). */
  const hooks: { reason: string; alertId: string; verified: boolean; at: number }[] = [];
  const PASSWORD = 'duty-officer-2026';

  before(async () => {
    await buildConsole();
    const dir = (await import('node:fs')).mkdtempSync(path.join((await import('node:os')).tmpdir(), 'civic-console-rules-'));
    const extra = path.join(dir, 'extra-rules.yaml');
    writeFileSync(extra, EXTRA_RULES);
    receiver = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw) as { reason: string; alert: { id: string } };
        hooks.push({ reason: body.reason, alertId: body.alert.id, verified: verifyWebhook(WEBHOOK_SECRET, req.headers, raw, Date.now()).ok, at: Date.now() });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const contactsFile = path.join(dir, 'contacts.yaml');
    writeFileSync(contactsFile, contacts(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`));
    env = await startApp({ 'alerts.ruleFiles': [DEFAULT_RULES, extra], 'alerts.contactsFile': contactsFile, 'mqtt.publicWsPort': -1 });
    await PasswordFile.inDataDir(env.dataDir).set('duty', 'operator', PASSWORD);
    token = (await addStaff(env.app.alerts.store, 'api-reader', 'viewer', Date.now())).token;
    sensor = await connect(env.mqttUrl, RIVER, env.credentials.sensors[RIVER]!);
    browser = await launch();
    page = await browser.context.newPage();
  });
  after(async () => {
    sensor?.end(true);
    await browser?.close();
    await env?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  it('CO5 CO6 the public page is served by the pipeline with its assets, no outside origin, accessible', async () => {
    const res = await env.get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(env.info.url)) outside.push(r.url());
    });
    await page.goto(env.info.url + '/');
    await page.waitForSelector('[data-testid="public-sensors"]');
    await page.waitForSelector('[data-testid="no-public-alerts"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-TW');
    assert.ok(await page.getByRole('link', { name: /政府資料開放授權條款/ }).count(), 'licence link');
    assert.ok(await page.locator('a[href="/docs"]').count(), 'API docs link');
    assert.deepEqual(outside.filter((u) => !u.startsWith('https://data.gov.tw/')), []);
    const paint = await page.evaluate(() => performance.getEntriesByType('paint').map((p) => [p.name, Math.round(p.startTime)]));
    process.stdout.write(`# public page paint timings (ms): ${JSON.stringify(paint)}\n`);
    assert.deepEqual(await axeSerious(page), []);
    await screenshot(page, 'public-page');
    const asset = (await page.evaluate(() => [...document.scripts].map((s) => s.src).find((s) => s.includes('/assets/'))))!;
    const a = await fetch(asset);
    assert.match(a.headers.get('cache-control') ?? '', /immutable/);
  });

  it('CO1 CO4 a wrong password is refused; the right one signs in with an httpOnly SameSite=Strict cookie', async () => {
    await page.goto(env.info.url + '/console');
    await page.fill('input[name="username"]', 'duty');
    await page.fill('input[name="password"]', 'not-the-password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.error');
    assert.match((await page.textContent('.error')) ?? '', /帳號或密碼錯誤/);
    assert.deepEqual(await axeSerious(page), []);
    await screenshot(page, 'console-sign-in');
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="alert-board"]');
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'civic_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    // The stream is live before anything is published.
    await page.waitForSelector('[data-testid="stream-state"].live');
  });

  it('CO9 a critical river reading published over MQTT appears on the board within 2 s; drill and staff-only alerts show here', async () => {
    const t0 = Date.now() - 60_000;
    await publish(sensor, `sensors/water-level/${RIVER}/telemetry`, JSON.stringify({ dateObserved: t0, currentLevel: 96.4 }));
    await publish(sensor, `sensors/water-level/${RIVER}/telemetry`, JSON.stringify({ dateObserved: t0 + 30_000, currentLevel: 96.5 }));
    const acked = Date.now(); // PUBACK of the triggering reading (the rule needs 2 in a row)
    await page.waitForSelector('tr[data-rule="water.river.warning"]', { timeout: 2000 });
    const seenMs = Date.now() - acked;
    process.stdout.write(`# critical alert on the board ${seenMs} ms after PUBACK\n`);
    assert.ok(seenMs < 2000);
    const row = page.locator('tr[data-rule="water.river.warning"]');
    assert.match((await row.textContent()) ?? '', /嚴重/);
    await page.waitForSelector('tr[data-rule="drill.river"]', { timeout: 2000 });
    await page.waitForSelector('tr[data-rule="staff.river"]', { timeout: 2000 });
    assert.deepEqual(await axeSerious(page), []);
    await screenshot(page, 'console-alert-board');
  });

  it('CO9 AL2 acknowledge changes the state on the board and in the staff API (session cookie + CSRF token); the webhook reminders stop', async () => {
    const row = page.locator('tr[data-rule="water.river.warning"]');
    const alertId = (await row.getAttribute('data-alert-id'))!;
    const forAlert = () => hooks.filter((h) => h.alertId === alertId);
    // Before the acknowledgement: the opening notice and at least one reminder reached the receiver.
    await eventually(async () => forAlert().some((h) => h.reason === 'reminder'), 'a webhook reminder before the acknowledgement', 10 * REMIND_MS);
    assert.ok(forAlert().some((h) => h.reason === 'opened'), `opening notice: ${forAlert().map((h) => h.reason).join(', ')}`);
    assert.ok(forAlert().every((h) => h.verified), 'every webhook is signed');
    process.stdout.write(`# webhooks before the acknowledgement: ${forAlert().map((h) => h.reason).join(', ')}\n`);
    await row.getByRole('button', { name: '確認' }).click();
    await page.waitForSelector('tr[data-rule="water.river.warning"][data-state="acknowledged"]', { timeout: 3000 });
    assert.equal((await row.locator('td.state').textContent())?.trim(), '已確認');
    const id = (await row.getAttribute('data-alert-id'))!;
    const api = await (await fetch(`${env.info.url}/api/v1/staff/alerts/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } })).json() as { alert: { state: string }; history: { by?: string }[] };
    assert.equal(api.alert.state, 'acknowledged');
    const audit = env.app.alerts.store.audit.map((a) => `${a.actor}:${a.action}`);
    assert.ok(audit.some((a) => a.startsWith('duty:') && a.includes('ack')), `audit has the console user: ${audit.join(', ')}`);
    // After it: a reminder already in flight may still land; then nothing for this alert over 4 reminder periods.
    await new Promise((r) => setTimeout(r, REMIND_MS / 2));
    const atAck = forAlert().length;
    await new Promise((r) => setTimeout(r, 4 * REMIND_MS));
    assert.deepEqual(forAlert().slice(atAck).map((h) => h.reason), [], 'no webhook after the acknowledgement');
  });

  it("an alert's page shows its history, deliveries, a note added here and the readings chart with the rule threshold and warning lines", async () => {
    const id = (await page.locator('tr[data-rule="water.river.warning"]').getAttribute('data-alert-id'))!;
    const detail = await (await fetch(`${env.info.url}/api/v1/staff/alerts/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } })).json() as { alert: { threshold: number } };
    const p = await browser.context.newPage();
    await p.goto(`${env.info.url}/console#/alert/${encodeURIComponent(id)}`);
    await p.waitForSelector('[data-testid="alert-summary"][data-state="acknowledged"]');
    // History: the opening and the acknowledgement by the console user.
    await p.waitForSelector('[data-testid="alert-history"] tr[data-type="opened"]');
    const ackRow = p.locator('[data-testid="alert-history"] tbody tr[data-state="acknowledged"]');
    assert.ok(await ackRow.count() >= 1, 'an acknowledged history entry');
    assert.match((await ackRow.first().textContent()) ?? '', /duty/);
    // Deliveries: the signed webhook that opened it, and the reminders the receiver saw.
    const hook = p.locator('[data-testid="alert-deliveries"] tr[data-channel="webhook"][data-reason="opened"][data-status="sent"]');
    assert.equal(await hook.count(), 1);
    assert.match((await hook.textContent()) ?? '', /新警報.*已送達/);
    assert.ok(await p.locator('[data-testid="alert-deliveries"] tr[data-channel="webhook"][data-reason="reminder"]').count() >= 1, 'a reminder delivery');
    // A note through the form: shown on the page and kept by the staff API under the console user.
    const text = '已通知現場人員前往南崁溪 / field crew sent to the Nankan River';
    await p.fill('[data-testid="note-form"] input[name="note"]', text);
    await p.click('[data-testid="note-form"] button[type="submit"]');
    await p.waitForSelector(`[data-testid="alert-notes"] li:has-text("${text}")`);
    assert.match((await p.textContent('[data-testid="alert-notes"]')) ?? '', /duty/);
    assert.equal(await p.inputValue('[data-testid="note-form"] input[name="note"]'), '');
    const after = await (await fetch(`${env.info.url}/api/v1/staff/alerts/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } })).json() as { notes: { by: string; text: string }[] };
    assert.deepEqual(after.notes.map((n) => [n.by, n.text]), [['duty', text]]);
    // The chart: uPlot drew the readings, with the rule's threshold and the warning levels as series.
    await p.waitForSelector('[data-testid="alert-chart"] .uplot canvas', { timeout: 10_000 });
    const chart = p.locator('[data-testid="alert-chart"]');
    assert.ok(Number(await chart.getAttribute('data-points')) >= 2, 'the two published readings are in the chart');
    const drawn = ((await chart.getAttribute('data-lines')) ?? '').split('|');
    assert.ok(drawn.includes(`規則門檻 ${detail.alert.threshold}`), `rule threshold among ${drawn.join(', ')}`);
    assert.ok(drawn.includes('一級警戒 95.8') && drawn.includes('二級警戒 95') && drawn.includes('三級警戒 94.2'), `warning levels among ${drawn.join(', ')}`);
    const legend = await p.locator('[data-testid="alert-chart"] .u-legend .u-label').allTextContents();
    for (const l of drawn) assert.ok(legend.includes(l), `uPlot series "${l}" in the legend: ${legend.join(', ')}`);
    assert.deepEqual(await axeSerious(p), []);
    await screenshot(p, 'console-alert-page');
    await p.close();
  });

  it('CO3 an unsafe request with the cookie but without the CSRF token is not authenticated', async () => {
    const id = (await page.locator('tr[data-rule="staff.river"]').getAttribute('data-alert-id'))!;
    const status = await page.evaluate(async (u) => (await fetch(u, { method: 'POST', credentials: 'same-origin' })).status, `/api/v1/staff/alerts/${encodeURIComponent(id)}/acknowledge`);
    assert.equal(status, 401);
  });

  it('the public page shows the Actual public alert, never the drill or the staff-only one', async () => {
    const pub = await browser.context.newPage();
    await pub.goto(env.info.url + '/');
    await pub.waitForFunction(() => document.querySelectorAll('[data-testid="public-alerts"] li').length > 0, null, { timeout: 10_000 });
    const text = (await pub.textContent('[data-testid="public-alerts"]')) ?? '';
    assert.match(text, /一級警戒/);
    assert.doesNotMatch(text, /演習|內部/);
    const atom = await env.get('/open-data/v1/alerts/atom.xml');
    assert.doesNotMatch(atom.text, /演習|內部/);
    await pub.close();
  });

  it('resolve with a reason removes the alert from the board', async () => {
    const row = page.locator('tr[data-rule="water.river.warning"]');
    const id = (await row.getAttribute('data-alert-id'))!;
    await row.getByRole('button', { name: '解除' }).click();
    await row.locator('input[name="reason"]').fill('水位已退，現場確認 / water receded, checked on site');
    await row.locator('form button[type="submit"]').click();
    await page.waitForSelector('tr[data-rule="water.river.warning"]', { state: 'detached', timeout: 3000 });
    const api = await (await fetch(`${env.info.url}/api/v1/staff/alerts/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } })).json() as { alert: { state: string } };
    assert.equal(api.alert.state, 'resolved');
  });

  it('CO7 the language switch persists across a reload; times are +08:00', async () => {
    await page.getByRole('button', { name: '切換語言' }).click();
    await page.waitForSelector('h1:has-text("Staff console")');
    await page.reload();
    await page.waitForSelector('h1:has-text("Staff console")');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.goto(env.info.url + '/');
    await page.waitForSelector('h1:has-text("City sensors")');
    assert.match((await page.textContent('footer')) ?? '', /\+08:00/);
    await page.getByRole('button', { name: 'Switch language' }).click();
    await page.waitForSelector('h1:has-text("城市感測資料")');
  });

  it('a sensor page draws its readings with uPlot and the warning lines', async () => {
    await page.goto(`${env.info.url}/console#/sensor/${RIVER}`);
    await page.waitForSelector('[data-testid="sensor-chart"] .uplot canvas', { timeout: 10_000 });
    await page.waitForFunction(() => /2/.test(document.querySelector('[data-testid="point-count"]')?.textContent ?? ''));
    const legend = (await page.textContent('[data-testid="sensor-chart"]')) ?? '';
    assert.match(legend, /一級警戒 95\.8/);
    assert.match((await page.textContent('[data-testid="eta"]')) ?? '', /警戒/);
    assert.deepEqual(await axeSerious(page), []);
    await screenshot(page, 'console-sensor-page');
  });

  it('CO8 the map draws every registry sensor on one canvas; pipeline health and the sensor list render', async () => {
    await page.goto(`${env.info.url}/console#/map`);
    await page.waitForSelector('[data-testid="console-map"] canvas.leaflet-zoom-animated');
    const n = await page.evaluate(() => Number(document.querySelector('#h-map .muted')?.textContent?.replace(/\D/g, '')));
    assert.equal(n, env.app.registry.size);
    await screenshot(page, 'console-map');
    const qualityRequests: string[] = [];
    const countQuality = (r: { url(): string }) => { if (r.url().includes('/api/v1/quality')) qualityRequests.push(r.url()); };
    page.on('request', countQuality);
    await page.goto(`${env.info.url}/console#/sensors`);
    await page.waitForSelector(`[data-testid="sensor-list"] a[href="#/sensor/${RIVER}"]`);
    // Completeness (DQ1) per sensor from one quality request: the river station has readings.
    const q = await env.json<{ sensors: { sensorId: string; completeness: number | null; stored: number }[] }>('/api/v1/quality?hours=24');
    const river = q.sensors.find((x) => x.sensorId === RIVER)!;
    assert.ok(river.stored >= 2 && river.completeness! > 0, `quality API: ${JSON.stringify(river)}`);
    const cell = page.locator(`[data-testid="sensor-list"] tr:has(a[href="#/sensor/${RIVER}"]) td.completeness`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-completeness') !== '', `[data-testid="sensor-list"] tr:has(a[href="#/sensor/${RIVER}"]) td.completeness`);
    assert.equal(Number(await cell.getAttribute('data-completeness')), river.completeness);
    assert.match((await cell.textContent()) ?? '', /^[1-9]\d*(\.\d)? %$/);
    assert.match((await page.textContent('[data-testid="sensor-list"] thead')) ?? '', /完整率（24 小時）/);
    page.off('request', countQuality);
    // CO11: one completeness request per list load, however many sensors the list shows.
    assert.equal(qualityRequests.length, 1, `one quality request for the whole list: ${qualityRequests.join(', ')}`);
    assert.deepEqual(await axeSerious(page), []);
    await page.goto(`${env.info.url}/console#/domains`);
    await page.waitForSelector(`#hydro-${RIVER} .uplot canvas`, { timeout: 10_000 });
    assert.match((await page.textContent(`#hydro-${RIVER}`)) ?? '', /一級警戒 95\.8/);
    await page.getByRole('tab', { name: '空氣品質' }).click();
    await page.waitForSelector('[data-testid="domain-air"]');
    assert.deepEqual(await axeSerious(page), []);
    await page.goto(`${env.info.url}/console#/health`);
    await page.waitForSelector('[data-testid="health-components"] th:has-text("journal")');
    await screenshot(page, 'console-health');
  });

  it('CO2 sign-out ends the session: the staff API refuses the old cookie', async () => {
    await page.goto(`${env.info.url}/console`);
    await page.getByRole('button', { name: '登出' }).click();
    await page.waitForSelector('input[name="username"]');
    const status = await page.evaluate(async () => (await fetch('/api/v1/staff/alerts')).status);
    assert.equal(status, 401);
  });
});
