/**
 * Broker storms against the real pipeline (issue 12, B30/B31/B35/B36).
 *
 *   npx tsx bench/broker-storms.ts [--seconds 15] [--storm-rate 30] [--no-defence]
 *
 * The pipeline (App, journal fsync on) runs in a child process; this process is the load.
 * 1. login storm: a legitimate sensor publishes QoS 1 (one in flight, 20/s) for --seconds
 *    quietly, then again while ~--storm-rate wrong-password CONNECTs/s hit another sensor id
 *    from the same address. Reports PUBACK p50/p99/max for both phases and the p99 ratio.
 *    `--no-defence` turns the throttle off (huge loginFreeFailures, hashConcurrency 4) to show
 *    what the defence buys.
 * 2. connect storm: 2,000 connect/disconnects (CONNECT+FIN, CONNECT→CONNACK→drop, →DISCONNECT)
 *    on 20 reused client ids, 25 at a time; then connected clients (must be 0), the pipeline's
 *    heap after GC against before, and a legitimate connect + publish.
 * Prints one JSON line per part.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { hashSecret } from '../registry/index.ts';
import { connectPacket, DISCONNECT, PacketReader, publishQos1, topicBytes, type Incoming } from './load/mqtt-wire.ts';
import { percentile, round } from './stats.ts';

const SELF = fileURLToPath(import.meta.url);
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

type ChildMsg = { type: 'ready'; mqttPort: number; httpPort: number } | { type: 'heap'; heapUsed: number };

async function target(dataDir: string, registryFile: string, defence: boolean): Promise<void> {
  const { App } = await import('../app/app.ts');
  const { loadConfig } = await import('../app/config.ts');
  const config = loadConfig({}, {
    dataDir,
    registry: registryFile,
    'mqtt.port': 0,
    'http.port': 0,
    'mqtt.publicWsPort': -1,
    'mqtt.sensorRatePerSecond': 1000,
    'mqtt.sensorBurst': 1000,
    'journal.fsync': true,
    'simulate.enabled': false,
    'log.level': 'warn',
    ...(defence ? {} : { 'mqtt.loginFreeFailures': 1_000_000_000, 'mqtt.hashConcurrency': 4, 'mqtt.maxHashQueue': 1_000_000 }),
  });
  const app = new App(config, pino({ level: 'error' }, pino.destination(2)));
  const info = await app.start();
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: { type: string }) => {
    if (m.type === 'heap') {
      gc?.();
      gc?.();
      process.send?.({ type: 'heap', heapUsed: process.memoryUsage().heapUsed } satisfies ChildMsg);
    } else if (m.type === 'stop') {
      void app.stop().then(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', mqttPort: info.mqttPort, httpPort: info.httpPort } satisfies ChildMsg);
}

/** One raw MQTT connection: CONNECT, then `onPacket` for what comes back. */
async function open(port: number): Promise<{ socket: Socket; next: () => Promise<Incoming | undefined> }> {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const reader = new PacketReader();
  const queue: Incoming[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on('data', (d: Buffer) => reader.push(d, (p) => (queue.push(p), wake?.())));
  socket.on('close', () => ((closed = true), wake?.()));
  const next = async (): Promise<Incoming | undefined> => {
    for (;;) {
      const p = queue.shift();
      if (p) return p;
      if (closed) return undefined;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  };
  return { socket, next };
}

async function publisher(port: number, secret: string, seconds: number): Promise<number[]> {
  const c = await open(port);
  c.socket.write(connectPacket('aq-legit-bench', 'aq-legit', secret, 60));
  const ack = await c.next();
  if (ack?.type !== 'connack' || ack.returnCode !== 0) throw new Error(`legit sensor refused: ${JSON.stringify(ack)}`);
  const topic = topicBytes('sensors/air-quality/aq-legit/telemetry');
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let id = 1;
  while (performance.now() < end) {
    const t0 = performance.now();
    c.socket.write(publishQos1(topic, id, Buffer.from(`{"pm25":${(id % 50) + 1}}`)));
    for (;;) {
      const p = await c.next();
      if (p === undefined) throw new Error('legit connection closed');
      if (p.type === 'puback' && p.packetId === id) break;
    }
    latencies.push(performance.now() - t0);
    id = (id % 65_535) + 1;
    const wait = t0 + 50 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  c.socket.end(DISCONNECT);
  return latencies;
}

async function loginStorm(port: number, rate: number, seconds: number): Promise<{ attempts: number; codes: Record<string, number> }> {
  const codes: Record<string, number> = {};
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const c = await open(port);
        c.socket.write(connectPacket(`storm-${i}`, 'aq-victim', 'wrong-guess', 60));
        const p = await c.next();
        const k = p?.type === 'connack' ? String(p.returnCode) : 'closed';
        codes[k] = (codes[k] ?? 0) + 1;
        c.socket.destroy();
      })(),
    );
  }
  await Promise.all(pending);
  return { attempts: total, codes };
}

