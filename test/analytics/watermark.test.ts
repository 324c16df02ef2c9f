import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Aggregate, Reading } from '../../domain/index.ts';
import { Aggregator } from '../../analytics/index.ts';
import { HOUR, MIN, T0, TAOYUAN, ZHONGLI, airSensor, parkingSensor, reading } from './fixtures.ts';

const L = 60_000;

describe('Aggregator: watermark and late readings (W2–W5)', () => {
  it('W4: a reading whose minute has closed is refused and counted; one behind the watermark in an open minute is taken', () => {
    const agg = new Aggregator({ allowedLatenessMs: L });
    const pk = parkingSensor();
    agg.advance(T0 + 2 * MIN + 30_000); // watermark T0 + 1m30s: minute [T0, T0+1m) closed
    assert.equal(agg.add(reading(pk, T0 + 59_000, { occupiedSpotNumber: 1 })), false);
    assert.equal(agg.add(reading(pk, T0 + MIN + 10_000, { occupiedSpotNumber: 2 })), true); // ts < watermark, minute open
    const out = agg.advance(T0 + 3 * MIN); // watermark exactly at the end of minute T0+1m: that minute is now closed
    assert.equal(agg.add(reading(pk, T0 + 2 * MIN - 1, { occupiedSpotNumber: 3 })), false);
    assert.deepEqual([agg.stats().late, agg.stats().accepted], [2, 1]);
    assert.deepEqual(out.filter((a) => a.scope === 'sensor').map((a) => [a.start, a.count, a.last]), [[T0 + MIN, 1, 2]]);
  });

  it('W2: the watermark never moves back', () => {
    const agg = new Aggregator({ allowedLatenessMs: L });
    agg.advance(T0 + 10 * MIN);
    agg.advance(T0);
    assert.equal(agg.watermarkMs, T0 + 9 * MIN);
    assert.equal(agg.add(reading(parkingSensor(), T0 + 8 * MIN, { occupiedSpotNumber: 1 })), false);
  });

  it('W3: a window is emitted once, when its end reaches nowMs − lateness', () => {
    const agg = new Aggregator({ allowedLatenessMs: L });
    agg.add(reading(parkingSensor(), T0 + 5_000, { occupiedSpotNumber: 1 }));
    assert.deepEqual(agg.advance(T0 + MIN), []);
    assert.deepEqual(agg.advance(T0 + 2 * MIN - 1), []);
    assert.equal(agg.advance(T0 + 2 * MIN).length, 2); // sensor + district
    assert.deepEqual(agg.advance(T0 + 3 * MIN), []);
  });

  it('W5: readings from the future go into their own windows, however many are open per sensor', () => {
    const agg = new Aggregator({ allowedLatenessMs: L });
    const pk = parkingSensor();
    agg.advance(T0);
    for (let m = 0; m < 8; m++) assert.equal(agg.add(reading(pk, T0 + m * MIN + 1, { occupiedSpotNumber: m })), true);
    assert.equal(agg.stats().openMinutes, 8);
    const out = agg.advance(T0 + 9 * MIN).filter((a) => a.scope === 'sensor' && a.period === '1m');
    assert.deepEqual(out.map((a) => [a.start - T0, a.count, a.last]), Array.from({ length: 8 }, (_, m) => [m * MIN, 1, m]));
  });
});

describe('Aggregator: retainedFromSeq (W6)', () => {
  it('is the smallest seq of any open minute or hour, tracked per window', () => {
    const agg = new Aggregator({ allowedLatenessMs: L });
    const pk = parkingSensor();
    assert.equal(agg.retainedFromSeq(), Infinity);
    agg.add(reading(pk, T0 + MIN, { occupiedSpotNumber: 1 }, 20));
    agg.add(reading(pk, T0 + 10_000, { occupiedSpotNumber: 1 }, 21)); // earlier minute, later seq
    agg.add(reading(pk, T0 + 20_000, { occupiedSpotNumber: 1 }, 15));
    assert.equal(agg.retainedFromSeq(), 15);
    agg.advance(T0 + 2 * MIN); // closes minute T0 → its seqs live on in the open hour
    assert.equal(agg.retainedFromSeq(), 15);
    agg.add(reading(pk, T0 + HOUR + 1, { occupiedSpotNumber: 1 }, 30));
    agg.advance(T0 + HOUR + L); // closes hour T0
    assert.equal(agg.retainedFromSeq(), 30);
    agg.advance(T0 + 2 * HOUR + L);
    assert.equal(agg.retainedFromSeq(), Infinity);
  });

  it('ignores late readings (they are not held by any window)', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    agg.advance(T0 + MIN);
    assert.equal(agg.add(reading(parkingSensor(), T0, { occupiedSpotNumber: 1 }, 3)), false);
    assert.equal(agg.retainedFromSeq(), Infinity);
  });
});

