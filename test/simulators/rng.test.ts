import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DueQueue } from '../../simulators/due-queue.ts';
import { hashUnit, Rng } from '../../simulators/rng.ts';

describe('Rng', () => {
  it('repeats the same stream for the same (seed, label) and differs otherwise', () => {
    const draw = (seed: number, label: string) => Array.from({ length: 50 }, ((r) => () => r.next())(new Rng(seed, label)));
    assert.deepEqual(draw(42, 'a'), draw(42, 'a'));
    assert.notDeepEqual(draw(42, 'a'), draw(43, 'a'));
    assert.notDeepEqual(draw(42, 'a'), draw(42, 'b'));
  });

  it('is uniform in [0, 1) and its normals have mean 0 and variance 1', () => {
    const r = new Rng(7, 'dist');
    const n = 100_000;
    const buckets = new Array(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      buckets[Math.floor(u * 10)]++;
      sum += u;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.01);
    for (const b of buckets) assert.ok(Math.abs(b - n / 10) < n / 100, `bucket ${b}`);
    let m = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      m += z;
      sq += z * z;
    }
    assert.ok(Math.abs(m / n) < 0.02);
    assert.ok(Math.abs(sq / n - 1) < 0.03);
  });

  it('shuffles into a permutation and picks only members', () => {
    const r = new Rng(1);
    const items = Array.from({ length: 20 }, (_, i) => i);
    const s = r.shuffled(items);
    assert.notDeepEqual(s, items);
    assert.deepEqual([...s].sort((a, b) => a - b), items);
    for (let i = 0; i < 100; i++) assert.ok(items.includes(r.pick(items)));
    assert.throws(() => r.pick([]), RangeError);
  });

  it('hashUnit is a pure function of its inputs', () => {
    assert.equal(hashUnit(5, 1, 1000, 2), hashUnit(5, 1, 1000, 2));
    assert.notEqual(hashUnit(5, 1, 1000, 2), hashUnit(5, 1, 1001, 2));
    assert.notEqual(hashUnit(5, 1, 1000, 2), hashUnit(6, 1, 1000, 2));
  });
});

describe('DueQueue', () => {
  it('pops indices in due-time order', () => {
    const r = new Rng(3);
    const q = new DueQueue(1000);
    const dues: number[] = [];
    for (let i = 0; i < 1000; i++) {
      dues.push(Math.floor(r.next() * 1e6));
      q.push(dues[i] as number, i);
    }
    let last = -Infinity;
    const seen = new Set<number>();
    while (q.size > 0) {
      const due = q.peekDue();
      const i = q.pop();
      assert.equal(dues[i], due);
      assert.ok(due >= last);
      last = due;
      seen.add(i);
    }
    assert.equal(seen.size, 1000);
    assert.equal(q.pop(), -1);
    assert.equal(q.peekDue(), Infinity);
  });

  it('refuses to grow past its capacity', () => {
    const q = new DueQueue(1);
    q.push(1, 0);
    assert.throws(() => q.push(2, 1), RangeError);
  });
});
