/**
 * Aggregator cost at city scale: bytes per registered sensor and readings/s through add().
 *
 *   node --expose-gc --import tsx test/analytics/bench/aggregator.bench.ts [sensors=100000] [minutes=10]
 *
 * Not a test (no .test.ts suffix): it prints figures for the report and ARCHITECTURE.md.
 * Readings are built per simulated minute outside the timed loops, so the figures are
 * add() and advance() alone, not object construction.
 */
import { performance } from 'node:perf_hooks';
import type { Reading, SensorKind } from '../../../domain/index.ts';
import { Aggregator } from '../../../analytics/index.ts';

const SENSORS = Number(process.argv[2] ?? 100_000);
const MINUTES = Number(process.argv[3] ?? 10);
const LATENESS = 60_000; // config default analytics.allowedLatenessSeconds
const T0 = Date.UTC(2026, 10, 22);
const DISTRICTS = 13; // Taoyuan has 13 districts

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function used(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function values(kind: SensorKind, i: number, m: number): Record<string, number | string> {
  const v = (i * 7 + m * 13) % 100;
  switch (kind) {
    case 'streetlight': return { powerState: 'on', status: 'ok', powerConsumption: 80 + v / 10, illuminanceLevel: 1 };
    case 'parking': return { totalSpotNumber: 200, occupiedSpotNumber: v, availableSpotNumber: 200 - v };
    case 'water-level': return { floodDepth: v / 10 };
    default: return { pm25: v, pm10: v * 2, no2: 10, o3: 20, co: 0.3, so2: 2, temperature: 25, relativeHumidity: 70 };
  }
}

function minuteOfReadings(kindOf: (i: number) => SensorKind, ids: readonly string[], m: number, seq0: number): Reading[] {
  const out: Reading[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const kind = kindOf(i);
    // Spread over the minute, then up to 30 s of network/batching delay: several minutes stay open.
    const ts = T0 + m * 60_000 + ((i * 617) % 60_000);
    out[i] = { seq: seq0 + i, sensorId: ids[i]!, kind, district: `68${String((i % DISTRICTS) + 1).padStart(2, '0')}000`, ts, receivedAt: ts, flags: 0, values: values(kind, i, m) };
  }
  return out;
}

function scenario(name: string, kindOf: (i: number) => SensorKind): void {
  const before = used();
  // Ids are counted in the per-sensor figure: the aggregator's Map keeps them alive.
  const ids = Array.from({ length: SENSORS }, (_, i) => `taoyuan-${kindOf(i)}-${i}`);
  const agg = new Aggregator({ allowedLatenessMs: LATENESS });
  let addMs = 0;
  let advanceMs = 0;
  let adds = 0;
  let steadyMs = 0;
  let steadyAdds = 0;
  let emitted = 0;
  let perSensor = 0;
  let steady = 0;
  for (let m = 0; m < MINUTES; m++) {
    const batch = minuteOfReadings(kindOf, ids, m, m * SENSORS + 1);
    const t0 = performance.now();
    for (let i = 0; i < batch.length; i++) agg.add(batch[i]!);
    const took = performance.now() - t0;
    addMs += took;
    adds += batch.length;
    if (m > 0) {
      steadyMs += took;
      steadyAdds += batch.length;
    }
    const t1 = performance.now();
    emitted += agg.advance(T0 + (m + 1) * 60_000 + 30_000).length; // tick 30 s after the minute
    advanceMs += performance.now() - t1;
    batch.length = 0;
    if (m === 0) perSensor = (used() - before) / SENSORS; // accumulators, id map, one open minute's bookkeeping
    if (m === MINUTES - 1) steady = (used() - before) / SENSORS; // plus the open hour's member list

  }
  const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en')} /s`;
  console.log(`${name}: ${SENSORS.toLocaleString('en')} sensors × ${MINUTES} min`);
  console.log(`  add():                 ${rate(adds, addMs)}  (${((addMs * 1e6) / adds).toFixed(0)} ns/reading)`);
  console.log(`  add(), minutes 1+:     ${rate(steadyAdds, steadyMs)}  (sensors already registered)`);
  console.log(`  add() + advance():     ${rate(adds, addMs + advanceMs)}  (${emitted.toLocaleString('en')} aggregates emitted)`);
  console.log(`  memory per sensor:     ${perSensor.toFixed(0)} B after minute 0, ${steady.toFixed(0)} B after minute ${MINUTES - 1} (heapUsed + arrayBuffers, ids included)`);
  if (agg.stats().sensors !== SENSORS) throw new Error('not every sensor registered');
}

console.log(`node ${process.version}, lateness ${LATENESS / 1000} s`);
scenario('streetlights (2 numeric fields)', () => 'streetlight');
scenario('air quality (8 numeric fields)', () => 'air-quality');
const mix: SensorKind[] = ['streetlight', 'streetlight', 'streetlight', 'parking', 'water-level', 'air-quality'];
scenario('mixed city (½ lights, ⅙ parking, ⅙ flood, ⅙ air)', (i) => mix[i % mix.length]!);
