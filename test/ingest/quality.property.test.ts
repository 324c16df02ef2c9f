import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KINDS, kindOf, QualityFlag } from '../../domain/index.ts';
import { newQualityTrack, spikeStuckFlags, trackedFields } from '../../ingest/index.ts';

const MIN = 60_000;
const level = kindOf('water-level').fields.find((f) => f.name === 'currentLevel')!;
const depth = kindOf('water-level').fields.find((f) => f.name === 'floodDepth')!;
const RATE = level.spike!; // m per minute
const COUNT = level.stuck!.count;

interface Pt {
  readonly t: number;
  readonly v: number;
}

/**
 * QF1 restated over the whole series: reading i is a spike when it differs from the latest
 * earlier non-spike reading by more than the rate allows over the time between them.
 */
function expectedSpikes(xs: readonly Pt[], rate: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < xs.length; i++) {
    const j = out.lastIndexOf(false); // latest earlier non-spike (out holds 0..i-1)
    const ref = j >= 0 ? xs[j]! : undefined;
    // Rate per ms × max(1 min, gap): the same floating-point steps as the definition, so a jump exactly at the allowance agrees.
    out.push(ref !== undefined && Math.abs(xs[i]!.v - ref.v) > (rate / MIN) * Math.max(MIN, Math.abs(xs[i]!.t - ref.t)));
  }
  return out;
}

/**
 * QF2 restated by looking back: after collapsing exact re-sends of the previous reading,
 * reading i is stuck when it and the count − 1 readings before it carry one value ≠ ignore.
 */
function expectedStuck(xs: readonly Pt[], count: number, ignore?: number): boolean[] {
  const kept: Pt[] = [];
  return xs.map((x) => {
    const prev = kept.at(-1);
    if (!(prev && prev.t === x.t && prev.v === x.v)) kept.push(x);
    const tail = kept.slice(-count);
    return tail.length === count && tail.every((p) => p.v === x.v) && x.v !== ignore;
  });
}

function run(field: string, xs: readonly Pt[]): number[] {
  const track = newQualityTrack('water-level')!;
  return xs.map((x) => spikeStuckFlags(track, { [field]: x.v }, x.t));
}

/** A 10-minute station: a gentle random walk with injected jumps, flat runs and re-sends. */
const step = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('walk' as const), d: fc.integer({ min: -5, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('jump' as const), d: fc.oneof(fc.integer({ min: 250, max: 900 }), fc.integer({ min: -900, max: -250 })) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('flat' as const), n: fc.integer({ min: 1, max: 2 * COUNT }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('resend' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('gap' as const), minutes: fc.integer({ min: 11, max: 600 }), d: fc.integer({ min: -300, max: 300 }) }) },
);

function series(steps: ReadonlyArray<{ k: string; d?: number; n?: number; minutes?: number }>, base = 9400): Pt[] {
  const xs: Pt[] = [];
  let t = Date.UTC(2026, 10, 22);
  let cm = base;
  const push = (v: number) => xs.push({ t, v: v / 100 });
  push(cm);
  for (const s of steps) {
    if (s.k === 'resend') {
      xs.push({ ...xs.at(-1)! });
      continue;
    }
    if (s.k === 'flat') {
      for (let i = 0; i < s.n!; i++) {
        t += 10 * MIN;
        push(cm);
      }
      continue;
    }
    t += (s.k === 'gap' ? s.minutes! : 10) * MIN;
    if (s.k === 'jump') push(cm + s.d!); // a lone outlier: the walk goes on from cm
    else {
      cm += s.d!;
      push(cm);
    }
  }
  return xs;
}

