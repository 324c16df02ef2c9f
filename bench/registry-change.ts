/**
 * How long a live registry change takes to apply (RG1: validated, written to disk with fsync,
 * applied in memory, announced) and what it costs, for a registry of N sensors.
 * Usage: node --expose-gc --import tsx bench/registry-change.ts 10000 [yaml|ndjson]   (or 100000; 1000000 ndjson)
 * The scrypt hash of a new secret (~0.1 s CPU, deliberately slow) comes on top of an add or rotate.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry, RegistryWriter, hashSecret, renderLines, type SensorDocT } from '../registry/index.ts';

const n = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const dir = mkdtempSync(path.join(tmpdir(), 'civic-regbench-'));
const format = process.argv[3] === 'ndjson' ? 'ndjson' : 'yaml';
const file = path.join(dir, `registry.${format}`);
const hash = await hashSecret('bench');

if (format === 'yaml') {
  const lines = ['# bench registry: comments must survive', 'districts:', '  - { code: "68000010", name: { zh-TW: 桃園區, en: Taoyuan District } }', 'gateways:', `  - { id: gw-1, name: { zh-TW: 閘道, en: Gateway }, secretHash: '${hash}' }`, 'sensors:'];
  for (let i = 0; i < n; i++) {
    const direct = i % 2 === 0;
    lines.push(`  - id: s-${i}`, '    kind: parking', `    name: { zh-TW: "停車場 ${i}", en: "Car park ${i}" }`, '    district: "68000010"', `    location: { lat: 24.9${i % 10}, lon: 121.2${i % 7} }`, '    params: { capacity: 100 }', direct ? `    secretHash: '${hash}'` : '    gateway: gw-1');
  }
  writeFileSync(file, lines.join('\n') + '\n');
} else {
  // RG8: the same registry as NDJSON lines, written a batch at a time (at 1,000,000 sensors
  // neither the YAML text nor the whole NDJSON text is built).
  const fd = openSync(file, 'w');
  writeSync(fd, renderLines({ districts: [{ code: '68000010', name: { 'zh-TW': '桃園區', en: 'Taoyuan District' } }], gateways: [{ id: 'gw-1', name: { 'zh-TW': '閘道', en: 'Gateway' }, secretHash: hash }], sensors: [] }));
  for (let i = 0; i < n; i += 10_000) {
    const batch: string[] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      const sensor: SensorDocT = { id: `s-${j}`, kind: 'parking', name: { 'zh-TW': `停車場 ${j}`, en: `Car park ${j}` }, district: '68000010', location: { lat: Number(`24.9${j % 10}`), lon: Number(`121.2${j % 7}`) }, params: { capacity: 100 }, ...(j % 2 === 0 ? { secretHash: hash } : { gateway: 'gw-1' }) };
      batch.push(JSON.stringify(sensor));
    }
    writeSync(fd, `${batch.join('\n')}\n`);
  }
  closeSync(fd);
}
const fileBytes = statSync(file).size;

const t0 = performance.now();
const registry = await Registry.load(file);
const loadMs = performance.now() - t0;
const writer = new RegistryWriter(registry, { idleReleaseMs: 600_000 });
process.on('beforeExit', () => void writer.close());
let changes = 0;
registry.onChange((c) => (changes += c.length));
const entry = (id: string) => ({ id, kind: 'parking', name: { 'zh-TW': '新', en: 'New' }, district: '68000010', location: { lat: 24.9, lon: 121.2 }, params: { capacity: 10 }, gateway: 'gw-1' });

gc();
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
let coldLive = 0;
const offCold = registry.onChange(() => (coldLive = performance.now() - t));
await writer.submit([{ kind: 'sensor', op: 'add', entry: entry('cold-1') }]);
const coldMs = performance.now() - t;
offCold();
gc();
const docHeapBytes = process.memoryUsage().heapUsed - heapBefore; // main thread only: the YAML document lives in the worker

const warm: number[] = [];
const live: number[] = [];
// The broker shares this event loop: how long does a change stall it? (The file is rendered in a worker.)
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
for (let i = 0; i < 20; i++) {
  t = performance.now();
  let seen = 0;
  const off = registry.onChange(() => (seen = performance.now() - t));
  await writer.submit([{ kind: 'sensor', op: 'patch', id: `s-${i * 2}`, patch: { secretHash: hash } }]);
  warm.push(performance.now() - t);
  live.push(seen);
  off();
}
live.sort((a, b) => a - b);
loop.disable();
warm.sort((a, b) => a - b);
t = performance.now();
await Promise.all(Array.from({ length: 50 }, (_, i) => writer.submit([{ kind: 'sensor', op: 'add', entry: entry(`burst-${i}`) }])));
const burst50Ms = performance.now() - t;
t = performance.now();
await hashSecret('x');
const scryptMs = performance.now() - t;
const check = await Registry.load(file);
if (check.size !== n + 51 || changes !== 71) throw new Error(`lost updates: ${check.size} sensors on disk, ${changes} changes`);
await writer.close();
rmSync(dir, { recursive: true, force: true });
const r = (x: number) => Math.round(x);
process.stdout.write(
  `${JSON.stringify({
    sensors: n,
    fileMB: +(fileBytes / 1e6).toFixed(1),
    loadMs: r(loadMs),
    firstChangeEffectiveMs: +coldLive.toFixed(2),
    firstChangeOnDiskMs: r(coldMs),
    effectiveMedianMs: +(live[10] ?? 0).toFixed(2),
    effectiveMaxMs: +(live[19] ?? 0).toFixed(2),
    onDiskMedianMs: r(warm[10] ?? 0),
    onDiskP95Ms: r(warm[18] ?? 0),
    burstOf50Ms: r(burst50Ms),
    eventLoopMaxStallMs: +(loop.max / 1e6).toFixed(1),
    mainHeapDeltaMB: +(docHeapBytes / 1e6).toFixed(0),
    scryptMs: r(scryptMs),
  })}\n`,
);
