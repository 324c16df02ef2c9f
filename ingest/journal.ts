import * as nodeFs from 'node:fs';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Append-only journal with group commit (J1–J5, see ARCHITECTURE.md "Durability").
 *
 * J1  A record is acknowledged (its callback runs) only after the write that holds it
 *     has been fdatasync'ed: a QoS 1 PUBACK therefore means "on disk".
 * J2  Records appended while a write is in flight form the next group: one writev and
 *     one fdatasync per group, so fsync cost is shared by every message of the group.
 * J3  Frame = [u32 length][u32 crc32 of seq+payload][f64 seq][payload]; a torn or
 *     corrupt tail (crash mid-write) is detected by length/CRC and truncated at open.
 * J4  Sequence numbers are dense and increasing in file order; segments are named by
 *     their first sequence number.
 * J5  The checkpoint is the highest sequence no longer needed by anything downstream;
 *     segments entirely at or below it are deleted; replay starts after it.
 * JD1 A new segment's directory entry is made durable (fsync of the journal directory)
 *     before any record in it is acknowledged: after a power cut the file is still there.
 * J6  A group's frames are encoded back to back into one of two pooled buffers and written
 *     with one writev: no allocation per record; the buffer is reused only after its write
 *     (and its callbacks) are done.
 * JD2 The checkpoint is written to a temp file, fsynced, renamed over the old one, and
 *     the directory is fsynced: it is the old or the new one, never empty or missing.
 * J7  Nothing that waits for the disk runs on the event loop: writes, fdatasync, the
 *     directory fsync, the checkpoint's fsync, rename and the deletion of covered segments
 *     are all asynchronous (a slow disk delays acknowledgements, never the broker).
 */

