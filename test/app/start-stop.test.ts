import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { App } from '../../app/app.ts';
import { loadConfig } from '../../app/config.ts';

/** One sensor that reports every second, and one freshness rule: silent after 1 × its interval. */
const REGISTRY = `districts:
  - { code: "68000020", name: { zh-TW: 中壢區, en: Zhongli District } }
sensors:
  - { id: aq-stop-1, kind: air-quality, name: { zh-TW: 停止順序測站, en: Stop-order station }, district: "68000020", location: { lat: 24.95, lon: 121.22 }, intervalSeconds: 1, params: { pollutants: [pm25] } }
`;
const RULES = `version: 1
rules:
  - id: test.silent
    type: freshness
    name: { zh-TW: 無資料, en: Silent }
    factor: 1
    severity: warning
    label: { zh-TW: 超過回報間隔無資料, en: No data for one reporting interval }
`;

interface Rec {
  t: string;
  v: { type?: string; alert?: { ruleId: string; subject: string; state: string } };
}
const changesIn = (dir: string): Rec['v'][] =>
  readFileSync(path.join(dir, 'alerts', 'alert-state.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec)
    .filter((r) => r.t === 'change')
    .map((r) => r.v);

function appOn(dataDir: string, rulesFile: string): App {
  // One tick at start and one at stop only (the interval is an hour): the final tick is the one that opens the alert.
  const config = loadConfig({}, { dataDir, 'mqtt.port': 0, 'mqtt.publicWsPort': -1, 'http.port': 0, 'simulate.enabled': false, 'analytics.tickMs': 3_600_000, 'alerts.ruleFiles': [rulesFile], 'log.level': 'silent' });
  return new App(config, pino({ level: 'silent' }));
}

test('SU4: an alert change emitted by the final tick at stop is in alert-state.jsonl, and the next start restores it', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-stop-order-'));
  try {
    writeFileSync(path.join(dataDir, 'registry.yaml'), REGISTRY);
    const rulesFile = path.join(dataDir, 'rules.yaml');
    writeFileSync(rulesFile, RULES);

    const first = appOn(dataDir, rulesFile);
    await first.start();
    // The first tick starts the sensor's silence clock; nothing is open yet.
    assert.deepEqual(first.alerts.engine.open(), []);
    await new Promise((r) => setTimeout(r, 1_500)); // the sensor is now silent for longer than its interval
    await first.stop();

    const opened = changesIn(dataDir).filter((c) => c.type === 'opened' && c.alert?.ruleId === 'test.silent');
    assert.equal(opened.length, 1, 'the final tick opened the silence alert and recorded it before the alert store closed');
    assert.equal(opened[0]!.alert!.subject, 'aq-stop-1');

    const second = appOn(dataDir, rulesFile);
    await second.start();
    try {
      assert.deepEqual(
        second.alerts.store.openAlerts().map((a) => [a.ruleId, a.subject]),
        [['test.silent', 'aq-stop-1']],
      );
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const listenOn = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
const close = (srv: Server): Promise<void> => new Promise((r) => srv.close(() => r()));

test('SU2: a start that fails at the HTTP port stops what had started: the MQTT port is free again and the data directory opens at once', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-rollback-'));
  const busy = await listenOn(0);
  const probe = await listenOn(0);
  const mqttPort = (probe.address() as { port: number }).port;
  await close(probe);
  try {
    const base = { dataDir, 'mqtt.port': mqttPort, 'mqtt.publicWsPort': -1, 'simulate.enabled': false, 'log.level': 'silent' };
    const app = new App(loadConfig({}, { ...base, 'http.port': (busy.address() as { port: number }).port }), pino({ level: 'silent' }));
    await assert.rejects(app.start(), (err: Error & { code?: string }) => err.code === 'PORT_IN_USE');
    // No app.stop(): the failed start already stopped the broker's listeners, the alert service, the journal and the store.
    await close(await listenOn(mqttPort));
    const again = new App(loadConfig({}, { ...base, 'http.port': 0 }), pino({ level: 'silent' }));
    const info = await again.start();
    await again.stop();
    assert.equal(info.mqttPort, mqttPort);
  } finally {
    await close(busy);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
