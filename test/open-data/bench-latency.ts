/**
 * Latency of the open-data hot paths under load (issue 5 "Done when"): latest per sensor and STA
 * Observations queries against a real DuckDB store with a synthetic fleet.
 *   node --import tsx test/open-data/bench-latency.ts [fleetSize]
 * Not a test (no .test.ts suffix): the numbers depend on the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { installErrorHandling } from '../../exporter/error-handler.ts';
import { createOpenDataPlugin } from '../../exporter/open-data/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/index.ts';
import type { Reading } from '../../domain/index.ts';

const FLEET = Number(process.argv[2] ?? 2000);
const dir = await mkdtemp(join(tmpdir(), 'od-bench-'));
const logger = pino({ level: 'silent' });
const store = new DuckDbStore({ path: join(dir, 'b.duckdb'), logger, metrics: new MetricsRegistry() });
await store.open();
let yaml = 'districts:\n  - { code: "6800200", name: { zh-TW: 中壢區, en: Zhongli } }\nsensors:\n';
for (let i = 0; i < FLEET; i++) yaml += `  - { id: aq-${i}, kind: air-quality, name: { zh-TW: 測站${i}, en: S${i} }, district: "6800200", location: { lat: 24.95, lon: 121.22 }, params: { pollutants: [pm25] } }\n`;
const registry = Registry.parse(yaml, 'bench.yaml');
const now = Date.now();
let seq = 0;
const batch: Reading[] = [];
// Every sensor: its latest reading; sensor 0: one day of 1-minute readings.
for (let i = 0; i < FLEET; i++) batch.push({ seq: ++seq, sensorId: `aq-${i}`, kind: 'air-quality', district: '6800200', ts: now - 30_000, receivedAt: now, flags: 0, values: { pm25: i % 50 } });
for (let m = 1; m <= 1440; m++) batch.push({ seq: ++seq, sensorId: 'aq-0', kind: 'air-quality', district: '6800200', ts: now - m * 60_000, receivedAt: now, flags: 0, values: { pm25: m % 40 } });
await store.writeReadings(batch);
const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
installErrorHandling(app);
await app.register(createOpenDataPlugin({ store, registry, logger, metrics: new MetricsRegistry(), http: { rateLimit: false, compress: false } }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });

async function once(path: string) {
  const t = performance.now();
  const r = await fetch(url + path);
  const b = await r.arrayBuffer();
  console.log(`single ${path}: ${(performance.now() - t).toFixed(1)} ms, ${b.byteLength} bytes`);
}
if (process.argv[3] === 'once') {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await store.latest({ kind: 'air-quality' });
    console.log(`store.latest: ${(performance.now() - t).toFixed(1)} ms`);
    await once('/open-data/v1/feeds/air-quality/latest');
    await once(`/sta/v1.1/Datastreams?$filter=${encodeURIComponent("properties/field eq 'pm25'")}&$expand=Observations($top=1)&$top=100`);
  }
}
async function load(path: string, seconds: number, conc: number) {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  let errors = 0;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await fetch(url + path);
      await r.arrayBuffer();
      if (r.status !== 200) errors++;
      lat.push(performance.now() - t);
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
  console.log(`${path}\n  fleet=${FLEET} conc=${conc} ${seconds}s: ${(lat.length / seconds).toFixed(0)} req/s, p50=${q(0.5)} ms, p99=${q(0.99)} ms, errors=${errors}`);
}
if (process.argv[3] !== 'once') await load('/open-data/v1/feeds/air-quality/latest', 5, 10);
if (process.argv[3] !== 'once') await load("/sta/v1.1/Datastreams('aq-0:pm25')/Observations?$top=100", 5, 10);
if (process.argv[3] !== 'once') await load(`/sta/v1.1/Datastreams?$filter=${encodeURIComponent("properties/field eq 'pm25'")}&$expand=Observations($top=1)&$top=100`, 5, 10);
if (process.argv[3] !== 'once') await load(`/sta/v1.1/Datastreams('aq-0:pm25')/Observations?$filter=${encodeURIComponent('result gt 30')}&$top=100&$count=true`, 5, 10);
await app.close();
await store.close();
await rm(dir, { recursive: true, force: true });