/** The file-system calls that decide durability, injectable so a test can check their order (JD1, JD2). */
export interface JournalFs {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  writev(fd: number, buffers: Buffer[], cb: (err: NodeJS.ErrnoException | null, bytes: number) => void): void;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  // J7: the calls that wait for the disk are asynchronous, so a slow disk never stalls the event loop.
  fsync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  writeSync(fd: number, data: string): number;
  rename(from: string, to: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
  unlink(path: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
  /** Only while opening (recovery of an empty last segment), before anything is acknowledged. */
  unlinkSync(path: string): void;
}

const realFs: JournalFs = {
  openSync: (p, f) => nodeFs.openSync(p, f),
  closeSync: (fd) => nodeFs.closeSync(fd),
  writev: (fd, b, cb) => nodeFs.writev(fd, b, cb),
  fdatasync: (fd, cb) => nodeFs.fdatasync(fd, cb),
  fsync: (fd, cb) => nodeFs.fsync(fd, cb),
  writeSync: (fd, d) => nodeFs.writeSync(fd, d),
  rename: (a, b, cb) => nodeFs.rename(a, b, cb),
  unlink: (p, cb) => nodeFs.unlink(p, cb),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
};

/** A callback-style call as a promise. */
const done = (call: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => call((err) => (err ? reject(err) : resolve())));
const HEADER = 16;
/** Starting size of each of the two group buffers (J6); one grows when a group needs more. */
const POOL_BYTES = 64 * 1024;
const SEGMENT_RE = /^(\d{20})\.log$/;

export interface JournalOptions {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly fsync: boolean;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** File-system layer (default node:fs); tests inject a recording one (JD1, JD2). */
  readonly fs?: JournalFs;
}

type Done = (err?: Error) => void;

export class Journal {
  private fd = -1;
  private segmentSize = 0;
  /**
   * J6: the group being filled, frames back to back in one pooled buffer (no allocation per
   * record), and the buffer of the group in flight, reused once its write is done: a commit
   * swaps them, and the next commit runs only after the previous write finished (J2).
   */
  private fill: Buffer = Buffer.allocUnsafe(POOL_BYTES);
  private spare: Buffer = Buffer.allocUnsafe(POOL_BYTES);
  private used = 0;
  private groupDone: Done[] = [];
  private spareDone: Done[] = [];
  private writing = false;
  private closing: Promise<void> | undefined;
  private checkpointSeq: number;
  private persistedCheckpoint: number;
  /** Downstream state saved atomically with the checkpoint (e.g. the analytics watermark, W7). */
  private meta: Record<string, number>;
  private persistedMeta: Record<string, number> | undefined;
  private readonly segments: number[];
  private readonly fs: JournalFs;
  /** The open segment's directory entry is not yet fsynced (JD1). */
  private dirDirty = false;
  private persisting: Promise<void> | undefined;
  private persistQueued: Promise<void> | undefined;
  private readonly appended: Counter;
  private readonly fsyncSeconds: Histogram;
  private readonly groupSize: Histogram;

  private constructor(
    private readonly o: JournalOptions,
    checkpoint: { seq: number; meta: Record<string, number> },
    segments: number[],
    public lastSeq: number,
  ) {
    this.checkpointSeq = checkpoint.seq;
    this.persistedCheckpoint = checkpoint.seq;
    this.meta = checkpoint.meta;
    this.segments = segments;
    this.fs = o.fs ?? realFs;
    this.appended = new Counter({ name: 'civic_journal_appended_total', help: 'records appended to the journal', registers: [o.metrics] });
    this.fsyncSeconds = new Histogram({ name: 'civic_journal_commit_seconds', help: 'writev + fdatasync time per group commit', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers: [o.metrics] });
    this.groupSize = new Histogram({ name: 'civic_journal_group_records', help: 'records per group commit', buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000], registers: [o.metrics] });
  }

  static open(o: JournalOptions): Journal {
    mkdirSync(o.dir, { recursive: true });
    const checkpoint = readCheckpoint(o.dir);
    const segments = readdirSync(o.dir).flatMap((f) => { const m = SEGMENT_RE.exec(f); return m ? [Number(m[1])] : []; }).sort((a, b) => a - b);
    let lastSeq = checkpoint.seq;
    // Only the newest segment can have a torn tail (J3); older ones were closed cleanly.
    while (segments.length) {
      const first = segments[segments.length - 1] as number;
      const file = segmentPath(o.dir, first);
      const { last, goodBytes, size } = scan(file, () => undefined);
      if (goodBytes < size) {
        o.logger.warn({ file, goodBytes, size }, 'journal: truncating torn tail');
        truncateSync(file, goodBytes);
      }
      if (last === undefined) { (o.fs ?? realFs).unlinkSync(file); segments.pop(); continue; }
      lastSeq = Math.max(lastSeq, last);
      break;
    }
    const j = new Journal(o, checkpoint, segments, lastSeq);
    return j;
  }

  /** Calls `fn` for every record after the checkpoint, in sequence order (startup recovery). */
  replay(fn: (seq: number, payload: Buffer) => void): number {
    let count = 0;
    for (let i = 0; i < this.segments.length; i++) {
      const next = this.segments[i + 1];
      if (next !== undefined && next - 1 <= this.checkpointSeq) continue;
      scan(segmentPath(this.o.dir, this.segments[i] as number), (seq, payload) => {
        if (seq > this.checkpointSeq) { fn(seq, payload); count++; }
      });
    }
    return count;
  }

  /** Appends one record; `done` runs once it is durable (J1). Returns its sequence number. */
  /** `payload`: bytes, or a string written as UTF-8 straight into the group's buffer (J6). */
  append(payload: Buffer | string, done: Done): number {
    const seq = ++this.lastSeq;
    // A string takes at most 3 bytes per UTF-16 unit in UTF-8.
    const room = HEADER + (typeof payload === 'string' ? payload.length * 3 : payload.length);
    if (this.used + room > this.fill.length) this.grow(this.used + room);
    const buf = this.fill;
    const at = this.used;
    const len = typeof payload === 'string' ? buf.write(payload, at + HEADER) : payload.copy(buf, at + HEADER);
    const end = at + HEADER + len;
    buf.writeUInt32LE(len, at);
    buf.writeDoubleLE(seq, at + 8);
    buf.writeUInt32LE(crc32(buf.subarray(at + 8, end)), at + 4);
    this.used = end;
    this.groupDone.push(done);
    if (!this.writing) this.writing = true, setImmediate(() => this.commit());
    this.appended.inc();
    return seq;
  }

  /** Room for at least `bytes` in the group being filled, keeping what it holds. */
  private grow(bytes: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(bytes, this.fill.length * 2));
    this.fill.copy(bigger, 0, 0, this.used);
    this.fill = bigger;
  }

  private commit(): void {
    if (this.groupDone.length === 0) { this.writing = false; return; }
    const dones = this.groupDone;
    if (this.fd < 0) this.openSegment(this.lastSeq - dones.length + 1);
    const frames = [this.fill.subarray(0, this.used)];
    // J6: the buffer just written is reused by the group after the next one, once this write is done.
    [this.fill, this.spare] = [this.spare, this.fill];
    this.used = 0;
    this.groupDone = this.spareDone;
    this.groupDone.length = 0;
    this.spareDone = dones;
    const started = process.hrtime.bigint();
    this.fs.writev(this.fd, frames, (err, bytes) => {
      if (err) return this.finish(dones, started, err);
      this.segmentSize += bytes;
      if (!this.o.fsync) return this.finish(dones, started);
      this.fs.fdatasync(this.fd, (syncErr) => {
        if (syncErr) return this.finish(dones, started, syncErr);
        // JD1: the first group of a new segment also makes its directory entry durable.
        if (!this.dirDirty) return this.finish(dones, started);
        this.syncDir().then(
          () => {
            this.dirDirty = false;
            this.finish(dones, started);
          },
          (dirErr: Error) => this.finish(dones, started, dirErr),
        );
      });
    });
  }

  private finish(dones: Done[], started: bigint, err?: Error): void {
    this.fsyncSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.groupSize.observe(dones.length);
    if (err) this.o.logger.error({ err }, 'journal: write failed; messages not acknowledged');
    if (!err && this.segmentSize >= this.o.segmentBytes) this.rotate();
    for (const d of dones) d(err);
    this.commit();
  }

