import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Spool } from '../../storage/influxdb/spool.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'civic-spool-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = (): string => path.join(root, `s${n++}`);

async function drainAll(spool: Spool, batch = 7): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const recs = await spool.peek(batch);
    if (recs.length === 0) return seen;
    seen.push(...recs.map((r) => r.payload.toString()));
    await spool.commit(recs);
  }
}

describe('Spool', () => {
  it('SP1/SP3: replays concurrent appends in append order across segment rolls', async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, segmentBytes: 512 });
    const sent = Array.from({ length: 300 }, (_, i) => `record-${i}-${'x'.repeat(i % 40)}`);
    // Waves issued without awaiting each append: group commit, order kept, segments roll between groups.
    for (let w = 0; w < sent.length; w += 10) {
      await Promise.all(sent.slice(w, w + 10).map((s, i) => spool.append(s, w + i + 1)));
    }
    assert.equal(spool.records, 300);
    assert.equal(spool.weight, (300 * 301) / 2);
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.spool'));
    assert.ok(segments.length > 5, `expected rolled segments, got ${segments.length}`);
    assert.deepEqual(await drainAll(spool), sent);
    assert.equal(spool.records, 0);
    assert.equal(spool.weight, 0);
    assert.equal(spool.bytes, 0);
    // SP5: consumed segments are deleted (the last one may remain as the append target).
    const left = (await readdir(dir)).filter((f) => f.endsWith('.spool'));
    assert.ok(left.length <= 2, `consumed segments left behind: ${left.join(',')}`);
    await spool.close();
  });

  it('SP3: peek does not consume; the cursor survives a reopen', async () => {
    const dir = freshDir();
    let spool = await Spool.open({ dir, segmentBytes: 256 });
    for (let i = 0; i < 20; i++) await spool.append(`r${i}`, 1);
    const first = await spool.peek(5);
    assert.deepEqual(await spool.peek(5).then((r) => r.map((x) => x.payload.toString())), ['r0', 'r1', 'r2', 'r3', 'r4']);
    await spool.commit(first);
    await assert.rejects(spool.commit(first), /already committed/);
    await spool.close();

    spool = await Spool.open({ dir, segmentBytes: 256 });
    assert.equal(spool.records, 15);
    await spool.append('r20', 1);
    const rest = await drainAll(spool, 4);
    assert.deepEqual(rest, Array.from({ length: 16 }, (_, i) => `r${i + 5}`));
    await spool.close();
  });

  it('SP2: a torn tail (crash mid-write) is truncated and earlier records survive', async () => {
    const dir = freshDir();
    let spool = await Spool.open({ dir });
    for (let i = 0; i < 10; i++) await spool.append(`line ${i}`, 2);
    await spool.close();
    const [seg] = (await readdir(dir)).filter((f) => f.endsWith('.spool'));
    const file = path.join(dir, seg!);
    const full = (await stat(file)).size;
    // Cut the last record in half, then add junk as a crashed writer would leave.
    await truncate(file, full - 5);
    await appendFile(file, Buffer.from([1, 2, 3]));

    spool = await Spool.open({ dir });
    assert.equal(spool.records, 9);
    assert.equal(spool.weight, 18);
    await spool.append('after crash', 1);
    assert.deepEqual(await drainAll(spool), [...Array.from({ length: 9 }, (_, i) => `line ${i}`), 'after crash']);
    await spool.close();
  });

  it('SP2: a corrupt byte inside the last record is detected by the CRC', async () => {
    const dir = freshDir();
    let spool = await Spool.open({ dir });
    await spool.append('good', 1);
    await spool.append('will be damaged', 1);
    await spool.close();
    const [seg] = (await readdir(dir)).filter((f) => f.endsWith('.spool'));
    const fh = await import('node:fs/promises').then((m) => m.open(path.join(dir, seg!), 'r+'));
    const size = (await fh.stat()).size;
    await fh.write(Buffer.from('#'), 0, 1, size - 3);
    await fh.close();
    spool = await Spool.open({ dir });
    assert.deepEqual(await drainAll(spool), ['good']);
    await spool.close();
  });

  it('SP4: memory stays bounded while 64 MiB are spooled and replayed', async () => {
    const dir = freshDir();
    const spool = await Spool.open({ dir, segmentBytes: 4 * 1024 * 1024 });
    const payload = Buffer.alloc(64 * 1024, 'a');
    // Retained memory after full GCs; the pauses let V8 release freed Buffer backing stores,
    // which it does lazily (a single gc() showed 24 MiB of garbage still counted).
    const retained = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 5));
      }
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const base = await retained();
    let peakGrowth = 0;
    for (let i = 0; i < 1024; i++) {
      payload.writeUInt32LE(i, 0);
      await spool.append(payload, 1);
      if (i % 128 === 0) peakGrowth = Math.max(peakGrowth, (await retained()) - base);
    }
    assert.equal(spool.bytes, 1024 * (64 * 1024 + 12));
    let expect = 0;
    for (;;) {
      const recs = await spool.peek(16);
      if (recs.length === 0) break;
      for (const r of recs) assert.equal(r.payload.readUInt32LE(0), expect++);
      if (expect % 128 === 0) peakGrowth = Math.max(peakGrowth, (await retained()) - base);
      await spool.commit(recs);
    }
    assert.equal(expect, 1024);
    // 64 MiB went through; the process must not have held more than a fraction of it.
    assert.ok(peakGrowth < 8 * 1024 * 1024, `retained memory grew by ${(peakGrowth / 1048576).toFixed(1)} MiB`);
    await spool.close();
  });

  it('peek respects the weight limit but always returns at least one record', async () => {
    const spool = await Spool.open({ dir: freshDir() });
    await spool.append('big', 10_000);
    await spool.append('a', 3);
    await spool.append('b', 3);
    await spool.append('c', 3);
    assert.deepEqual((await spool.peek(100, 5)).map((r) => r.payload.toString()), ['big']);
    await spool.commit(await spool.peek(1));
    assert.deepEqual((await spool.peek(100, 6)).map((r) => r.payload.toString()), ['a', 'b']);
    await spool.close();
    await assert.rejects(spool.append('x', 1), /closed/);
  });
});
