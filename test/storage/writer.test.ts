import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import type { Reading } from '../../domain/index.ts';
import { DuckDbStore } from '../../storage/duckdb/index.ts';
import { StoreWriter } from '../../storage/writer.ts';
import { FaultyStore } from './faulty-store.ts';
import { MIN, T0, aggregate, alert, change, deadLetter, reading } from './fixtures.ts';

const logger = pino({ level: 'silent' });
let dir: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'civic-writer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Readings with explicit seqs, one minute apart per seq, from two sensors. */
function withSeqs(seqs: readonly number[]): Reading[] {
  return seqs.map((seq) => reading('air-quality', `aq-w-${seq % 2}`, T0 + seq * MIN, { pm25: seq }, { seq }));
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

async function metricValue(metrics: MetricsRegistry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await metrics.getSingleMetric(name)!.get();
  const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('StoreWriter', () => {
  let real: DuckDbStore;
  let store: FaultyStore;
  let metrics: MetricsRegistry;
  let writer: StoreWriter;

  beforeEach(async () => {
    real = new DuckDbStore({ path: path.join(dir, `w-${n++}.duckdb`), logger, metrics: new MetricsRegistry() });
    await real.open();
    store = new FaultyStore(real);
    metrics = new MetricsRegistry();
    writer = new StoreWriter({ store, maxBatch: 100, logger, metrics, retry: { initialMs: 10, maxMs: 40 } });
  });
  afterEach(async () => {
    writer.stop();
    store.release();
    await real.close();
  });

  const stored = async () => {
    const q = { from: 0, to: T0 * 2, limit: 10_000 };
    const all = [...(await real.readings({ ...q, sensorId: 'aq-w-0' })), ...(await real.readings({ ...q, sensorId: 'aq-w-1' }))];
    return all.map((r) => r.seq).sort((a, b) => a - b);
  };

  it('writes full batches on its own and the rest at flush, in batches of at most maxBatch', async () => {
    for (const r of withSeqs(Array.from({ length: 250 }, (_, i) => i + 1))) writer.addReading(r);
    await until(() => store.written.length === 2);
    assert.equal(writer.pending, 50);
    assert.equal(await metricValue(metrics, 'civic_store_pending', { table: 'readings' }), 50);
    await writer.flush();
    assert.deepEqual(store.written.map((w) => w.size), [100, 100, 50]);
    assert.equal(writer.pending, 0);
    assert.equal(writer.committedSeq, 250);
    assert.equal((await stored()).length, 250);
    const hist = await metrics.getSingleMetric('civic_store_write_seconds')!.get();
    assert.equal(hist.values.find((v) => (v as { metricName?: string }).metricName === 'civic_store_write_seconds_count' && v.labels.table === 'readings')?.value, 3);
  });

  it('committedSeq stays below the lowest seq not yet durable, with out-of-order adds', async () => {
    assert.equal(writer.committedSeq, 0);
    for (const r of withSeqs([1, 2, 3, 4, 5])) writer.addReading(r);
    assert.equal(writer.committedSeq, 0, 'nothing durable yet');
    await writer.flush();
    assert.equal(writer.committedSeq, 5);

    store.hold();
    for (const r of withSeqs([7, 8, 10])) writer.addReading(r);
    const inFlight = writer.flush();
    await until(() => store.attempts === 2);
    for (const r of withSeqs([6, 9])) writer.addReading(r); // late: 6 and 9 arrive after 10
    assert.equal(writer.committedSeq, 5, '6 is pending');
    store.release();
    await inFlight;
    assert.equal(writer.committedSeq, 5, '7, 8, 10 are stored but 6 is still buffered');
    await writer.flush();
    assert.equal(writer.committedSeq, 10);
    assert.deepEqual(await stored(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('retries a failing store with backoff, in order, without losing or duplicating a reading', async () => {
    store.failures = 3;
    const committed: number[] = [];
    writer.onCommitted(() => {
      throw new Error('a broken live feed');
    });
    writer.onCommitted((batch) => committed.push(...batch.map((r) => r.seq)));
    const add = (from: number, count: number) => {
      for (const r of withSeqs(Array.from({ length: count }, (_, i) => from + i))) writer.addReading(r);
    };
    add(1, 60);
    await assert.rejects(writer.flush(), /injected store failure/);
    assert.equal(writer.committedSeq, 0);
    // More readings arrive during the outage (no timer has run yet: the head is in backoff).
    add(61, 30);
    await assert.rejects(writer.flush(), /injected store failure/, 'flush does not wait out an outage');
    add(91, 60);
    const attempts = store.attempts;
    await assert.rejects(writer.flush(), /injected store failure/);
    assert.equal(store.attempts, attempts, 'rejected without waiting for the next attempt');
    await until(() => writer.pending === 0);
    assert.equal(store.attempts - store.written.length, 3);
    assert.deepEqual(store.written, [{ size: 90, firstSeq: 1 }, { size: 60, firstSeq: 91 }], 'in order; outage items coalesced up to maxBatch');
    assert.deepEqual(committed, Array.from({ length: 150 }, (_, i) => i + 1), 'the second listener ran although the first threw');
    assert.equal(writer.committedSeq, 150);
    assert.equal(await metricValue(metrics, 'civic_store_write_errors_total', { table: 'readings' }), 3);
    assert.deepEqual(await stored(), committed);
    await writer.flush(); // healthy again: resolves
  });

  it('writes aggregates, alert changes and dead letters through their own lanes', async () => {
    writer.addAggregates([aggregate({ key: 'aq-w-0', start: T0 }), aggregate({ key: 'aq-w-1', start: T0 })]);
    writer.addAlertChanges([change('opened', alert({ id: 'a1' }))]);
    writer.addDeadLetter(deadLetter('SCHEMA', T0));
    assert.equal(writer.pending, 4);
    await writer.flush();
    assert.equal(writer.pending, 0);
    assert.equal((await real.aggregates({ scope: 'sensor', period: '1m', from: T0, to: T0 + MIN, limit: 10 })).length, 2);
    assert.deepEqual((await real.alerts({ limit: 10 })).map((a) => a.id), ['a1']);
    assert.deepEqual(await real.deadLetterCounts(), { SCHEMA: 1 });
  });

  it('stop() ends retrying: no further attempts, pending items are kept for the journal replay', async () => {
    store.failures = Number.POSITIVE_INFINITY;
    for (const r of withSeqs([1, 2, 3])) writer.addReading(r);
    await assert.rejects(writer.flush());
    await until(() => store.attempts >= 2);
    writer.stop();
    const attempts = store.attempts;
    for (const r of withSeqs(Array.from({ length: 100 }, (_, i) => i + 4))) writer.addReading(r); // a full batch
    await sleep(100);
    assert.equal(store.attempts, attempts);
    assert.equal(writer.pending, 103);
    assert.equal(writer.committedSeq, 0);
  });
});
