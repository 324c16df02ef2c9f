import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { Journal, type JournalFs } from '../../ingest/journal.ts';

/** A real file system that records every durability-relevant call, by path (fds resolved). */
function recordingFs(log: string[]): JournalFs {
  const paths = new Map<number, string>();
  const name = (fd: number) => path.basename(paths.get(fd) ?? `fd${fd}`);
  return {
    openSync: (p, flags) => { const fd = fs.openSync(p, flags); paths.set(fd, p); log.push(`open ${path.basename(p)}`); return fd; },
    closeSync: (fd) => { log.push(`close ${name(fd)}`); fs.closeSync(fd); paths.delete(fd); },
    writev: (fd, b, cb) => { log.push(`writev ${name(fd)}`); fs.writev(fd, b, cb); },
    fdatasync: (fd, cb) => { log.push(`fdatasync ${name(fd)}`); fs.fdatasync(fd, cb); },
    fsync: (fd, cb) => { log.push(`fsync ${name(fd)}`); fs.fsync(fd, cb); },
    writeSync: (fd, d) => { log.push(`write ${name(fd)}`); return fs.writeSync(fd, d); },
    rename: (a, b, cb) => { log.push(`rename ${path.basename(a)} ${path.basename(b)}`); fs.rename(a, b, cb); },
    unlink: (p, cb) => { log.push(`unlink ${path.basename(p)}`); fs.unlink(p, cb); },
    unlinkSync: (p) => { log.push(`unlink ${path.basename(p)}`); fs.unlinkSync(p); },
  };
}

const append = (j: Journal, log: string[], payload: string) =>
  new Promise<void>((resolve, reject) => j.append(Buffer.from(payload), (err) => { log.push(`ack ${payload}`); return err ? reject(err) : resolve(); }));

const before = (log: string[], a: string, b: string) => {
  const i = log.indexOf(a);
  const k = log.indexOf(b);
  assert.ok(i >= 0, `${a} happened (${log.join(' → ')})`);
  assert.ok(k >= 0, `${b} happened (${log.join(' → ')})`);
  assert.ok(i < k, `${a} before ${b} (${log.join(' → ')})`);
};

describe('journal durability after power loss (JD1, JD2)', () => {
  it('JD1: a new segment is written, fdatasynced and its directory fsynced before the first acknowledgement; later groups skip the directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-jd-'));
    const log: string[] = [];
    try {
      const j = Journal.open({ dir, segmentBytes: 64, fsync: true, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry(), fs: recordingFs(log) });
      await append(j, log, 'a');
      const seg = '00000000000000000001.log';
      const dirName = path.basename(dir);
      before(log, `open ${seg}`, `writev ${seg}`);
      before(log, `writev ${seg}`, `fdatasync ${seg}`);
      before(log, `fdatasync ${seg}`, `fsync ${dirName}`);
      before(log, `fsync ${dirName}`, 'ack a');
      log.length = 0;
      await append(j, log, 'b'); // same segment (still below 64 bytes): no directory fsync needed
      assert.deepEqual(log.filter((l) => l.startsWith('fsync')), [], `JD1: no directory fsync for an existing segment (${log.join(' → ')})`);
      // Fill past the segment size: the next group opens a new segment and fsyncs the directory again.
      await append(j, log, 'c'.repeat(80));
      log.length = 0;
      await append(j, log, 'd');
      const seg2 = log.find((l) => l.startsWith('open 0'))?.slice(5);
      assert.ok(seg2, `a new segment was opened (${log.join(' → ')})`);
      before(log, `fdatasync ${seg2}`, `fsync ${dirName}`);
      before(log, `fsync ${dirName}`, 'ack d');
      await j.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('JD2: the checkpoint is written to a temp file, fsynced, renamed, then the directory is fsynced', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-jd-'));
    const log: string[] = [];
    try {
      const j = Journal.open({ dir, segmentBytes: 1 << 20, fsync: true, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry(), fs: recordingFs(log) });
      await append(j, log, 'a');
      log.length = 0;
      j.checkpoint(1, { watermarkMs: 5 });
      await j.persistCheckpoint();
      const dirName = path.basename(dir);
      assert.deepEqual(log, ['open checkpoint.tmp', 'write checkpoint.tmp', 'fsync checkpoint.tmp', 'close checkpoint.tmp', 'rename checkpoint.tmp checkpoint', `open ${dirName}`, `fsync ${dirName}`, `close ${dirName}`]);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8')), { seq: 1, watermarkMs: 5 });
      await j.close();
      const reopened = Journal.open({ dir, segmentBytes: 1 << 20, fsync: true, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
      assert.equal(reopened.checkpointed, 1, 'J5: the checkpoint is read back');
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('J7: checkpoint writes never overlap; calls made during one share one further write of the newest checkpoint', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-jd-'));
    const log: string[] = [];
    try {
      const j = Journal.open({ dir, segmentBytes: 1 << 20, fsync: true, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry(), fs: recordingFs(log) });
      for (const p of ['a', 'b', 'c', 'd']) await append(j, log, p);
      log.length = 0;
      const writes: Promise<void>[] = [];
      for (let seq = 1; seq <= 4; seq++) {
        j.checkpoint(seq);
        writes.push(j.persistCheckpoint());
      }
      await Promise.all(writes);
      const dirName = path.basename(dir);
      const one = ['open checkpoint.tmp', 'write checkpoint.tmp', 'fsync checkpoint.tmp', 'close checkpoint.tmp', 'rename checkpoint.tmp checkpoint', `open ${dirName}`, `fsync ${dirName}`, `close ${dirName}`];
      // The first call writes seq 1; the three made while it ran share one write of seq 4.
      assert.deepEqual(log, [...one, ...one]);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8')), { seq: 4 });
      await j.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