describe('SPIKE and STUCK flags (QF1, QF2)', () => {
  it('the kind descriptions give parameters to the continuous fields named in README, none to categorical ones', () => {
    assert.deepEqual(trackedFields('water-level'), ['currentLevel', 'floodDepth']);
    assert.deepEqual(trackedFields('air-quality'), ['pm25', 'pm10']);
    assert.deepEqual(trackedFields('streetlight'), ['powerConsumption']);
    assert.deepEqual(trackedFields('parking'), []);
    assert.equal(newQualityTrack('parking'), undefined);
    for (const d of Object.values(KINDS)) for (const f of d.fields) if (f.type === 'string') assert.ok(f.spike === undefined && f.stuck === undefined, f.name);
  });

  it('a random series with injected jumps and flat runs is flagged exactly where the definitions say', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const xs = series(steps);
        const flags = run('currentLevel', xs);
        const spikes = expectedSpikes(xs, RATE);
        const stuck = expectedStuck(xs, COUNT);
        for (let i = 0; i < xs.length; i++) {
          assert.equal(Boolean(flags[i]! & QualityFlag.SPIKE), spikes[i], `SPIKE at ${i}`);
          assert.equal(Boolean(flags[i]! & QualityFlag.STUCK), stuck[i], `STUCK at ${i}`);
          assert.equal(flags[i]! & ~(QualityFlag.SPIKE | QualityFlag.STUCK), 0, 'no other bit');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a lone outlier flags itself only; gentle change and re-sends are never flagged', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 60 }), fc.nat(), fc.integer({ min: 250, max: 900 }), (walk, at, jump) => {
        const steps = walk.map((d) => ({ k: 'walk', d }));
        const i = at % steps.length;
        const withJump = [...steps.slice(0, i), { k: 'jump', d: jump }, ...steps.slice(i)];
        const flags = run('currentLevel', series(withJump));
        // xs[0] is the base, so the jump is reading i + 1.
        flags.forEach((f, k) => assert.equal(Boolean(f & QualityFlag.SPIKE), k === i + 1, `reading ${k}`));
        const calm = run('currentLevel', series(steps.flatMap((s) => [s, { k: 'resend' }])));
        assert.ok(calm.every((f) => f === 0), 'a walk of ≤ 5 cm per 10 min, with re-sends, has no flag');
      }),
    );
  });

  it('a flat run is STUCK from its count-th reading on, until it changes; the ignored value never is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * COUNT }), (n) => {
        const flags = run('currentLevel', series([{ k: 'flat', n: n - 1 }, { k: 'walk', d: 1 }]));
        flags.forEach((f, k) => assert.equal(Boolean(f & QualityFlag.STUCK), k < n && k >= COUNT - 1, `reading ${k} of a run of ${n}`));
        // A dry road: floodDepth 0 for days is no fault; one depth above 0 is.
        const track = newQualityTrack('water-level')!;
        const dry = Array.from({ length: depth.stuck!.count + 5 }, (_, k) => spikeStuckFlags(track, { floodDepth: 0 }, k * 5 * MIN));
        assert.ok(dry.every((f) => f === 0));
        const wet = Array.from({ length: depth.stuck!.count }, (_, k) => spikeStuckFlags(track, { floodDepth: 3 }, (k + 1000) * 5 * MIN));
        assert.equal(wet.filter((f) => f & QualityFlag.STUCK).length, 1, 'the count-th identical non-zero depth is STUCK');
      }),
      { numRuns: 30 },
    );
  });

  it('fields are tracked separately, and a reading without the field leaves its state alone', () => {
    const track = newQualityTrack('water-level')!;
    assert.equal(spikeStuckFlags(track, { currentLevel: 94 }, 0), 0);
    assert.equal(spikeStuckFlags(track, { floodDepth: 0 }, 10 * MIN), 0);
    assert.equal(spikeStuckFlags(track, { floodDepth: 200 }, 15 * MIN), QualityFlag.SPIKE, '200 cm in 5 min > 10 cm/min');
    assert.equal(spikeStuckFlags(track, { currentLevel: 95.9 }, 20 * MIN), 0, '1.9 m in 20 min is within 0.2 m/min');
    assert.equal(spikeStuckFlags(track, { currentLevel: 99 }, 21 * MIN), QualityFlag.SPIKE);
  });
});
