import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addStaff } from '../../alerts/index.ts';
import { Registry } from '../../registry/index.ts';
import { callServer, runningServer } from '../../cli/server.ts';
import { connect, startApp } from '../support/app.ts';
import { NEW_SENSOR, adminClient, closedOnce, connackCode } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/civicstream.mjs', import.meta.url));

function cli(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, CIVIC_DATA_DIR: dataDir, CIVIC_LOG_LEVEL: 'silent', CIVIC_CONFIG: '/dev/null' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const secretOf = (stdout: string): string => (/secret \(只顯示這一次 shown only once\): (\S+)/.exec(stdout) ?? /token \(只顯示這一次 shown only once\): (\S+)/.exec(stdout))?.[1] ?? '';

async function pool<T>(items: readonly T[], n: number, run: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await run(items[i++] as T);
  }));
}

describe('CLI on a running pipeline goes through the server (RG3)', () => {
  let s: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    s = await startApp();
  });
  after(async () => {
    await s.stop();
  });

  it('RG3/B16: `sensors rotate-secret` closes the live session; old secret refused, new accepted; the file keeps its comments', async () => {
    const id = Object.keys(s.credentials.sensors)[2] as string;
    const old = s.credentials.sensors[id] as string;
    const c = await connect(s.mqttUrl, id, old);
    const closed = closedOnce(c);
    const r = await cli(s.dataDir, ['sensors', 'rotate-secret', id]);
    assert.equal(r.code, 0, r.stderr);
    const secret = secretOf(r.stdout);
    assert.ok(secret.length >= 32);
    await closed;
    c.end(true);
    assert.equal(await connackCode(s.mqttUrl, id, old), 4);
    assert.equal(await connackCode(s.mqttUrl, id, secret), 0);
    assert.match(readFileSync(path.join(s.dataDir, 'registry.yaml'), 'utf8'), /# ── Air quality/);
  });

  it('TK4: `staff add` prints a token the running server accepts at once; `staff revoke` refuses it at once', async () => {
    const add = await cli(s.dataDir, ['staff', 'add', '--name', 'night-shift', '--role', 'operator']);
    assert.equal(add.code, 0, add.stderr);
    const token = secretOf(add.stdout);
    const ok = await fetch(`${s.info.url}/api/v1/staff/alerts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const rev = await cli(s.dataDir, ['staff', 'revoke', '--name', 'night-shift']);
    assert.equal(rev.code, 0, rev.stderr);
    const refused = await fetch(`${s.info.url}/api/v1/staff/alerts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 401);
  });

  it('`status` shows what the server sees; `rules backtest` and `export` work while the pipeline holds the DuckDB lock', async () => {
    const c = await connect(s.mqttUrl, Object.keys(s.credentials.sensors)[3] as string, Object.values(s.credentials.sensors)[3] as string);
    const st = await cli(s.dataDir, ['status', '--json']);
    c.end(true);
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout) as { pid: number; connections: { sensor: number }; principals: { sensors: number }; journal: { lag: number } };
    assert.equal(status.pid, process.pid);
    assert.ok(status.connections.sensor >= 1);
    assert.equal(status.principals.sensors, s.app.registry.size);
    assert.equal(typeof status.journal.lag, 'number');
    const day = new Date(Date.now() - 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    const bt = await cli(s.dataDir, ['rules', 'backtest', '--rule', 'water.road.flood', '--from', `${day}T00:00:00+08:00`, '--to', `${day}T23:59:59+08:00`]);
    assert.equal(bt.code, 0, bt.stderr);
    assert.match(bt.stdout, /rule water\.road\.flood: \d+ alert/);
    const ex = await cli(s.dataDir, ['export', '--date', day]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /sha256|path|file/i);
  });

  it('RG3: 50 CLI-path and 50 admin-API edits, interleaved and concurrent, lose nothing (5 of the CLI ones are real processes)', async () => {
    const server = await runningServer(s.dataDir);
    assert.ok(server, 'the server announced itself');
    const admin = adminClient(s, (await addStaff(s.app.alerts.store, 'bulk-admin', 'admin', Date.now())).token);
    const sensorsBefore = s.app.registry.size;
    const mk = (id: string) => ({ ...NEW_SENSOR, id, gateway: 'gw-lora-taoyuan-01' });
    const ids = Array.from({ length: 100 }, (_, i) => `cc-${i % 2 ? 'api' : 'cli'}-${String(i).padStart(3, '0')}`);
    const jobs = fc.sample(fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }), { numRuns: 1, seed: 11 })[0] as string[];
    await pool(jobs, 12, async (id) => {
      const n = Number(id.slice(-3));
      if (id.includes('api')) {
        const r = await admin('POST', '/sensors', mk(id));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        // and an update on an existing sensor, racing with the adds
        const p = await admin('PATCH', `/sensors/${id}`, { tags: ['concurrent', `n${n}`] });
        assert.equal(p.status, 200);
      } else if (n % 20 === 0) {
        const r = await cli(s.dataDir, ['sensors', 'add', '--id', id, '--kind', 'air-quality', '--name-zh', '並行', '--name-en', 'Concurrent', '--district', '68000010', '--lat', '24.99', '--lon', '121.31', '--params', '{"pollutants":["pm25"]}', '--gateway', 'gw-lora-taoyuan-01']);
        assert.equal(r.code, 0, r.stderr);
      } else {
        await callServer(server, 'POST', '/sensors', mk(id));
      }
    });
    assert.equal(s.app.registry.size, sensorsBefore + 100);
    const onDisk = await Registry.load(path.join(s.dataDir, 'registry.yaml'));
    for (const id of ids) assert.ok(onDisk.sensor(id), `${id} is on disk`);
    for (const id of ids.filter((x) => x.includes('api'))) assert.deepEqual(onDisk.sensor(id)?.tags, ['concurrent', `n${Number(id.slice(-3))}`]);
  });
});

describe('CLI without a server edits the file under the lock (RG3, RG6)', () => {
  it('parallel offline `sensors add` processes all land (none lost); comments survive; the lock is released', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-cli-'));
    try {
      const first = await cli(dataDir, ['sensors', 'list']);
      assert.equal(first.code, 0, first.stderr);
      const ids = Array.from({ length: 4 }, (_, i) => `off-${i}`);
      const results = await Promise.all(ids.map((id) => cli(dataDir, ['sensors', 'add', '--id', id, '--kind', 'parking', '--name-zh', '離線', '--name-en', 'Offline', '--district', '68000010', '--lat', '24.99', '--lon', '121.31', '--params', '{"capacity":40}'])));
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(path.join(dataDir, 'registry.yaml'), 'utf8');
      assert.match(text, /# civicstream demo registry/);
      const reg = Registry.parse(text, 'x');
      for (const id of ids) assert.ok(reg.sensor(id)?.secretHash, `${id} added with a hash`);
      assert.ok(!existsSync(path.join(dataDir, 'registry.yaml.lock')), 'lock released');
      const st = await cli(dataDir, ['status']);
      assert.equal(st.code, 3);
      assert.match(st.stdout, /no server is running/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
