import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pinned } from '../proc.ts';

/**
 * Baseline (b): the peer a city might pick instead — Node-RED with the flow
 * MQTT in (QoS 1) → JSON → threshold function → file out, subscribed to the bare aedes
 * broker that takes the same load. Node-RED is installed on demand into
 * `.bench/node-red` (never a project dependency). Its throughput is what reaches the
 * file, counted line by line.
 */
// 4.x: Node-RED 5 needs Node.js ≥ 22.9 and this project supports Node 20.
export const NODE_RED_VERSION = '4.1.8';

export function ensureNodeRed(benchDir: string, log: (s: string) => void): string {
  const prefix = path.join(benchDir, 'node-red');
  const red = path.join(prefix, 'node_modules', 'node-red', 'red.js');
  const installed = path.join(prefix, 'node_modules', 'node-red', 'package.json');
  if (existsSync(red) && existsSync(installed) && (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version === NODE_RED_VERSION) return red;
  log(`installing node-red@${NODE_RED_VERSION} into ${prefix} …`);
  const r = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-fund', '--no-audit', `node-red@${NODE_RED_VERSION}`], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(red)) throw new Error('npm install node-red failed');
  return red;
}

function flow(brokerPort: number, outFile: string): unknown[] {
  // Ids are opaque hex like the editor's: Node-RED treats any property value equal to a node id as a reference.
  const z = 'b0b0b0b0b0b0b000';
  // Same threshold family as the pipeline's basic rules (road flood ≥ 10 cm, PM2.5 ≥ 35.5).
  const func = `const p = msg.payload; const alert = (p.floodDepth !== undefined && p.floodDepth >= 10) || (p.pm25 !== undefined && p.pm25 >= 35.5);
msg.payload = JSON.stringify({ topic: msg.topic, ts: p.dateObserved, alert });
return msg;`;
  return [
    { id: z, type: 'tab', label: 'bench' },
    { id: 'b0b0b0b0b0b0b001', type: 'mqtt-broker', name: 'bench', broker: '127.0.0.1', port: String(brokerPort), clientid: 'node-red-bench', usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
    { id: 'b0b0b0b0b0b0b002', z, type: 'mqtt in', topic: 'sensors/+/+/telemetry', qos: '1', datatype: 'utf8', broker: 'b0b0b0b0b0b0b001', nl: false, rap: true, rh: 0, inputs: 0, wires: [['b0b0b0b0b0b0b003']] },
    { id: 'b0b0b0b0b0b0b003', z, type: 'json', property: 'payload', action: 'obj', pretty: false, wires: [['b0b0b0b0b0b0b004']] },
    { id: 'b0b0b0b0b0b0b004', z, type: 'function', func, outputs: 1, wires: [['b0b0b0b0b0b0b005']] },
    { id: 'b0b0b0b0b0b0b005', z, type: 'file', filename: outFile, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [] },
  ];
}

export interface NodeRedRun {
  /** Lines written by the flow so far. */
  lines(): Promise<number>;
  stop(): Promise<void>;
  readonly proc: ChildProcess;
}

export async function startNodeRed(red: string, runDir: string, brokerPort: number, cpu: number | undefined): Promise<NodeRedRun> {
  await mkdir(runDir, { recursive: true });
  const outFile = path.join(runDir, 'out.jsonl');
  const flowFile = path.join(runDir, 'flows.json');
  await writeFile(flowFile, JSON.stringify(flow(brokerPort, outFile)));
  const settings = path.join(runDir, 'settings.cjs');
  await writeFile(settings, `module.exports = { uiPort: 0, uiHost: '127.0.0.1', httpAdminRoot: false, httpNodeRoot: false, flowFile: ${JSON.stringify(flowFile)}, userDir: ${JSON.stringify(runDir)}, credentialSecret: false, logging: { console: { level: 'info' } }, editorTheme: { tours: false } };\n`);
  const [cmd, args] = pinned(cpu, process.execPath, [red, '--userDir', runDir, '--settings', settings]);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node-red did not connect to the broker within 60 s')), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (process.env.BENCH_NODE_RED_DEBUG) process.stderr.write(d);
      if (/Connected to broker/i.test(out)) clearTimeout(timer), resolve();
    });
    proc.once('exit', (code) => (clearTimeout(timer), reject(new Error(`node-red exited (${code}): ${out.slice(-500)}`))));
  });
  await connected;
  let pos = 0;
  let count = 0;
  return {
    proc,
    async lines() {
      if (!existsSync(outFile)) return 0;
      const fh = await open(outFile, 'r');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          for (let i = 0; i < bytesRead; i++) if (buf[i] === 10) count++;
        }
      } finally {
        await fh.close();
      }
      return count;
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}
