import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { addStaff } from '../../alerts/index.ts';
import { App } from '../../app/app.ts';
import { loadConfig } from '../../app/config.ts';

export interface Credentials {
  sensors: Record<string, string>;
  gateways: Record<string, string>;
}

/** Starts the whole pipeline in-process on free ports with a fresh data directory. */
export async function startApp(overrides: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-e2e-'));
  const config = loadConfig({}, { dataDir, 'mqtt.port': 0, 'mqtt.publicWsPort': 0, 'http.port': 0, 'simulate.enabled': false, 'analytics.tickMs': 100, 'log.level': 'silent', ...overrides });
  const app = new App(config, pino({ level: 'silent' }));
  const info = await app.start();
  const credentials = JSON.parse(readFileSync(path.join(config.dataDir, 'simulator', 'credentials.json'), 'utf8')) as Credentials;
  // A real staff token (viewer) for staff-only routes: alerts (AL9), dead letters (OD-P1).
  const viewerToken = (await addStaff(app.alerts.store, 'test-viewer', 'viewer', Date.now())).token;
  return {
    viewerToken,
    staffJson: async <T = unknown>(p: string) => (await (await fetch(info.url + p, { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as T,
    app,
    info,
    dataDir,
    credentials,
    mqttUrl: `mqtt://127.0.0.1:${info.mqttPort}`,
    get: async (p: string) => {
      const res = await fetch(info.url + p);
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    // AL9: /api/v1/alerts is staff only; the helper reads it as a viewer.
    json: async <T = unknown>(p: string) => (await (await fetch(info.url + p, { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as T,
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function connect(url: string, username: string, password: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, clientId: `${username}-${Math.random().toString(36).slice(2, 8)}`, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

export function publish(c: MqttClient, topic: string, payload: string, qos: 0 | 1 = 1): Promise<void> {
  return new Promise((resolve, reject) => c.publish(topic, payload, { qos }, (err) => (err ? reject(err) : resolve())));
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
