import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { Journal } from '../../ingest/index.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'civic-journal-'));
  dirs.push(d);
  return d;
};
const open = (dir: string, segmentBytes = 1 << 20) => Journal.open({ dir, segmentBytes, fsync: true, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
const appendAll = (j: Journal, payloads: string[]) =>
  Promise.all(payloads.map((p) => new Promise<number>((resolve, reject) => { const seq = j.append(Buffer.from(p), (err) => (err ? reject(err) : resolve(seq))); })));
const replayed = (j: Journal) => {
  const out: Array<[number, string]> = [];
  j.replay((seq, payload) => out.push([seq, payload.toString()]));
  return out;
};

describe('journal', () => {
  it('J1/J4: acknowledges appends with dense sequence numbers and replays them after reopen', async () => {
    const dir = tempDir();
    const j = open(dir);
    const seqs = await appendAll(j, ['a', 'b', 'c']);
    assert.deepEqual(seqs, [1, 2, 3]);
    await j.close();
    const j2 = open(dir);
    assert.equal(j2.lastSeq, 3);
    assert.deepEqual(replayed(j2), [[1, 'a'], [2, 'b'], [3, 'c']]);
    const [next] = await appendAll(j2, ['d']);
    assert.equal(next, 4);
    await j2.close();
  });

  it('J2: appends in the same tick share one group commit', async () => {
    const dir = tempDir();
    const metrics = new MetricsRegistry();
    const j = Journal.open({ dir, segmentBytes: 1 << 20, fsync: true, logger: pino({ level: 'silent' }), metrics });
    await appendAll(j, Array.from({ length: 100 }, (_, i) => `r${i}`));
    const groups = (await metrics.getSingleMetric('civic_journal_group_records')?.get())?.values.find((v) => (v as { metricName?: string }).metricName === 'civic_journal_group_records_count')?.value;
    assert.equal(groups, 1);
    await j.close();
  });

  it('J3: truncates a torn tail and keeps every complete record', async () => {
    const dir = tempDir();
    const j = open(dir);
    await appendAll(j, ['one', 'two']);
    await j.close();
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.log'));
    // A crash in the middle of a write leaves a partial frame at the end.
    appendFileSync(path.join(dir, segment as string), Buffer.from([9, 0, 0, 0, 1, 2, 3]));
    const j2 = open(dir);
    assert.deepEqual(replayed(j2), [[1, 'one'], [2, 'two']]);
    const [seq] = await appendAll(j2, ['three']);
    assert.equal(seq, 3);
    await j2.close();
    assert.deepEqual(replayed(open(dir)), [[1, 'one'], [2, 'two'], [3, 'three']]);
  });

  it('J3: a corrupted record (CRC mismatch) ends the valid tail', async () => {
    const dir = tempDir();
    const j = open(dir);
    await appendAll(j, ['good']);
    await j.close();
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.log'));
    const bad = Buffer.alloc(16 + 3);
    bad.writeUInt32LE(3, 0);
    bad.writeUInt32LE(12345, 4);
    bad.writeDoubleLE(2, 8);
    appendFileSync(path.join(dir, segment as string), bad);
    assert.deepEqual(replayed(open(dir)), [[1, 'good']]);
  });

  it('J5: replays only after the checkpoint and deletes covered segments on rotation', async () => {
    const dir = tempDir();
    const j = open(dir, 65_536);
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 8; i++) await appendAll(j, [big + i]);
    const segmentsBefore = readdirSync(dir).filter((f) => f.endsWith('.log')).length;
    assert.ok(segmentsBefore >= 2, `expected rotation, got ${segmentsBefore} segment(s)`);
    j.checkpoint(6);
    await j.persistCheckpoint();
    const segmentsAfter = readdirSync(dir).filter((f) => f.endsWith('.log')).length;
    assert.ok(segmentsAfter < segmentsBefore, 'covered segments are deleted');
    await j.close();
    const j2 = open(dir, 65_536);
    assert.deepEqual(replayed(j2).map(([seq]) => seq), [7, 8]);
    assert.equal(j2.lastSeq, 8);
    await j2.close();
  });

  it('J5: the checkpoint never passes the last appended record', async () => {
    const dir = tempDir();
    const j = open(dir);
    await appendAll(j, ['a']);
    j.checkpoint(99);
    assert.equal(j.checkpointed, 1);
    await j.close();
  });

  it('J6: frames pooled per group survive buffer reuse and growth: strings and bytes, multi-byte text, groups larger than the pool', async () => {
    const dir = tempDir();
    const j = open(dir, 1 << 24);
    const big = 'x'.repeat(100_000); // more than one pooled buffer (64 KiB): the group's buffer grows
    const groups: Array<Array<string | Buffer>> = [
      ['一', Buffer.from('b1'), '台北市 ✓ 😀'],
      [big, 'after-big', Buffer.from(big + 'y')],
      Array.from({ length: 2_000 }, (_, i) => (i % 2 ? `路燈 ${i}` : Buffer.from(`r${i}`))),
      ['last'],
    ];
    const expected: string[] = [];
    for (const g of groups) {
      // One group per batch: each waits for the previous write, so both pooled buffers are reused.
      await Promise.all(g.map((p) => new Promise<void>((resolve, reject) => j.append(p, (err) => (err ? reject(err) : resolve())))));
      expected.push(...g.map((p) => p.toString()));
    }
    await j.close();
    const out = replayed(open(dir, 1 << 24));
    assert.deepEqual(out.map(([seq]) => seq), expected.map((_, i) => i + 1));
    assert.ok(out.every(([, text], i) => text === expected[i]), 'every record replays byte for byte');
  });
});
