import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { addStaff } from '../../alerts/index.ts';
import { ensureNodeRed } from '../../bench/targets/node-red.ts';
import { connect, eventually, publish, startApp } from '../support/app.ts';
import { adminClient, telemetry } from '../registry/helpers.ts';

const BENCH_DIR = fileURLToPath(new URL('../../.bench', import.meta.url));

/**
 * RG5/B15 for real: Node-RED (installed on demand into .bench/node-red, as the benchmark does)
 * reads live telemetry through an integration principal with `read: [sensors/+/+/telemetry]`,
 * using the flow the README documents (mqtt in → file).
 */
describe('Node-RED reads live telemetry through an integration principal (RG5, B15)', () => {
  let s: Awaited<ReturnType<typeof startApp>>;
  let dir: string;
  let stopRed: (() => Promise<void>) | undefined;
  before(async () => {
    s = await startApp();
    dir = mkdtempSync(path.join(tmpdir(), 'civic-node-red-'));
  });
  after(async () => {
    await stopRed?.();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Node-RED connects with the integration secret, subscribes to sensors/+/+/telemetry and writes what sensors publish', { timeout: 240_000 }, async () => {
    const red = ensureNodeRed(BENCH_DIR, (m) => process.stderr.write(m + '\n'));
    const api = adminClient(s, (await addStaff(s.app.alerts.store, 'adm', 'admin', Date.now())).token);
    const created = await api<{ secret: string }>('POST', '/integrations', { id: 'node-red', name: 'Node-RED flow', read: ['sensors/+/+/telemetry'] });
    assert.equal(created.status, 201);
    const out = path.join(dir, 'out.jsonl');
    const broker = 'a1a1a1a1a1a1a001';
    const flows = [
      { id: 'a1a1a1a1a1a1a000', type: 'tab', label: 'civicstream' },
      { id: broker, type: 'mqtt-broker', name: 'civicstream', broker: '127.0.0.1', port: String(s.info.mqttPort), clientid: 'node-red-civic', usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
      { id: 'a1a1a1a1a1a1a002', z: 'a1a1a1a1a1a1a000', type: 'mqtt in', topic: 'sensors/+/+/telemetry', qos: '1', datatype: 'utf8', broker, nl: false, rap: true, rh: 0, inputs: 0, wires: [['a1a1a1a1a1a1a003']] },
      { id: 'a1a1a1a1a1a1a003', z: 'a1a1a1a1a1a1a000', type: 'file', filename: out, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [] },
    ];
    writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
    // credentialSecret: false → Node-RED reads the broker credentials in plain text from flows_cred.json.
    writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ [broker]: { user: 'node-red', password: created.body.secret } }));
    const settings = path.join(dir, 'settings.cjs');
    writeFileSync(settings, `module.exports = { uiPort: 0, uiHost: '127.0.0.1', httpAdminRoot: false, httpNodeRoot: false, flowFile: ${JSON.stringify(path.join(dir, 'flows.json'))}, userDir: ${JSON.stringify(dir)}, credentialSecret: false, logging: { console: { level: 'info' } } };\n`);
    const proc = spawn(process.execPath, [red, '--userDir', dir, '--settings', settings], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
    stopRed = async () => {
      if (proc.exitCode !== null) return;
      const done = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await done;
    };
    await eventually(async () => /Connected to broker/i.test(log) || proc.exitCode !== null, 'Node-RED to connect', 120_000);
    assert.equal(proc.exitCode, null, log.slice(-2000));
    assert.equal((s.app.broker.connections()).integration, 1, 'connected as an integration principal');
    const [aq, secret] = Object.entries(s.credentials.sensors)[0] as [string, string];
    const dev = await connect(s.mqttUrl, aq, secret);
    // Node-RED subscribes right after CONNACK; publish until its file shows the reading.
    await eventually(async () => {
      await publish(dev, `sensors/air-quality/${aq}/telemetry`, telemetry(41));
      return existsSync(out) && readFileSync(out, 'utf8').includes('"pm25":41');
    }, 'Node-RED to write the live reading', 60_000);
    dev.end(true);
    assert.doesNotMatch(log, /Connection refused|Not authorized/i);
  });
});