const summary = (l: number[]) => {
  const s = [...l].sort((a, b) => a - b);
  return { n: s.length, p50: round(percentile(s, 0.5), 2), p99: round(percentile(s, 0.99), 2), max: round(s.at(-1) ?? NaN, 2) };
};

async function metric(httpPort: number, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

async function main(): Promise<void> {
  const seconds = arg('--seconds', 15);
  const rate = arg('--storm-rate', 30);
  const defence = !process.argv.includes('--no-defence');
  const dir = mkdtempSync(path.join(tmpdir(), 'civic-storms-'));
  const secrets = { 'aq-legit': 'legit-secret', 'aq-victim': 'victim-secret' };
  const h = { legit: await hashSecret(secrets['aq-legit']), victim: await hashSecret(secrets['aq-victim']) };
  const registryFile = path.join(dir, 'registry.yaml');
  const loc = 'location: { lat: 24.95, lon: 121.22 }';
  writeFileSync(registryFile, `districts:
  - code: '6800200'
    name: { zh-TW: 中壢區, en: Zhongli }
sensors:
  - { id: aq-legit, kind: air-quality, name: { zh-TW: 測試, en: Legit }, district: '6800200', ${loc}, params: { pollutants: [pm25] }, secretHash: '${h.legit}' }
  - { id: aq-victim, kind: air-quality, name: { zh-TW: 受害, en: Victim }, district: '6800200', ${loc}, params: { pollutants: [pm25] }, secretHash: '${h.victim}' }
`);
  const child: ChildProcess = fork(SELF, ['--target', path.join(dir, 'data'), registryFile, defence ? 'defence' : 'none'], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const request = <T extends ChildMsg['type']>(type: T, send?: string): Promise<Extract<ChildMsg, { type: T }>> =>
    new Promise((resolve) => {
      const on = (m: ChildMsg) => {
        if (m.type === type) {
          child.off('message', on);
          resolve(m as Extract<ChildMsg, { type: T }>);
        }
      };
      child.on('message', on);
      if (send) child.send({ type: send });
    });
  try {
    const { mqttPort, httpPort } = await request('ready');
    // Part 1: login storm.
    await publisher(mqttPort, secrets['aq-legit'], 2); // warm-up (scrypt once, caches)
    const quiet = summary(await publisher(mqttPort, secrets['aq-legit'], seconds));
    const [stormed, storm] = await Promise.all([publisher(mqttPort, secrets['aq-legit'], seconds), loginStorm(mqttPort, rate, seconds)]);
    const during = summary(stormed);
    process.stdout.write(`${JSON.stringify({ part: 'login-storm', defence, stormRatePerSecond: rate, seconds, quietPubackMs: quiet, stormPubackMs: during, p99Ratio: round(during.p99 / quiet.p99, 2), storm, loginFailures: await metric(httpPort, 'civic_mqtt_login_failures_total') })}\n`);

    // Part 2: connect storm.
    const before = (await request('heap', 'heap')).heapUsed;
    const t0 = performance.now();
    let n = 0;
    const worker = async (): Promise<void> => {
      while (n < 2_000) {
        const i = n++;
        const c = await open(mqttPort);
        c.socket.write(connectPacket(`cs-${i % 20}`, 'aq-legit', secrets['aq-legit'], 60));
        if (i % 3 === 0) c.socket.end();
        else {
          await c.next();
          if (i % 3 === 1) c.socket.destroy();
          else c.socket.end(DISCONNECT);
        }
        await once(c.socket, 'close').catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: 25 }, worker));
    const took = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    const after = (await request('heap', 'heap')).heapUsed;
    const connected = await metric(httpPort, 'civic_mqtt_connected_clients');
    const legit = summary(await publisher(mqttPort, secrets['aq-legit'], 1));
    process.stdout.write(`${JSON.stringify({ part: 'connect-storm', connections: 2_000, seconds: round(took, 2), perSecond: round(2_000 / took, 0), connectedAfter: connected, heapDeltaMB: round((after - before) / 1048576, 2), legitAfter: legit })}\n`);
  } finally {
    child.send({ type: 'stop' });
    await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--target') void target(process.argv[3] as string, process.argv[4] as string, process.argv[5] === 'defence');
else await main();