describe('Aggregator: flushAll (W8)', () => {
  it('emits every open window as partial, and keeps their seqs retained for the next run', () => {
    const agg = new Aggregator({ allowedLatenessMs: L });
    agg.add(reading(airSensor('a', TAOYUAN), T0 + 10_000, { pm25: 4 }, 7));
    agg.add(reading(airSensor('b', ZHONGLI), T0 + 5 * MIN, { pm25: 6 }, 8));
    const out = agg.flushAll();
    const keys = out.map((a) => `${a.scope}/${a.key}/${a.period}/${a.start - T0}`).sort();
    assert.deepEqual(keys, [
      `district/${TAOYUAN.code}/1h/0`, `district/${TAOYUAN.code}/1m/0`, `district/${ZHONGLI.code}/1h/0`, `district/${ZHONGLI.code}/1m/${5 * MIN}`,
      'sensor/a/1h/0', 'sensor/a/1m/0', 'sensor/b/1h/0', `sensor/b/1m/${5 * MIN}`,
    ]);
    assert.equal(agg.retainedFromSeq(), 7);
    assert.deepEqual(agg.stats().openMinutes + agg.stats().openHours, 0);
  });
});

type Store = Map<string, Aggregate>;
const upsert = (store: Store, batch: readonly Aggregate[]): void => {
  for (const a of batch) store.set(`${a.scope}|${a.key}|${a.period}|${a.start}|${a.field}`, a); // storage S2 key
};

/** Readings of three sensors over 3 h; arrival = ts + delay; seq in arrival order as the journal assigns it. */
function stream(maxDelay: number): { r: Reading; arrival: number }[] {
  const sensors = [parkingSensor('p1', TAOYUAN), parkingSensor('p2', TAOYUAN), parkingSensor('p3', ZHONGLI)];
  const events: { r: Reading; arrival: number }[] = [];
  let i = 0;
  for (let ts = T0; ts < T0 + 3 * HOUR; ts += 17_000) {
    const s = sensors[i % 3]!;
    const delay = (i * 7919) % (maxDelay + 1);
    events.push({ r: reading(s, ts, { occupiedSpotNumber: (i * 31) % 200 }, 0), arrival: ts + delay });
    i++;
  }
  events.sort((a, b) => a.arrival - b.arrival);
  events.forEach((e, n) => (e.r.seq = n + 1));
  return events;
}

/** Feeds events with a 10 s tick; returns the aggregator; calls `at` before each tick boundary. */
function run(agg: Aggregator, events: readonly { r: Reading; arrival: number }[], store: Store, until = Infinity, clock = { t: T0 }): void {
  for (const e of events) {
    if (e.arrival >= until) break;
    while (clock.t + 10_000 <= e.arrival) {
      clock.t += 10_000;
      upsert(store, agg.advance(clock.t));
    }
    agg.add({ ...e.r, flags: 0 });
  }
}

describe('Aggregator: restart from the journal (W7)', () => {
  for (const shutdown of ['crash', 'flushAll'] as const) {
    it(`after a ${shutdown}, replay from the checkpoint upserts the same aggregates as an uninterrupted run`, () => {
      const events = stream(L); // every reading within the lateness: none late
      const reference: Store = new Map();
      const ref = new Aggregator({ allowedLatenessMs: L });
      run(ref, events, reference);
      upsert(reference, ref.advance(T0 + 5 * HOUR));
      assert.equal(ref.stats().late, 0);

      const store: Store = new Map();
      const first = new Aggregator({ allowedLatenessMs: L });
      const checkpointAt = T0 + HOUR + 30 * MIN;
      const crashAt = T0 + 2 * HOUR + 10 * MIN; // hour 1 closed after the checkpoint, hour 2 half done
      const clock = { t: T0 };
      run(first, events, store, checkpointAt, clock);
      let checkpoint = { fromSeq: first.retainedFromSeq(), watermarkMs: first.watermarkMs };
      run(first, events.filter((e) => e.arrival >= checkpointAt), store, crashAt, clock);
      if (shutdown === 'flushAll') {
        // Orderly stop: partial windows are written, and the checkpoint taken after the flush still covers them (W8).
        upsert(store, first.flushAll());
        checkpoint = { fromSeq: first.retainedFromSeq(), watermarkMs: first.watermarkMs };
        assert.ok(Number.isFinite(checkpoint.fromSeq));
      }

      const second = new Aggregator({ allowedLatenessMs: L, resumeWatermarkMs: checkpoint.watermarkMs });
      const journal = events.filter((e) => e.arrival < crashAt && e.r.seq >= checkpoint.fromSeq);
      assert.ok(journal.length > 20 && journal.length < events.length / 2, `the replay is a real suffix of the journal (${journal.length})`);
      for (const e of journal) second.add({ ...e.r, flags: 0 });
      run(second, events.filter((e) => e.arrival >= crashAt), store, Infinity, clock);
      upsert(store, second.advance(T0 + 5 * HOUR));
      assert.equal(store.size, reference.size);
      assert.deepEqual(store, reference);
    });
  }

  it('without the resume watermark, replay would overwrite closed windows with partial ones (why W7 needs it)', () => {
    const events = stream(L);
    const reference: Store = new Map();
    const ref = new Aggregator({ allowedLatenessMs: L });
    run(ref, events, reference);
    upsert(reference, ref.advance(T0 + 5 * HOUR));
    const store: Store = new Map(reference);
    const crashAt = T0 + 2 * HOUR + 10 * MIN;
    const partial = new Aggregator({ allowedLatenessMs: L });
    run(partial, events, new Map(), crashAt);
    const fromSeq = partial.retainedFromSeq();
    const naive = new Aggregator({ allowedLatenessMs: L });
    for (const e of events.filter((x) => x.arrival < crashAt && x.r.seq >= fromSeq)) naive.add({ ...e.r, flags: 0 });
    upsert(store, naive.advance(T0 + 5 * HOUR));
    assert.notDeepEqual(store, reference);
  });
});