  private openSegment(firstSeq: number): void {
    this.fd = this.fs.openSync(segmentPath(this.o.dir, firstSeq), 'a');
    this.segmentSize = 0;
    this.segments.push(firstSeq);
    this.dirDirty = true;
  }

  /** fsync of the journal directory: new and renamed entries survive a power cut (JD1, JD2). */
  private async syncDir(): Promise<void> {
    const fd = this.fs.openSync(this.o.dir, 'r');
    try {
      await done((cb) => this.fs.fsync(fd, cb));
    } finally {
      this.fs.closeSync(fd);
    }
  }

  private rotate(): void {
    this.fs.closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Marks everything up to `seq` as no longer needed (J5), with the downstream state that
   * goes with it (saved in the same atomic write). Cheap; persisted by `persistCheckpoint`.
   */
  checkpoint(seq: number, meta: Record<string, number> = this.meta): void {
    const next = Math.min(seq, this.lastSeq);
    if (next < this.checkpointSeq) return;
    this.checkpointSeq = next;
    this.meta = meta;
  }

  get checkpointed(): number {
    return this.checkpointSeq;
  }

  /** The state saved with the last checkpoint (empty on a fresh journal). */
  get checkpointMeta(): Readonly<Record<string, number>> {
    return this.meta;
  }

  /**
   * Writes the checkpoint atomically and deletes fully covered segments. Called from the clock
   * tick. J7: asynchronous; one write at a time, and calls made while one runs share a single
   * further write of the newest checkpoint.
   */
  persistCheckpoint(): Promise<void> {
    if (!this.persisting) return this.startPersist();
    this.persistQueued ??= this.persisting.then(
      () => this.startPersist(),
      () => this.startPersist(),
    );
    return this.persistQueued;
  }

  private startPersist(): Promise<void> {
    this.persistQueued = undefined;
    const run = this.persistNow().finally(() => {
      if (this.persisting === run) this.persisting = undefined;
    });
    this.persisting = run;
    return run;
  }

  private async persistNow(): Promise<void> {
    const seq = this.checkpointSeq;
    const meta = this.meta;
    if (seq === this.persistedCheckpoint && meta === this.persistedMeta) return;
    const tmp = path.join(this.o.dir, 'checkpoint.tmp');
    // JD2: temp file written and fsynced, renamed, then the directory fsynced.
    const fd = this.fs.openSync(tmp, 'w');
    try {
      this.fs.writeSync(fd, JSON.stringify({ seq, ...meta }));
      if (this.o.fsync) await done((cb) => this.fs.fsync(fd, cb));
    } finally {
      this.fs.closeSync(fd);
    }
    await done((cb) => this.fs.rename(tmp, path.join(this.o.dir, 'checkpoint'), cb));
    if (this.o.fsync) await this.syncDir();
    this.persistedCheckpoint = seq;
    this.persistedMeta = meta;
    while (this.segments.length > 1 && (this.segments[1] as number) - 1 <= seq) {
      const first = this.segments.shift() as number;
      await done((cb) => this.fs.unlink(segmentPath(this.o.dir, first), cb));
    }
  }

  /** Bytes on disk across segments (for /healthz). */
  diskBytes(): number {
    return this.segments.reduce((sum, s) => { try { return sum + statSync(segmentPath(this.o.dir, s)).size; } catch { return sum; } }, 0);
  }

  /** Waits for in-flight groups, then closes. Appends after close fail. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      const wait = () => {
        if (this.writing) return setTimeout(wait, 2);
        if (this.fd >= 0) this.fs.closeSync(this.fd);
        this.fd = -1;
        this.persistCheckpoint().then(resolve, reject);
      };
      wait();
    });
    return this.closing;
  }
}

function segmentPath(dir: string, firstSeq: number): string {
  return path.join(dir, `${String(firstSeq).padStart(20, '0')}.log`);
}

function readCheckpoint(dir: string): { seq: number; meta: Record<string, number> } {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'checkpoint'), 'utf8');
  } catch {
    return { seq: 0, meta: {} };
  }
  // Written atomically (temp file + rename), so it is either absent or whole.
  const { seq, ...meta } = JSON.parse(text) as { seq: number } & Record<string, number>;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`journal checkpoint ${dir}/checkpoint is invalid: ${text}`);
  return { seq, meta };
}

/** Reads valid frames; stops at the first torn/corrupt one (J3). */
function scan(file: string, fn: (seq: number, payload: Buffer) => void): { last: number | undefined; goodBytes: number; size: number } {
  const buf = readFileSync(file);
  let off = 0;
  let last: number | undefined;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    const end = off + HEADER + len;
    if (end > buf.length) break;
    if (crc32(buf.subarray(off + 8, end)) !== buf.readUInt32LE(off + 4)) break;
    last = buf.readDoubleLE(off + 8);
    fn(last, buf.subarray(off + HEADER, end));
    off = end;
  }
  return { last, goodBytes: off, size: buf.length };
}
