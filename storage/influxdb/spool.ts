import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { after, readCursor, syncDir, writeCursor, type Cursor } from './spool-cursor.ts';
import { encodeFrame, FRAME_HEADER, FrameReader } from './spool-frame.ts';

/**
 * Append-only on-disk queue of opaque records, replayed in append order (SP1–SP5).
 * Reusable by any sink that must survive its downstream being away (InfluxDB first).
 *
 * SP1  append() resolves only after the record is written and fdatasync'ed; appends made
 *      while a write is in flight share the next writev + fdatasync (group commit).
 * SP2  Records are framed with length + CRC (spool-frame.ts); a torn tail is truncated at open.
 * SP3  peek() returns records from the commit cursor in append order; commit() moves the
 *      cursor (persisted by write-temp + fsync + rename) and deletes fully consumed segments.
 *      A crash between delivery and commit replays those records: consumers must be
 *      idempotent (InfluxDB points are keyed by series + time, so they are).
 * SP4  Memory is bounded: records live on disk; peek() reads at most the requested limits.
 * SP5  Segments roll at `segmentBytes`, so consumed data is freed while the backlog drains.
 */
export interface SpoolOptions {
  readonly dir: string;
  /** Roll to a new segment file past this size. Default 16 MiB. */
  readonly segmentBytes?: number;
  readonly logger?: Logger;
}

export interface SpoolRecord {
  readonly payload: Buffer;
  readonly weight: number;
  /** Cursor just after this record. */
  readonly end: Cursor;
}


interface Pending {
  readonly frame: Buffer;
  readonly weight: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const SEGMENT_RE = /^(\d{12})\.spool$/;
const segName = (id: number): string => `${String(id).padStart(12, '0')}.spool`;

export class Spool {
  /** Committed (fsynced) size per live segment, ascending ids. */
  private readonly sizes = new Map<number, number>();
  private active: FileHandle | undefined;
  private activeId = 0;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private pendingRecords = 0;
  private pendingWeight = 0;
  private pendingBytes = 0;

  private constructor(
    private readonly o: Required<Omit<SpoolOptions, 'logger'>> & { logger: Logger | undefined },
    private cursor: Cursor,
  ) {}

  static async open(options: SpoolOptions): Promise<Spool> {
    await mkdir(options.dir, { recursive: true });
    const o = { dir: options.dir, segmentBytes: options.segmentBytes ?? 16 * 1024 * 1024, logger: options.logger };
    const cursor = await readCursor(o.dir);
    const spool = new Spool(o, cursor);
    await spool.recover();
    return spool;
  }

  /** Records appended and not yet committed. */
  get records(): number {
    return this.pendingRecords;
  }
  /** Sum of the weights of pending records (lines, for the InfluxDB store). */
  get weight(): number {
    return this.pendingWeight;
  }
  get bytes(): number {
    return this.pendingBytes;
  }

