import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { QualityFlag, type Aggregate, type Reading } from '../../domain/index.ts';
import { Aggregator, aggregateWith, type AnalyticsError } from '../../analytics/index.ts';
import { MIN, T0, TAOYUAN, parkingSensor, reading } from './fixtures.ts';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const pk = parkingSensor('pk-1', TAOYUAN);

function agg(scope: Aggregate['scope'], start: number, count: number, mean: number, min: number, max: number, last: number): Aggregate {
  return { scope, key: scope === 'sensor' ? 'pk-1' : TAOYUAN.code, kind: 'parking', district: TAOYUAN.code, period: '1m', start, field: 'occupiedSpotNumber', count, mean, min, max, last };
}

describe('aggregateWith (virtual time)', () => {
  it('emits on the tick that closes a window, nothing on ticks that close none', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const readings = hot<Reading>('-a-b--------', { a: reading(pk, T0 + 1_000, { occupiedSpotNumber: 4 }), b: reading(pk, T0 + 2_000, { occupiedSpotNumber: 6 }) });
      const ticks = hot<number>('    ----x--y--z-', { x: T0 + 30_000, y: T0 + MIN, z: T0 + 2 * MIN });
      const out = readings.pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 0 }), ticks));
      expectObservable(out).toBe('-------y----', { y: [agg('sensor', T0, 2, 5, 4, 6, 6), agg('district', T0, 2, 5, 4, 6, 6)] });
    });
  });

  it('flags a late reading LATE, reports it, and leaves it out of the aggregates', () => {
    const late: Reading[] = [];
    const old = reading(pk, T0 + 5_000, { occupiedSpotNumber: 100 });
    scheduler().run(({ hot, cold, expectObservable }) => {
      const readings = cold<Reading>('-a--b-c|', { a: reading(pk, T0 + 1_000, { occupiedSpotNumber: 1 }), b: old, c: reading(pk, T0 + MIN, { occupiedSpotNumber: 3 }) });
      const ticks = hot<number>('     --x-----', { x: T0 + MIN });
      const out = readings.pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 0 }), ticks, { onLate: (r) => late.push(r) }));
      expectObservable(out).toBe('--x----(f|)', {
        x: [agg('sensor', T0, 1, 1, 1, 1, 1), agg('district', T0, 1, 1, 1, 1, 1)],
        f: [agg('sensor', T0 + MIN, 1, 3, 3, 3, 3), agg('district', T0 + MIN, 1, 3, 3, 3, 3), { ...agg('sensor', 0, 1, 1, 1, 1, 1), period: '1h', start: T0, count: 2, mean: 2, max: 3, last: 3 }, { ...agg('district', 0, 1, 1, 1, 1, 1), period: '1h', start: T0, count: 2, mean: 2, max: 3, last: 3 }],
      });
    });
    assert.deepEqual(late, [old]);
    assert.equal(old.flags & QualityFlag.LATE, QualityFlag.LATE);
  });

  it('isolates a reading that throws: onError gets a coded error, later readings still count (habit 9)', () => {
    const errors: [string, number | undefined][] = [];
    scheduler().run(({ cold, hot, expectObservable }) => {
      const bad = { ...reading(pk, T0, { occupiedSpotNumber: 1 }), kind: 'tide-gauge' } as unknown as Reading;
      const readings = cold<Reading>('-a-b-c|', { a: reading(parkingSensor('other'), T0, { occupiedSpotNumber: 1 }), b: bad, c: reading(pk, T0 + 3_000, { occupiedSpotNumber: 9 }) });
      const ticks = hot<number>('-');
      const onError = (e: AnalyticsError, r?: Reading): void => void errors.push([e.code, r?.seq]);
      const out = readings.pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 0 }), ticks, { onError }));
      expectObservable(out).toBe('------(f|)', {
        f: [
          { ...agg('sensor', T0, 1, 1, 1, 1, 1), key: 'other' }, agg('sensor', T0, 1, 9, 9, 9, 9), agg('district', T0, 2, 5, 1, 9, 9),
          { ...agg('sensor', T0, 1, 1, 1, 1, 1), key: 'other', period: '1h' }, { ...agg('sensor', T0, 1, 9, 9, 9, 9), period: '1h' }, { ...agg('district', T0, 2, 5, 1, 9, 9), period: '1h' },
        ],
      });
    });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]![0], 'UNKNOWN_KIND');
  });

  it('empty source: completes without emitting (flush of nothing is not emitted)', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      expectObservable(cold<Reading>('---|').pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 0 }), hot<number>('-x-', { x: T0 })))).toBe('---|');
    });
  });

  it('never: no readings, no ticks, no emission and no completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Reading>('-').pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 0 }), cold<number>('-')))).toBe('-');
    });
  });

  it('passes on errors of the source and of the clock', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const mk = () => new Aggregator({ allowedLatenessMs: 0 });
      expectObservable(cold<Reading>('--#', {}, new Error('source')).pipe(aggregateWith(mk(), cold<number>('-')))).toBe('--#', {}, new Error('source'));
      expectObservable(cold<Reading>('-----').pipe(aggregateWith(mk(), cold<number>('-#', {}, new Error('clock'))))).toBe('-#', {}, new Error('clock'));
    });
  });

  it('early unsubscribe tears down readings and ticks, without a flush', () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const readings = hot<Reading>('-a-------|', { a: reading(pk, T0, { occupiedSpotNumber: 1 }) });
      const ticks = hot<number>('    ---------');
      expectObservable(readings.pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 0 }), ticks)), '^---!').toBe('-----');
      expectSubscriptions(readings.subscriptions).toBe('^---!');
      expectSubscriptions(ticks.subscriptions).toBe('^---!');
    });
  });
});
