import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TAIPEI_OFFSET_MS, toTaipeiIso } from '../../domain/index.ts';

/** The plain definition: the fast path (date part formatted once per second) must give exactly this. */
const reference = (ms: number): string => new Date(ms + TAIPEI_OFFSET_MS).toISOString().slice(0, 23) + '+08:00';
const instant = fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: -62_000_000_000_000, max: 8_000_000_000_000_000 }), fc.double({ min: -1e13, max: 1e13, noNaN: true }));

describe('toTaipeiIso', () => {
  it('equals the toISOString definition for any instant, in any order (same second, next second, back in time, fractional, negative, 5-digit years)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(instant, fc.integer({ min: -1500, max: 1500 })), { maxLength: 20 }), (steps) => {
        for (const [t, d] of steps) for (const ms of [t, t + d]) assert.equal(toTaipeiIso(ms), reference(ms));
      }),
      { numRuns: 300 },
    );
  });

  it('formats milliseconds with three digits and the +08:00 offset', () => {
    const t = Date.UTC(2026, 10, 22, 3, 5, 0);
    assert.deepEqual([t, t + 7, t + 42, t + 999, t + 1000].map(toTaipeiIso), [
      '2026-11-22T11:05:00.000+08:00', '2026-11-22T11:05:00.007+08:00', '2026-11-22T11:05:00.042+08:00', '2026-11-22T11:05:00.999+08:00', '2026-11-22T11:05:01.000+08:00',
    ]);
  });

  it('an invalid time still throws', () => {
    assert.throws(() => toTaipeiIso(Number.NaN), RangeError);
  });
});