  append(payload: Buffer | string, weight: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    const frame = encodeFrame(typeof payload === 'string' ? Buffer.from(payload) : payload, weight);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, weight, resolve, reject });
      this.writing ??= this.drainQueue();
    });
  }

  /** Up to `maxRecords` records (and at least one if any is pending) whose weights sum to ≤ maxWeight. */
  async peek(maxRecords: number, maxWeight = Number.POSITIVE_INFINITY): Promise<SpoolRecord[]> {
    const out: SpoolRecord[] = [];
    let weight = 0;
    let { segment, offset } = this.cursor;
    for (const id of [...this.sizes.keys()].filter((s) => s >= segment)) {
      const limit = this.sizes.get(id) ?? 0;
      const start = id === segment ? offset : 0;
      if (start >= limit) continue;
      const fh = await open(path.join(this.o.dir, segName(id)), 'r');
      try {
        const reader = new FrameReader(fh, start, limit);
        for (;;) {
          if (out.length >= maxRecords) return out;
          const f = await reader.next();
          // Committed bytes were fsynced and validated at open: damage here is a disk fault.
          if (f === 'corrupt') throw new Error(`spool segment ${id} corrupt at ${reader.offset}`);
          if (f === undefined) break;
          if (out.length > 0 && weight + f.weight > maxWeight) return out;
          weight += f.weight;
          out.push({ payload: f.payload, weight: f.weight, end: { segment: id, offset: f.end } });
        }
      } finally {
        await fh.close();
      }
    }
    return out;
  }

  /** Marks `records` (a prefix of the last peek, in order) as delivered. */
  async commit(records: readonly SpoolRecord[]): Promise<void> {
    const last = records.at(-1);
    if (last === undefined) return;
    if (!after(last.end, this.cursor)) throw new Error('spool: commit of records already committed');
    let bytes = 0;
    for (const r of records) {
      this.pendingRecords--;
      this.pendingWeight -= r.weight;
      bytes += r.payload.length + FRAME_HEADER;
    }
    this.pendingBytes -= bytes;
    this.cursor = last.end;
    await writeCursor(this.o.dir, this.cursor);
    // SP5: every segment before the cursor's is fully consumed.
    for (const id of [...this.sizes.keys()]) {
      if (id >= this.cursor.segment) break;
      this.sizes.delete(id);
      await rm(path.join(this.o.dir, segName(id)), { force: true });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing;
    await this.active?.close();
    this.active = undefined;
  }

  /** SP1: one writev + one datasync per group of queued appends. */
  private async drainQueue(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          const bytes = group.reduce((n, p) => n + p.frame.length, 0);
          await this.ensureActive(bytes);
          const fh = this.active!;
          const committed = this.sizes.get(this.activeId) ?? 0;
          try {
            const { bytesWritten } = await fh.writev(group.map((p) => p.frame), committed);
            if (bytesWritten !== bytes) throw new Error(`short spool write ${bytesWritten}/${bytes}`);
            await fh.datasync();
          } catch (e) {
            // Leave no partial frame behind for the next group to append after.
            await fh.truncate(committed).catch(() => undefined);
            throw e;
          }
          this.sizes.set(this.activeId, committed + bytes);
          for (const p of group) {
            this.pendingRecords++;
            this.pendingWeight += p.weight;
          }
          this.pendingBytes += bytes;
          for (const p of group) p.resolve();
        } catch (e) {
          for (const p of group) p.reject(e as Error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async ensureActive(incoming: number): Promise<void> {
    const size = this.sizes.get(this.activeId) ?? 0;
    if (this.active && (size === 0 || size + incoming <= this.o.segmentBytes)) return;
    await this.active?.close();
    this.activeId = this.activeId + 1;
    this.active = await open(path.join(this.o.dir, segName(this.activeId)), 'w');
    this.sizes.set(this.activeId, 0);
    await syncDir(this.o.dir);
  }

  /** SP2: rebuild counts from disk, truncating a torn tail; drop segments before the cursor. */
  private async recover(): Promise<void> {
    const ids = (await readdir(this.o.dir))
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) {
      const file = path.join(this.o.dir, segName(id));
      if (id < this.cursor.segment) {
        await rm(file, { force: true });
        continue;
      }
      const size = (await stat(file)).size;
      const start = id === this.cursor.segment ? Math.min(this.cursor.offset, size) : 0;
      const fh = await open(file, 'r+');
      try {
        const reader = new FrameReader(fh, start, size);
        for (;;) {
          const f = await reader.next();
          if (f === undefined) break;
          if (f === 'corrupt') {
            this.o.logger?.warn({ segment: id, offset: reader.offset, size }, 'spool: truncating torn or corrupt tail');
            await fh.truncate(reader.offset);
            await fh.datasync();
            break;
          }
          this.pendingRecords++;
          this.pendingWeight += f.weight;
          this.pendingBytes += f.payload.length + FRAME_HEADER;
        }
        this.sizes.set(id, reader.offset);
      } finally {
        await fh.close();
      }
    }
    if (this.cursor.segment === 0 || !this.sizes.has(this.cursor.segment)) {
      const first = [...this.sizes.keys()][0];
      this.cursor = first === undefined ? this.cursor : { segment: first, offset: 0 };
    }
    // Appends always go to a fresh segment: never write after a tail we just repaired.
    this.activeId = Math.max(0, ...this.sizes.keys(), this.cursor.segment);
  }
}
