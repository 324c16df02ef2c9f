import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { AnalyticsPipeline } from '../../analytics/index.ts';
import { connectAnalytics } from '../../app/analytics-sinks.ts';
import { parseSensorTopic, sensorTopic, QualityFlag, type Aggregate, type Reading, type Sensor } from '../../domain/index.ts';
import { Ingest, Journal } from '../../ingest/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore, StoreWriter } from '../../storage/index.ts';

const logger = pino({ level: 'silent' });
const DEMO = new URL('../../config/registry.demo.yaml', import.meta.url);
const registry = Registry.parse(readFileSync(DEMO, 'utf8'), 'config/registry.demo.yaml');
const aq = [...registry.sensors()].filter((s) => s.kind === 'air-quality');
const first = aq[0]!;
// Two sensors in one district (district windows merge them) and one elsewhere.
const SENSORS: Sensor[] = [first, aq.find((s) => s !== first && s.district.code === first.district.code)!, aq.find((s) => s.district.code !== first.district.code)!];
const DISTRICTS = [...new Set(SENSORS.map((s) => s.district.code))];
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2026-11-22T00:00:00+08:00, a Taipei midnight. */
const T0 = Date.UTC(2026, 10, 21, 16, 0, 0);
const HORIZON = 7 * DAY;

type Op =
  | { t: 'on'; s: number; adv: number; v: number }
  | { t: 'dup'; pick: number; adv: number }
  | { t: 'corr'; pick: number; adv: number; v: number }
  | { t: 'timeless'; s: number; adv: number; v: number; burst: number }
  | { t: 'late'; s: number; adv: number; age: number; v: number }
  | { t: 'bad'; s: number; adv: number }
  | { t: 'tick'; adv: number };

const adv = fc.integer({ min: 0, max: 90_000 });
const value = fc.integer({ min: 0, max: 300 });
const sensor = fc.integer({ min: 0, max: SENSORS.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('on' as const), s: sensor, adv, v: value }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('dup' as const), pick: fc.nat(), adv }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('corr' as const), pick: fc.nat(), adv, v: value }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('timeless' as const), s: sensor, adv, v: value, burst: fc.integer({ min: 1, max: 10 }) }) },
  // Late by up to the horizon (minus a margin so the end of the stream keeps it inside).
  { weight: 3, arbitrary: fc.record({ t: fc.constant('late' as const), s: sensor, adv, age: fc.oneof(fc.integer({ min: 61_000, max: 2 * HOUR }), fc.integer({ min: 2 * HOUR, max: HORIZON - DAY })), v: value }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('bad' as const), s: sensor, adv }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), adv }) },
);

interface Pipeline {
  now: number;
  readonly ingest: Ingest;
  readonly processor: AnalyticsPipeline;
  readonly writer: StoreWriter;
  readonly store: DuckDbStore;
  readonly metrics: MetricsRegistry;
  readonly journal: Journal;
  readonly dir: string;
}

async function pipeline(): Promise<Pipeline> {
  const dir = await mkdtemp(path.join(tmpdir(), 'civic-late-'));
  const metrics = new MetricsRegistry();
  const store = new DuckDbStore({ path: ':memory:', logger, metrics, readers: 1 });
  await store.open();
  const writer = new StoreWriter({ store, maxBatch: 16, logger, metrics, retry: { initialMs: 5, maxMs: 20 } });
  const journal = Journal.open({ dir, segmentBytes: 1 << 20, fsync: false, logger, metrics });
  const p = { now: T0 } as Pipeline;
  const ingest = new Ingest({
    registry, journal, policy: { maxFutureSkewMs: 300_000, maxPastSkewMs: HORIZON, rejectOlderThanMs: 30 * DAY },
    deadLetterPayloadBytes: 256, onDeadLetter: (d) => writer.addDeadLetter(d), clock: () => p.now, logger, metrics,
  });
  const processor = new AnalyticsPipeline({ source: writer, allowedLatenessMs: 60_000, lateHorizonMs: HORIZON, logger, metrics });
  connectAnalytics(processor, ingest.readings$, { writer, alerts: { onReading: () => undefined } });
  return Object.assign(p, { ingest, processor, writer, store, metrics, journal, dir });
}

