import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TokenBucket } from '../../broker/token-bucket.ts';

describe('TokenBucket (B7)', () => {
  it('allows a burst, then refills from elapsed time up to the burst', () => {
    const b = new TokenBucket(2, 3, 0); // 2 per second, burst 3
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(499), false); // 0.998 tokens
    assert.equal(b.take(500), true); // 1 token after 500 ms
    assert.equal(b.take(500), false);
    // A long idle period refills to the burst, not beyond.
    assert.deepEqual([b.take(60_000), b.take(60_000), b.take(60_000), b.take(60_000)], [true, true, true, false]);
  });

  it('never admits more than burst + rate × elapsed over any run', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (rate, burst, gaps) => {
        const b = new TokenBucket(rate, burst, 0);
        let now = 0;
        let admitted = 0;
        for (const gap of gaps) {
          now += gap;
          if (b.take(now)) admitted++;
        }
        assert.ok(admitted <= burst + (rate * now) / 1000 + 1e-9);
        // With no gaps at all, exactly `burst` pass.
        const fresh = new TokenBucket(rate, burst, 0);
        let n = 0;
        while (fresh.take(0)) n++;
        assert.equal(n, burst);
      }),
    );
  });
});

describe('token bucket reserve (B7, QoS 1 backpressure)', () => {
  it('answers 0 within the burst, then the wait that keeps the long-run rate', () => {
    const b = new TokenBucket(10, 2, 0);
    assert.equal(b.reserve(0), 0);
    assert.equal(b.reserve(0), 0);
    assert.equal(b.reserve(0), 100); // one token owed at 10/s
    assert.equal(b.reserve(0), 200);
    assert.equal(b.reserve(200), 100); // 2 tokens refilled, still 1 owed
  });
  it('never lets the admitted count exceed burst + rate × (time of use)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (rate, burst, gaps) => {
        const b = new TokenBucket(rate, burst, 0);
        let now = 0;
        const uses: number[] = [];
        for (const gap of gaps) {
          now += gap;
          uses.push(now + b.reserve(now));
        }
        uses.sort((x, y) => x - y);
        uses.forEach((t, i) => assert.ok(i + 1 <= burst + (rate * t) / 1000 + 1e-6, `use ${i + 1} at ${t} ms`));
      }),
    );
  });
});
