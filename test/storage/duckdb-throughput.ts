/**
 * Measures DuckDbStore batch write throughput (not a test: no timing asserts).
 *   npx tsx test/storage/duckdb-throughput.ts [batches=40] [batchSize=5000] [sensors=20000]
 * Readings are a city-like mix of the four kinds, each sensor advancing one interval per round.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import type { Reading } from '../../domain/index.ts';
import { DuckDbStore } from '../../storage/duckdb/index.ts';
import { T0, reading } from './fixtures.ts';

const [batches = 40, batchSize = 5000, sensors = 20_000] = process.argv.slice(2).map(Number);

function make(i: number): Reading {
  const s = i % sensors;
  const ts = T0 + Math.floor(i / sensors) * 60_000 + (s % 60) * 1000;
  switch (s % 4) {
    case 0: return reading('air-quality', `aq-${s}`, ts, { pm25: (i % 90) + 0.5, pm10: (i % 150) + 1, o3: 30, temperature: 26.1, relativeHumidity: 70 });
    case 1: return reading('water-level', `wl-${s}`, ts, { currentLevel: 2 + (i % 100) / 100 });
    case 2: return reading('streetlight', `sl-${s}`, ts, { powerState: 'on', status: 'ok', powerConsumption: 120 + (i % 7) });
    default: return reading('parking', `pk-${s}`, ts, { totalSpotNumber: 300, occupiedSpotNumber: i % 300, availableSpotNumber: 300 - (i % 300) });
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'civic-bench-'));
const store = new DuckDbStore({ path: path.join(dir, 'bench.duckdb'), logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
await store.open();
const times: number[] = [];
let i = 0;
for (let b = 0; b < batches; b++) {
  const batch = Array.from({ length: batchSize }, () => make(i++));
  const t = performance.now();
  await store.writeReadings(batch);
  times.push(performance.now() - t);
}
const total = times.reduce((a, b) => a + b, 0);
const sorted = [...times].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1);
console.log(`wrote ${i} readings in ${batches} batches of ${batchSize}: ${Math.round((i / total) * 1000)} readings/s; per batch p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${pct(1)} ms`);

let t = performance.now();
const latest = await store.latest({});
console.log(`latest({}) → ${latest.length} sensors in ${(performance.now() - t).toFixed(1)} ms`);
t = performance.now();
const latestKind = await store.latest({ kind: 'parking' });
console.log(`latest({ kind: parking }) → ${latestKind.length} in ${(performance.now() - t).toFixed(1)} ms`);
t = performance.now();
const range = await store.readings({ sensorId: 'aq-4', from: T0, to: T0 + 86_400_000, limit: 1000 });
console.log(`readings(one sensor, one day) → ${range.length} in ${(performance.now() - t).toFixed(1)} ms`);
const replay = Array.from({ length: batchSize }, (_, k) => make(k));
t = performance.now();
await store.writeReadings(replay);
console.log(`replay of ${batchSize} already-stored readings (all ignored, S1): ${(performance.now() - t).toFixed(1)} ms`);
await store.close();
await rm(dir, { recursive: true, force: true });