function send(p: Pipeline, s: Sensor, payload: unknown): Promise<void> {
  const topic = sensorTopic(s.kind, s.id, 'telemetry');
  return new Promise((resolve, reject) =>
    p.ingest.handle({ topic, parsed: parseSensorTopic(topic), payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), clientId: s.id, principal: { type: 'sensor', id: s.id }, qos: 1, receivedAt: p.now }, (err) => (err ? reject(err) : resolve())),
  );
}

async function tick(p: Pipeline): Promise<void> {
  p.processor.onTick(p.now);
  await p.writer.flush();
  await p.processor.settled();
  await p.writer.flush();
}

async function counter(m: MetricsRegistry, name: string): Promise<number> {
  return ((await m.getSingleMetric(name)?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
}

/** The reference: aggregates recomputed from the stored raw readings, by plain grouping. */
function reference(rows: readonly Reading[]): Map<string, { count: number; sum: number; min: number; max: number; lastTs: number; lasts: Set<number> }> {
  const out = new Map<string, { count: number; sum: number; min: number; max: number; lastTs: number; lasts: Set<number> }>();
  for (const r of rows) {
    for (const [field, v] of Object.entries(r.values)) {
      if (typeof v !== 'number') continue;
      for (const [scope, key] of [['sensor', r.sensorId], ['district', r.district]] as const) {
        for (const [period, size] of [['1m', MIN], ['1h', HOUR], ['1d', DAY]] as const) {
          const start = Math.floor((r.ts - (period === '1d' ? 16 * HOUR : 0)) / size) * size + (period === '1d' ? 16 * HOUR : 0);
          const k = `${scope}|${key}|${period}|${start}|${field}`;
          let a = out.get(k);
          if (!a) out.set(k, (a = { count: 0, sum: 0, min: Infinity, max: -Infinity, lastTs: -Infinity, lasts: new Set() }));
          a.count++; a.sum += v; a.min = Math.min(a.min, v); a.max = Math.max(a.max, v);
          if (r.ts > a.lastTs) { a.lastTs = r.ts; a.lasts = new Set([v]); } else if (r.ts === a.lastTs) a.lasts.add(v);
        }
      }
    }
  }
  return out;
}

/** Days as the open-data feeds serve them: folded from the stored hours (Taipei days). */
function foldDays(hours: readonly Aggregate[]): Aggregate[] {
  const byDay = new Map<string, Aggregate & { lastStart: number; sum: number }>();
  for (const h of [...hours].sort((a, b) => a.start - b.start)) {
    const start = Math.floor((h.start - 16 * HOUR) / DAY) * DAY + 16 * HOUR;
    const k = `${h.scope}|${h.key}|1d|${start}|${h.field}`;
    const d = byDay.get(k);
    if (!d) byDay.set(k, { ...h, start, sum: h.mean * h.count, lastStart: h.start });
    else byDay.set(k, { ...d, count: d.count + h.count, sum: d.sum + h.mean * h.count, min: Math.min(d.min, h.min), max: Math.max(d.max, h.max), last: h.last, lastStart: h.start });
  }
  return [...byDay.values()].map((d) => ({ ...d, mean: d.sum / d.count, period: '1h' as const }));
}

describe('late, duplicate, corrected and timeless readings (AC1–AC3, LA1–LA5)', () => {
  it('stored 1m/1h/1d aggregates per sensor and district equal a recomputation from stored raw readings; acknowledged = stored rows + audit rows; rejected = dead letters', async () => {
    await fc.assert(
      fc.asyncProperty(process.env.OPS ? fc.constant(JSON.parse(process.env.OPS) as Op[]) : fc.array(op, { minLength: 5, maxLength: 45 }), async (ops) => {
        const t0 = Date.now();
        const p = await pipeline();
        const sent: { s: Sensor; ts: number; v: number }[] = [];
        // One model entry per (sensor, time): a second reading for it is a correction (or a re-send) of the first.
        const note = (s: Sensor, ts: number, v: number) => {
          const e = sent.find((x) => x.s === s && x.ts === ts);
          if (e) e.v = v;
          else sent.push({ s, ts, v });
        };
        try {
          p.processor.onTick(p.now);
          for (const o of ops) {
            p.now += o.adv;
            if (o.t === 'on') {
              note(SENSORS[o.s]!, p.now, o.v);
              await send(p, SENSORS[o.s]!, { pm25: o.v, dateObserved: p.now });
            } else if (o.t === 'late') {
              const ts = p.now - o.age;
              note(SENSORS[o.s]!, ts, o.v);
              await send(p, SENSORS[o.s]!, { pm25: o.v, dateObserved: ts });
            } else if ((o.t === 'dup' || o.t === 'corr') && sent.length) {
              const e = sent[o.pick % sent.length]!;
              const v = o.t === 'dup' ? e.v : o.v;
              await send(p, e.s, { pm25: v, dateObserved: e.ts });
              e.v = v;
            } else if (o.t === 'timeless') {
              // A burst in one millisecond: AC1 gives each its own time.
              await Promise.all(Array.from({ length: o.burst }, (_, i) => send(p, SENSORS[o.s]!, { pm25: o.v + i })));
            } else if (o.t === 'bad') {
              await send(p, SENSORS[o.s]!, '{"pm25": ');
            } else if (o.t === 'tick') {
              await tick(p);
            }
          }
          // Let every window close and every recompute finish.
          for (let i = 0; i < 4; i++) {
            p.now += HOUR + 2 * MIN;
            await tick(p);
          }
          assert.equal(p.processor.lateWindowsPending, 0, 'LA4: no dirty window is left');

          const rows: Reading[] = [];
          for (const d of DISTRICTS) rows.push(...(await p.store.windowReadings({ kind: 'air-quality', district: d, from: T0 - 8 * DAY, to: p.now + DAY })));
          // AC2: the stored row of every (sensor, ts) carries the latest values sent for it.
          for (const e of sent) {
            const row = rows.find((r) => r.sensorId === e.s.id && r.ts === e.ts);
            assert.ok(row, `AC2: ${e.s.id} @ ${e.ts} is stored`);
            assert.equal(row.values.pm25, e.v, `AC2: ${e.s.id} @ ${e.ts} holds the last values sent`);
          }
          // AC3: counters agree with the store exactly.
          const audit = await p.store.auditCounts();
          assert.equal(await counter(p.metrics, 'civic_ingest_readings_total'), rows.length + audit.duplicate + audit.superseded, 'AC3: acknowledged = stored rows + audit rows');
          const dead = Object.values(await p.store.deadLetterCounts()).reduce((n, v) => n + v, 0);
          assert.equal(await counter(p.metrics, 'civic_ingest_rejected_total'), dead, 'AC3: rejected = dead letters');
          assert.equal(rows.filter((r) => r.flags & QualityFlag.CORRECTED).length > 0, audit.superseded > 0, 'AC2: corrected rows are flagged');

          const ref = reference(rows);
          const stored: Aggregate[] = [];
          for (const scope of ['sensor', 'district'] as const) {
            for (const period of ['1m', '1h'] as const) stored.push(...(await p.store.aggregates({ scope, period, from: T0 - 8 * DAY, to: p.now + DAY, limit: 1_000_000 })));
          }
          const days = foldDays(stored.filter((a) => a.period === '1h'));
          const got = new Map<string, Aggregate>();
          for (const a of stored) got.set(`${a.scope}|${a.key}|${a.period}|${a.start}|${a.field}`, a);
          for (const a of days) got.set(`${a.scope}|${a.key}|1d|${a.start}|${a.field}`, a);
          assert.deepEqual([...got.keys()].sort(), [...ref.keys()].sort(), 'LA3: the same windows exist');
          for (const [k, r] of ref) {
            const a = got.get(k)!;
            assert.equal(a.count, r.count, `${k} count`);
            assert.ok(Math.abs(a.mean - r.sum / r.count) < 1e-9, `${k} mean ${a.mean} vs ${r.sum / r.count}`);
            assert.equal(a.min, r.min, `${k} min`);
            assert.equal(a.max, r.max, `${k} max`);
            assert.ok(r.lasts.has(a.last), `${k} last ${a.last} ∈ ${[...r.lasts].join(',')}`);
          }
        } finally {
          if (process.env.OPS) console.log('run ms', Date.now() - t0, JSON.stringify(await p.store.aggregates({ scope: 'sensor', period: '1h', from: 0, to: 2e12, limit: 100 })));
          p.writer.stop();
          await p.journal.close();
          await p.store.close();
          await rm(p.dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 25) },
    );
  });
});
