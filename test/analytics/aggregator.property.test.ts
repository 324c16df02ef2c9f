import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Aggregate, Reading, Sensor } from '../../domain/index.ts';
import { Aggregator } from '../../analytics/index.ts';
import { HOUR, MIN, T0, TAOYUAN, ZHONGLI, airSensor, parkingSensor, reading } from './fixtures.ts';

const SENSORS: readonly Sensor[] = [airSensor('a1', TAOYUAN), airSensor('a2', TAOYUAN), airSensor('a3', ZHONGLI), parkingSensor('p1', TAOYUAN)];
const L = 90_000;

/** Integer values keep sums exact, so any summation order gives the same double. */
const event = fc.record({
  sensor: fc.integer({ min: 0, max: SENSORS.length - 1 }),
  ts: fc.integer({ min: 0, max: 2 * HOUR + 5 * MIN }),
  delay: fc.integer({ min: 0, max: L }),
  a: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
  b: fc.integer({ min: -20, max: 40 }),
});
// Distinct event times: "last" is then well defined for the naive model too.
const events = fc.uniqueArray(event, { selector: (e) => e.ts, maxLength: 120 });

interface Ev {
  sensor: number;
  ts: number;
  a: number | undefined;
  b: number;
}

function toReading(e: Ev, seq: number): Reading {
  const s = SENSORS[e.sensor]!;
  const values: Record<string, number> =
    s.kind === 'parking' ? { occupiedSpotNumber: e.b + 20 } : { temperature: e.b, ...(e.a !== undefined ? { pm25: e.a } : {}) };
  return reading(s, T0 + e.ts, values, seq);
}

/** The naive model: group every accepted reading by window key, then summarise. */
function naive(accepted: readonly Reading[]): Map<string, Omit<Aggregate, 'kind'>> {
  const groups = new Map<string, { scope: Aggregate['scope']; key: string; district: string; period: Aggregate['period']; start: number; field: string; pts: [number, number][] }>();
  for (const r of accepted) {
    for (const [field, v] of Object.entries(r.values)) {
      if (typeof v !== 'number') continue;
      for (const period of ['1m', '1h'] as const) {
        const p = period === '1m' ? MIN : HOUR;
        const start = Math.floor(r.ts / p) * p;
        for (const [scope, key] of [['sensor', r.sensorId], ['district', r.district]] as const) {
          const id = `${scope}|${key}|${period}|${start}|${field}`;
          let g = groups.get(id);
          if (!g) groups.set(id, (g = { scope, key, district: r.district, period, start, field, pts: [] }));
          g.pts.push([r.ts, v]);
        }
      }
    }
  }
  const out = new Map<string, Omit<Aggregate, 'kind'>>();
  for (const [id, g] of groups) {
    const vals = g.pts.map((p) => p[1]);
    const last = g.pts.reduce((x, y) => (y[0] > x[0] ? y : x))[1];
    const { pts: _pts, ...rest } = g;
    out.set(id, { ...rest, count: vals.length, mean: vals.reduce((s, v) => s + v, 0) / vals.length, min: Math.min(...vals), max: Math.max(...vals), last });
  }
  return out;
}

function collect(batches: readonly Aggregate[][]): Map<string, Omit<Aggregate, 'kind'>> {
  const out = new Map<string, Omit<Aggregate, 'kind'>>();
  for (const a of batches.flat()) {
    const id = `${a.scope}|${a.key}|${a.period}|${a.start}|${a.field}`;
    assert.equal(out.has(id), false, `window emitted twice: ${id}`);
    const { kind: _kind, ...rest } = a;
    out.set(id, rest);
  }
  return out;
}

describe('Aggregator properties (fast-check)', () => {
  it('any arrival order within the lateness: nothing is late and every aggregate equals the naive recomputation', () => {
    fc.assert(
      fc.property(events, (evs) => {
        const arrivals = evs.map((e) => ({ e, at: e.ts + e.delay })).sort((x, y) => x.at - y.at);
        const agg = new Aggregator({ allowedLatenessMs: L });
        const batches: Aggregate[][] = [];
        const accepted: Reading[] = [];
        arrivals.forEach(({ e, at }, i) => {
          batches.push(agg.advance(T0 + at));
          const r = toReading(e, i + 1);
          assert.equal(agg.add(r), true);
          accepted.push(r);
        });
        batches.push(agg.advance(T0 + 10 * HOUR));
        assert.deepEqual(collect(batches), naive(accepted));
        assert.equal(agg.retainedFromSeq(), Infinity);
      }),
      { numRuns: 150 },
    );
  });

  it('random ticks and arrival order: output = naive over accepted readings; refused ones were in closed minutes; retainedFromSeq is exact', () => {
    // Ticks on 30 s multiples: with L = 90 s the watermark often sits exactly on a window end (the boundary case).
    const step = fc.oneof(fc.record({ tick: fc.integer({ min: 0, max: 360 }).map((k) => k * 30_000) }), fc.record({ add: fc.nat() }));
    fc.assert(
      fc.property(events, fc.array(step, { maxLength: 200 }), fc.boolean(), (evs, steps, flush) => {
        const agg = new Aggregator({ allowedLatenessMs: L });
        const pending = [...evs];
        const accepted: Reading[] = [];
        const batches: Aggregate[][] = [];
        let wm = -Infinity;
        let seq = 0;
        // Accepted readings still in an open hour (every open minute lies in an open hour).
        const held = (): Reading[] => accepted.filter((r) => Math.floor(r.ts / HOUR) * HOUR + HOUR > wm);
        for (const s of steps) {
          if ('tick' in s) {
            batches.push(agg.advance(T0 + s.tick));
            wm = Math.max(wm, T0 + s.tick - L);
          } else if (pending.length > 0) {
            const [e] = pending.splice(s.add % pending.length, 1);
            const r = toReading(e!, ++seq);
            const minuteEnd = Math.floor(r.ts / MIN) * MIN + MIN;
            assert.equal(agg.add(r), minuteEnd > wm);
            if (minuteEnd > wm) accepted.push(r);
          }
          const h = held();
          assert.equal(agg.retainedFromSeq(), h.length ? Math.min(...h.map((r) => r.seq)) : Infinity);
        }
        batches.push(flush ? agg.flushAll() : agg.advance(T0 + 10 * HOUR));
        assert.deepEqual(collect(batches), naive(accepted));
      }),
      { numRuns: 150 },
    );
  });
});
