import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInfluxd, type Influxd } from './influxd.ts';
import { newInfluxStore } from './influx-harness.ts';
import { produceFor, ReadingSource, seqStats, sleep, waitDrained } from './influx-load.ts';

/**
 * Issue 4 item 4 / IW1–IW5: InfluxDB down, hung or failing never loses an accepted reading.
 * Every case ends by counting seq in InfluxDB: count = distinct = accepted, min 1, max accepted.
 */
let d: Influxd;
before(async () => {
  d = await startInfluxd();
});
after(async () => {
  await d?.stop();
});

async function metric(reg: import('prom-client').Registry, name: string): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

describe('InfluxDB outage', () => {
  it('stop influxd under load, keep writing, restart: every accepted reading is stored exactly once', async (t) => {
    const s = await newInfluxStore(d, { flushMs: 50, maxBackoffMs: 500 });
    try {
      const src = new ReadingSource();
      let accepted = await produceFor(s.store, src, 1_000, 200, 5);
      assert.equal(s.store.status().backlogLines, 0, 'no backlog while the server is up');

      await d.pause();
      accepted += await produceFor(s.store, src, 2_000, 200, 5);
      const peak = s.store.status().backlogLines;
      assert.ok(peak > 0, 'writes during the outage went to the spool');
      assert.match(s.store.status().lastError ?? '', /ECONNREFUSED|fetch failed|timeout/);
      assert.equal((await s.store.health()).ok, false, 'health reports the outage');
      assert.equal(s.store.status().failing, true, 'HZ1: failing while the server is down');

      await d.resume();
      // Keep writing while the backlog drains: new lines queue behind it (IW3).
      accepted += await produceFor(s.store, src, 1_000, 200, 5);
      const drainMs = await waitDrained(s.store, 60_000);
      t.diagnostic(`accepted ${accepted} readings; spool peak ${peak} lines; drained ${drainMs} ms after writes stopped`);

      assert.deepEqual(await seqStats(d, s.database), { count: accepted, distinct: accepted, min: 1, max: accepted });
      assert.ok((await metric(s.metrics, 'civic_influx_retries_total')) >= 1);
      assert.ok((await metric(s.metrics, 'civic_influx_replayed_lines_total')) >= peak);
      assert.equal(await metric(s.metrics, 'civic_influx_backlog_lines'), 0);
      assert.equal((await s.store.health()).ok, true);
      // HZ1: the old error is history once a write succeeded and the spool drained (/healthz back to ok).
      assert.equal(s.store.status().failing, false, 'HZ1: not failing after recovery');
      assert.doesNotMatch((await s.store.health()).detail ?? '', /failing/, 'HZ1: health detail no longer reports the old error');
    } finally {
      await s.cleanup();
    }
  });

  it('a hung server (SIGSTOP) counts as down after timeoutMs; writes resolve from the spool', async () => {
    const s = await newInfluxStore(d, { flushMs: 10, timeoutMs: 300, maxBackoffMs: 300 });
    try {
      const src = new ReadingSource();
      let accepted = await produceFor(s.store, src, 300, 100, 5);
      d.freeze();
      try {
        const t0 = Date.now();
        await s.store.writeReadings(src.next(100));
        accepted += 100;
        // One timeout, then the spool: bounded by timeoutMs, not by the outage.
        assert.ok(Date.now() - t0 < 2_000, `write took ${Date.now() - t0} ms while the server hung`);
        accepted += await produceFor(s.store, src, 500, 100, 5);
        assert.ok(s.store.status().backlogLines > 0);
        assert.equal(s.store.status().lastError, 'timeout');
      } finally {
        d.thaw();
      }
      await waitDrained(s.store, 30_000);
      assert.deepEqual(await seqStats(d, s.database), { count: accepted, distinct: accepted, min: 1, max: accepted });
    } finally {
      await s.cleanup();
    }
  });

  it('IW4: with the server hung, memory stays bounded and writes resolve from the spool, not the hung request', async () => {
    const s = await newInfluxStore(d, { flushMs: 10, maxBatchLines: 500, maxQueuedLines: 1_000, timeoutMs: 3_000, maxBackoffMs: 300 });
    try {
      const src = new ReadingSource();
      d.freeze();
      let accepted = 0;
      try {
        const first = s.store.writeReadings(src.next(500));
        await sleep(50); // the first batch is now in flight to the frozen server
        const t0 = Date.now();
        let peakQueued = 0;
        const rest: Promise<void>[] = [];
        // Concurrent writers arriving every 10 ms, none waiting for the previous one.
        for (let i = 0; i < 19; i++) {
          rest.push(s.store.writeReadings(src.next(500)));
          peakQueued = Math.max(peakQueued, s.store.status().queuedLines);
          await sleep(10);
        }
        await Promise.all(rest);
        // 19 × 10 ms of arrivals + the 1 s slow threshold + fsyncs, well under the 3 s timeout.
        assert.ok(Date.now() - t0 < 2_000, `spilled writes waited ${Date.now() - t0} ms for the hung request`);
        // maxQueuedLines plus the batch that crossed it (its spill's fsync may still be running).
        assert.ok(peakQueued <= 1_000 + 2 * 500, `queued ${peakQueued} lines in memory`);
        assert.ok(s.store.status().backlogLines >= 9_000);
        await first;
        accepted = 20 * 500;
      } finally {
        d.thaw();
      }
      await waitDrained(s.store, 30_000);
      assert.deepEqual(await seqStats(d, s.database), { count: accepted, distinct: accepted, min: 1, max: accepted });
    } finally {
      await s.cleanup();
    }
  });

  it('HTTP 500 from the server is retried with backoff, never dropped', async () => {
    const s = await newInfluxStore(d, { flushMs: 10, maxBackoffMs: 300 });
    try {
      await d.pause();
      // influxd with a 1-byte cache answers every write "500 cache-max-memory-size exceeded".
      await d.resume({ cacheMaxMemoryBytes: 1 });
      const src = new ReadingSource();
      const accepted = await produceFor(s.store, src, 800, 100, 10);
      await sleep(500);
      assert.match(s.store.status().lastError ?? '', /HTTP 500: .*cache-max-memory-size/);
      assert.ok((await metric(s.metrics, 'civic_influx_retries_total')) >= 2, 'retried more than once');
      assert.equal(s.store.status().backlogLines, accepted, 'nothing was dropped while the server failed');
      await d.pause();
      await d.resume();
      await waitDrained(s.store, 30_000);
      assert.deepEqual(await seqStats(d, s.database), { count: accepted, distinct: accepted, min: 1, max: accepted });
    } finally {
      await s.cleanup();
    }
  });

  it('a backlog left by a closed store is replayed by the next store on the same spool dir', async () => {
    const first = await newInfluxStore(d, { flushMs: 10 });
    const src = new ReadingSource();
    await d.pause();
    let accepted: number;
    try {
      accepted = await produceFor(first.store, src, 300, 100, 0);
      await first.store.close();
    } finally {
      await d.resume();
    }
    const second = await newInfluxStore(d, { flushMs: 10, database: first.database, spoolDir: first.spoolDir });
    try {
      assert.equal(second.store.status().backlogLines, accepted, 'the spool survived the restart');
      await waitDrained(second.store, 30_000);
      assert.deepEqual(await seqStats(d, second.database), { count: accepted, distinct: accepted, min: 1, max: accepted });
    } finally {
      await second.cleanup();
    }
  });
});
