import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInfluxd, type Influxd } from './influxd.ts';
import { newInfluxStore } from './influx-harness.ts';
import { ReadingSource, seqStats, waitDrained } from './influx-load.ts';

/**
 * Issue 4 closing note: write throughput (points/s, 5,000-line gzip batches) and the backlog
 * drain rate after an outage (lines/s). Figures go to the test diagnostics; the floors are
 * far below what was measured so a busy CI machine does not fail them, but a regression to
 * per-line requests or per-line fsyncs would.
 */
const POINTS = 200_000;
const BATCH = 5_000;
let d: Influxd;
before(async () => {
  d = await startInfluxd();
});
after(async () => {
  await d?.stop();
});

describe('InfluxDB throughput', () => {
  it('writes ≥ 10,000 points/s in 5,000-line gzip batches', async (t) => {
    const s = await newInfluxStore(d, { maxBatchLines: BATCH, flushMs: 1_000 });
    try {
      const src = new ReadingSource(1_000);
      const batches = Array.from({ length: POINTS / BATCH }, () => src.next(BATCH));
      const t0 = performance.now();
      // Two writes in flight: one being sent, the next one batched behind it (below maxQueuedLines, no spill).
      const inFlight = new Set<Promise<void>>();
      for (const b of batches) {
        if (inFlight.size >= 2) await Promise.race(inFlight);
        const p: Promise<void> = s.store.writeReadings(b).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
      const secs = (performance.now() - t0) / 1_000;
      const rate = POINTS / secs;
      t.diagnostic(`write throughput: ${POINTS} points in ${secs.toFixed(2)} s = ${Math.round(rate)} points/s`);
      assert.equal(s.store.status().backlogLines, 0, 'all direct, nothing spooled');
      assert.deepEqual(await seqStats(d, s.database), { count: POINTS, distinct: POINTS, min: 1, max: POINTS });
      assert.ok(rate > 10_000, `${Math.round(rate)} points/s`);
    } finally {
      await s.cleanup();
    }
  });

  it('drains an outage backlog at ≥ 10,000 lines/s, in order, exactly once', async (t) => {
    const s = await newInfluxStore(d, { maxBatchLines: BATCH, flushMs: 1_000, maxBackoffMs: 200 });
    try {
      const src = new ReadingSource(1_000);
      await d.pause();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: POINTS / BATCH }, () => s.store.writeReadings(src.next(BATCH))));
      const spoolSecs = (performance.now() - t0) / 1_000;
      const backlog = s.store.status().backlogLines;
      assert.equal(backlog, POINTS, 'the whole outage is in the spool');
      await d.resume();
      const ms = await waitDrained(s.store, 120_000);
      const rate = backlog / (ms / 1_000);
      t.diagnostic(`spooled ${POINTS} lines in ${spoolSecs.toFixed(2)} s (${Math.round(POINTS / spoolSecs)} lines/s); drained in ${(ms / 1000).toFixed(2)} s = ${Math.round(rate)} lines/s (includes ≤ 200 ms retry backoff)`);
      assert.deepEqual(await seqStats(d, s.database), { count: POINTS, distinct: POINTS, min: 1, max: POINTS });
      assert.ok(rate > 10_000, `${Math.round(rate)} lines/s`);
    } finally {
      await s.cleanup();
    }
  });
});
