import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { App } from '../../app/app.ts';
import { loadConfig } from '../../app/config.ts';
import mqtt from 'mqtt';
import { STA_MQTT_CONFORMANCE, staTopicOf } from '../../exporter/open-data/index.ts';
import { connect, publish, startApp } from '../support/app.ts';

/** The whole pipeline on free ports: what an anonymous client on the network can and cannot do (OD-P1…OD-P6). */
describe('public surface of the running pipeline (OD-P1–OD-P6)', () => {
  const LIMIT = 6;
  let env: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    env = await startApp({ 'http.rateLimitMax': LIMIT, 'http.rateLimitWindowSeconds': 60 });
  });
  after(async () => {
    await env.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(env.info.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('OD-P3 malformed and oversized JSON bodies to /api/v1/staff/* answer 400/413 with a code, without a token too', async () => {
    const bad = await post('/api/v1/staff/alerts/x/resolve', '{"reason": ');
    assert.equal(bad.status, 400);
    const badBody = (await bad.json()) as { error: { code: string; 'zh-TW': string } };
    assert.equal(badBody.error.code, 'BAD_BODY');
    assert.match(badBody.error['zh-TW'], /JSON/);
    const big = await post('/api/v1/staff/alerts/x/notes', JSON.stringify({ text: 'x'.repeat(40_000) }));
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'BODY_TOO_LARGE');
    const wrongType = await fetch(env.info.url + '/api/v1/staff/alerts/x/notes', { method: 'POST', body: 'text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(wrongType.status, 415);
    assert.equal(((await wrongType.json()) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('OD-S10 the running app serves STA MQTT on the public WebSocket: a device reading reaches an anonymous reader as an Observation', async () => {
    const root = JSON.parse((await env.get('/sta/v1.1')).text);
    const ws = `ws://127.0.0.1:${env.info.wsPort}/mqtt`;
    assert.ok(root.serverSettings.conformance.includes(STA_MQTT_CONFORMANCE));
    assert.deepEqual(root.serverSettings[STA_MQTT_CONFORMANCE], { endpoints: [ws] });
    const id = 'aq-zhongli-road-01';
    const reader = await mqtt.connectAsync(ws, { reconnectPeriod: 0 });
    const device = await connect(env.mqttUrl, id, env.credentials.sensors[id] as string);
    try {
      await reader.subscribeAsync(staTopicOf(`${id}:pm25`));
      const got = new Promise<[string, Buffer]>((resolve) => reader.once('message', (t, p) => resolve([t, p])));
      // The broker reports the subscription as it handles it: publish until the reader hears one (bounded).
      let heard = false;
      void got.then(() => { heard = true; });
      for (let i = 0; i < 50 && !heard; i++) {
        await publish(device, `sensors/air-quality/${id}/telemetry`, JSON.stringify({ dateObserved: new Date(Date.now() - 1000).toISOString(), pm25: 27.5 }));
        await new Promise((r) => setTimeout(r, 100));
      }
      const [topic, payload] = await got;
      assert.equal(topic, staTopicOf(`${id}:pm25`));
      const obs = JSON.parse(payload.toString('utf8'));
      assert.equal(obs.result, 27.5);
      assert.match(obs['@iot.id'], new RegExp(`^${id}:pm25:\\d+$`));
      assert.match(obs.phenomenonTime, /\+08:00$/);
    } finally {
      await reader.endAsync(true);
      device.end(true);
    }
  });

  it('OD-P4 the staff API takes the Bearer scheme in any case', async () => {
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await fetch(env.info.url + '/api/v1/staff/alerts', { headers: { authorization: `${scheme} ${env.viewerToken}` } });
      assert.equal(res.status, 200, scheme);
    }
  });

  it('OD-P6 the SSE feed refuses an unknown district with 400 instead of a silent stream', async () => {
    const res = await fetch(env.info.url + '/open-data/v1/feeds/air-quality/live?district=9999999');
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; parameter: string } };
    assert.equal(body.error.code, 'UNKNOWN_DISTRICT');
    assert.equal(body.error.parameter, 'district');
  });

  it('OD-P1 dead letters answer 401 without a staff token on the running pipeline', async () => {
    const res = await fetch(env.info.url + '/api/v1/dead-letters');
    assert.equal(res.status, 401);
    assert.equal((await fetch(env.info.url + '/api/v1/dead-letters', { headers: { authorization: `Bearer ${env.viewerToken}` } })).status, 200);
  });

  it('OD-P2 every route family has its own budget: 429 with Retry-After and a coded body, others unaffected', async () => {
    const families = ['/api/v1/sensors?limit=1', '/open-data/v1/datasets', '/sta/v1.1', '/docs/json', '/healthz'];
    for (const path of families) {
      let limited: Response | undefined;
      for (let i = 0; i < LIMIT + 2 && !limited; i++) {
        const res = await fetch(env.info.url + path);
        if (res.status === 429) limited = res;
        else await res.arrayBuffer();
      }
      assert.ok(limited, `${path} never answered 429`);
      const retry = Number(limited.headers.get('retry-after'));
      assert.ok(retry > 0 && retry <= 60, `${path} Retry-After ${limited.headers.get('retry-after')}`);
      const body = (await limited.json()) as { error: { code: string; 'zh-TW': string } };
      assert.equal(body.error.code, 'RATE_LIMITED', path);
      assert.match(body.error['zh-TW'], /Retry-After/);
    }
  });
});

describe('busy ports (OD-P5)', () => {
  let blocker: Server;
  let port = 0;
  before(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  const cases: Array<[string, (p: number) => Record<string, unknown>]> = [
    ['mqtt.publicWsPort', (p) => ({ 'mqtt.publicWsPort': p })],
    ['mqtt.port', (p) => ({ 'mqtt.port': p, 'mqtt.publicWsPort': -1 })],
    ['http.port', (p) => ({ 'http.port': p, 'mqtt.publicWsPort': -1 })],
  ];
  for (const [setting, over] of cases) {
    it(`a busy ${setting} stops the start with PORT_IN_USE naming ${setting}`, async () => {
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const path = await import('node:path');
      const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-busy-'));
      const config = loadConfig({}, { dataDir, 'mqtt.port': 0, 'mqtt.publicWsPort': 0, 'http.port': 0, 'simulate.enabled': false, 'log.level': 'silent', ...over(port) });
      const app = new App(config, pino({ level: 'silent' }));
      try {
        await assert.rejects(app.start(), (err: Error & { code?: string; setting?: string }) => {
          assert.equal(err.code, 'PORT_IN_USE');
          assert.ok(err.setting?.startsWith(setting), err.setting);
          assert.match(err.message, new RegExp(`${port}.*${setting.replace('.', '\\.')}`));
          return true;
        });
      } finally {
        await app.stop().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
