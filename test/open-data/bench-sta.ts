/**
 * SensorThings latency at fleet scale (issue 14 "Done when"): latest per sensor, a spatial
 * filter, and the latest Observation of 100 Datastreams, against a real DuckDB store over HTTP.
 *   node --import tsx test/open-data/bench-sta.ts [fleetSize=2000] [seconds=3] [concurrency=4]
 * Not a test (no .test.ts suffix): the numbers depend on the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import type { Reading } from '../../domain/index.ts';
import { installErrorHandling } from '../../exporter/error-handler.ts';
import { createOpenDataPlugin } from '../../exporter/open-data/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/index.ts';

const FLEET = Number(process.argv[2] ?? 2000);
const SECONDS = Number(process.argv[3] ?? 3);
const CONC = Number(process.argv[4] ?? 4);
const dir = await mkdtemp(join(tmpdir(), 'sta-bench-'));
const logger = pino({ level: 'silent' });
const store = new DuckDbStore({ path: join(dir, 'b.duckdb'), logger, metrics: new MetricsRegistry() });
await store.open();
// A square grid over Taoyuan (121.05–121.40 E, 24.80–25.10 N), one air-quality sensor per cell.
const side = Math.ceil(Math.sqrt(FLEET));
let yaml = 'districts:\n  - { code: "68000020", name: { zh-TW: 中壢區, en: Zhongli } }\nsensors:\n';
for (let i = 0; i < FLEET; i++) {
  const lon = (121.05 + (0.35 * (i % side)) / side).toFixed(5);
  const lat = (24.8 + (0.3 * Math.floor(i / side)) / side).toFixed(5);
  yaml += `  - { id: aq-${i}, kind: air-quality, name: { zh-TW: 測站${i}, en: S${i} }, district: "68000020", location: { lat: ${lat}, lon: ${lon} }, params: { pollutants: [pm25] }, secretHash: "scrypt$x" }\n`;
}
const registry = Registry.parse(yaml, 'bench.yaml');
const now = Date.now();
let seq = 0;
const batch: Reading[] = [];
// Every sensor: the last hour at 1-minute intervals.
for (let i = 0; i < FLEET; i++) for (let m = 0; m < 60; m++) batch.push({ seq: ++seq, sensorId: `aq-${i}`, kind: 'air-quality', district: '68000020', ts: now - m * 60_000 - 5_000, receivedAt: now, flags: 0, values: { pm25: (i + m) % 50, pm10: (i + m) % 80 } });
for (let k = 0; k < batch.length; k += 50_000) await store.writeReadings(batch.slice(k, k + 50_000));
const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
installErrorHandling(app);
await app.register(createOpenDataPlugin({ store, registry, logger, metrics: new MetricsRegistry(), http: { rateLimit: false, compress: false } }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });

async function load(name: string, path: (n: number) => string) {
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let errors = 0;
  let bytes = 0;
  let n = 0;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await fetch(url + path(n++));
      const b = await r.arrayBuffer();
      bytes = b.byteLength;
      if (r.status !== 200) errors++;
      lat.push(performance.now() - t);
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
  console.log(`${name}: fleet=${FLEET} conc=${CONC} ${SECONDS}s  ${(lat.length / SECONDS).toFixed(0)} req/s  p50=${q(0.5)} ms  p99=${q(0.99)} ms  errors=${errors}  last body ${bytes} B`);
}

// A ~5 km box in the middle of the grid.
const box = "geography'POLYGON((121.20 24.93, 121.25 24.93, 121.25 24.97, 121.20 24.97, 121.20 24.93))'";
await load('latest per sensor (Datastreams(id)/Observations?$top=1)', (n) => `/sta/v1.1/Datastreams('aq-${(n * 7919) % FLEET}:pm25')/Observations?$top=1`);
await load('spatial filter (Locations st_within box, $count)', () => `/sta/v1.1/Locations?$filter=${encodeURIComponent(`st_within(location, ${box})`)}&$count=true&$top=100`);
await load('100-datastream latest (Datastreams?$top=100&$expand=Observations($top=1))', (n) => `/sta/v1.1/Datastreams?$filter=${encodeURIComponent("properties/field eq 'pm25'")}&$skip=${(n * 100) % Math.max(1, FLEET - 100)}&$top=100&$expand=Observations($top=1)`);
await app.close();
await store.close();
await rm(dir, { recursive: true, force: true });
