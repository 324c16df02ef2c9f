import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import type { Credentials } from '../support/app.ts';
import { connect, eventually } from '../support/app.ts';

const root = path.resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startChild(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'cli/main.ts'), 'start'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function healthy(url: string): Promise<void> {
  await eventually(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 'healthy pipeline', 60_000);
}

/**
 * Crash test (issue 2, "Durability"): kill -9 the pipeline while a gateway publishes
 * QoS 1, restart it on the same data directory, and check that every acknowledged
 * reading is stored exactly once.
 */
describe('durability: kill -9 under QoS 1 load', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-crash-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    if (process.env.CIVIC_KEEP_CRASH_DIR) process.stdout.write(`# crash data dir kept: ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every acknowledged reading exactly once after a crash and restart', { timeout: 180_000 }, async () => {
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const env = { CIVIC_DATA_DIR: dataDir, CIVIC_MQTT_PORT: String(mqttPort), CIVIC_HTTP_PORT: String(httpPort), CIVIC_SIMULATE: 'off', CIVIC_WS_PORT: '-1', CIVIC_LOG_LEVEL: 'warn' };
    const url = `http://127.0.0.1:${httpPort}`;
    child = startChild(env);
    await healthy(url);

    const credentials = JSON.parse(readFileSync(path.join(dataDir, 'simulator', 'credentials.json'), 'utf8')) as Credentials;
    const registry = YAML.parse(readFileSync(path.join(dataDir, 'registry.yaml'), 'utf8')) as { sensors: Array<{ id: string; kind: string; gateway?: string; params: { station?: string } }> };
    const floodSensors = registry.sensors.filter((s) => s.gateway === 'gw-lora-taoyuan-01' && s.params.station === 'road-flood').map((s) => s.id);
    assert.ok(floodSensors.length >= 2, 'the demo gateway serves road flood sensors');
    const gw = await connect(`mqtt://127.0.0.1:${mqttPort}`, 'gw-lora-taoyuan-01', credentials.gateways['gw-lora-taoyuan-01'] as string);
    gw.on('error', () => undefined);

    const acked = new Map<string, number[]>(floodSensors.map((id) => [id, []]));
    const base = Date.now() - 30 * 60_000;
    let sent = 0;
    let killed = false;
    // Keep a window of QoS 1 publishes in flight, as a busy LoRaWAN network server would.
    const publishOne = (): void => {
      if (killed) return;
      const i = sent++;
      const id = floodSensors[i % floodSensors.length] as string;
      const ts = base + Math.floor(i / floodSensors.length) * 10;
      gw.publish(`sensors/water-level/${id}/telemetry`, JSON.stringify({ dateObserved: ts, floodDepth: i % 40 }), { qos: 1 }, (err) => {
        if (!err && !killed) acked.get(id)?.push(ts);
        publishOne();
      });
    };
    for (let k = 0; k < 64; k++) publishOne();
    await new Promise((r) => setTimeout(r, 3_000));
    // SIGKILL: no shutdown hook runs; only what reached the journal survives.
    killed = true;
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    gw.end(true);
    const ackedTotal = [...acked.values()].reduce((n, a) => n + a.length, 0);
    assert.ok(ackedTotal > 100, `expected load before the crash, got ${ackedTotal} acknowledged`);

    child = startChild(env);
    await healthy(url);
    let storedTotal = 0;
    const from = new Date(base - 1000).toISOString();
    for (const [id, tsList] of acked) {
      const stored: number[] = [];
      let next: string | null = `/api/v1/sensors/${id}/readings?from=${from}&limit=5000`;
      while (next) {
        const res = await fetch(next.startsWith('http') ? next : url + next);
        const body = (await res.json()) as { items: Array<{ tsMs: number }>; next: string | null };
        stored.push(...body.items.map((r) => r.tsMs));
        next = body.next;
      }
      storedTotal += stored.length;
      assert.equal(new Set(stored).size, stored.length, `${id}: a reading stored twice`);
      const have = new Set(stored);
      const missing = tsList.filter((ts) => !have.has(ts));
      assert.deepEqual(missing, [], `${id}: acknowledged readings missing after restart`);
      // The readings are 30 min old, so all of them went the late-data path (LA3) and the kill
      // hit during re-aggregation; after the restart the 1-minute aggregates count each stored
      // reading exactly once (LA4, LA5).
      const aggFrom = new Date(Math.floor(base / 60_000) * 60_000).toISOString();
      const to = new Date(base + 3_600_000).toISOString();
      await eventually(async () => {
        const agg = (await (await fetch(`${url}/api/v1/aggregates?scope=sensor&period=1m&key=${id}&field=floodDepth&from=${aggFrom}&to=${to}&limit=5000`)).json()) as { items: Array<{ count: number }> };
        return agg.items.reduce((n, a) => n + a.count, 0) === stored.length;
      }, `${id}: 1-minute aggregates count the ${stored.length} stored readings after the crash`, 60_000);
    }
    const health = (await (await fetch(`${url}/healthz`)).json()) as { components: { journal: { lastSeq: number } } };
    // Figures for the closing note (printed, not asserted on timing).
    process.stdout.write(`# crash test: published ${sent}, acknowledged ${ackedTotal}, stored ${storedTotal}, lost 0, journal lastSeq ${health.components.journal.lastSeq}\n`);
    assert.ok(storedTotal >= ackedTotal);
  });
});
