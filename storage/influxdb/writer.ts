import type { Logger } from 'pino';
import type { Spool, SpoolRecord } from './spool.ts';
import { decodeBatch, encodeBatch, targetKey, type TargetKey } from './batch.ts';
import { Delivery, type DeadLetterLines } from './delivery.ts';
import type { InfluxHttp } from './http.ts';
import type { InfluxMetrics } from './metrics.ts';
import type { ResolvedInfluxOptions } from './options.ts';
import type { Precision, Tier } from './schema.ts';

/**
 * Batching, delivery and the outage path (IW1–IW6):
 * IW1  A write resolves once its lines are durable: accepted by InfluxDB (2xx) or appended to
 *      the spool and fsynced (S4). It rejects only if even the spool cannot store them.
 * IW2  Lines are sent in batches of ≤ maxBatchLines, at the latest flushMs after they arrive.
 * IW3  While the spool holds a backlog, new batches are spooled behind it and the backlog is
 *      replayed in order, so recovery never reorders writes. The one exception is a batch in
 *      flight when the server fails, which is spooled after lines spilled meanwhile; points are
 *      keyed by (series, time), so the late copy writes the same values (S1).
 * IW4  Memory is bounded: past maxQueuedLines queued lines, batches go straight to the spool.
 *      Latency too: once a request has been in flight for SLOW_MS, batches waiting behind it
 *      are spooled instead of waiting for its timeout.
 * IW5  Failures that are the server's (network, timeout, 5xx, 429, auth, missing db) are retried
 *      with exponential backoff; nothing is dropped (delivery.ts).
 * IW6  Lines the server refuses (400/413/422) are dead-lettered with its message; the rest of
 *      the batch is written. Unnamed culprits are found by bisection (delivery.ts).
 */
/** A request slower than this counts as a slow server for the batches queued behind it. */
const SLOW_MS = 1_000;

interface Slice {
  readonly lines: readonly string[];
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}
interface Batch {
  readonly key: TargetKey;
  readonly lines: string[];
  readonly slices: Slice[];
}
export interface WriterStatus {
  readonly backlogLines: number;
  readonly backlogBytes: number;
  readonly queuedLines: number;
  readonly lastSuccessAt?: number;
  readonly lastErrorAt?: number;
  readonly lastError?: string;
  /** HZ1: the last attempt failed (the last error is newer than the last success). */
  readonly failing?: boolean;
}

export class InfluxWriter {
  private readonly buffers = new Map<TargetKey, { lines: number; slices: Slice[] }>();
  private ready: Batch[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> = Promise.resolve();
  private running = false;
  private wake: (() => void) | undefined;
  private spills: Promise<void> = Promise.resolve();
  private spillsInFlight = 0;
  private closing = false;
  /** A direct send has been in flight longer than SLOW_MS. */
  private slow = false;
  private readonly delivery: Delivery;

  constructor(
    http: InfluxHttp,
    private readonly spool: Spool,
    private readonly o: ResolvedInfluxOptions,
    private readonly m: InfluxMetrics,
    private readonly log: Logger,
    deadLetters: DeadLetterLines,
  ) {
    this.delivery = new Delivery(http, spool, m, log, o.maxBackoffMs, deadLetters);
  }

  /** Starts replaying a backlog left by a previous run. */
  start(): void {
    if (this.spool.records > 0) this.kick();
  }

  write(tier: Tier, precision: Precision, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    if (this.closing) return Promise.reject(new Error('InfluxDB store is closed'));
    const key = targetKey(tier, precision);
    let buf = this.buffers.get(key);
    if (!buf) this.buffers.set(key, (buf = { lines: 0, slices: [] }));
    const done: Promise<void>[] = [];
    for (let i = 0; i < lines.length; i += this.o.maxBatchLines) {
      const part = lines.slice(i, i + this.o.maxBatchLines);
      done.push(new Promise<void>((resolve, reject) => buf.slices.push({ lines: part, resolve, reject })));
    }
    buf.lines += lines.length;
    this.queued += lines.length;
    if (buf.lines >= this.o.maxBatchLines) this.cut(key);
    else this.timer ??= setTimeout(() => this.flush(), this.o.flushMs);
    if (this.queued > this.o.maxQueuedLines) {
      // IW4: the server is slower than the input; park the queue on disk instead of in memory.
      this.flushBuffers();
      this.spill(this.ready.splice(0));
    }
    this.kick();
    return done.length === 1 ? done[0]! : Promise.all(done).then(() => undefined);
  }

  /** Sends everything buffered now (does not wait). */
  flush(): void {
    this.flushBuffers();
    this.kick();
  }

  /** Makes every accepted write durable (sent or spooled), then stops. The backlog stays for the next run. */
  async close(): Promise<void> {
    this.flushBuffers();
    this.closing = true;
    this.kick();
    while (this.running) await this.pumping;
    await this.spills;
  }

  status(): WriterStatus {
    const d = this.delivery;
    return {
      backlogLines: this.spool.weight,
      backlogBytes: this.spool.bytes,
      queuedLines: this.queued,
      ...(d.lastSuccessAt !== undefined && { lastSuccessAt: d.lastSuccessAt }),
      ...(d.lastErrorAt !== undefined && { lastErrorAt: d.lastErrorAt, lastError: d.lastError }),
      // HZ1: failing now only when the last error is newer than the last success.
      failing: d.lastErrorAt !== undefined && (d.lastSuccessAt === undefined || d.lastErrorAt > d.lastSuccessAt),
    };
  }

  private flushBuffers(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of [...this.buffers.keys()]) this.cut(key);
  }

  /** Moves one target's buffer into ready batches of ≤ maxBatchLines (slices are never split). */
  private cut(key: TargetKey): void {
    const buf = this.buffers.get(key);
    if (!buf || buf.slices.length === 0) return;
    this.buffers.delete(key);
    let batch: Batch | undefined;
    for (const s of buf.slices) {
      if (!batch || batch.lines.length + s.lines.length > this.o.maxBatchLines) {
        batch = { key, lines: [], slices: [] };
        this.ready.push(batch);
      }
      for (const l of s.lines) batch.lines.push(l);
      batch.slices.push(s);
    }
  }

  private kick(): void {
    if (this.running) {
      if (this.slow) this.spill(this.ready.splice(0));
      this.wake?.();
      return;
    }
    this.running = true;
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.spool.records > 0 || this.spillsInFlight > 0) {
        // IW3: behind a backlog, new lines queue on disk, in order.
        if (this.ready.length > 0) this.spill(this.ready.splice(0));
        if (this.spillsInFlight > 0) {
          await this.spills;
          continue;
        }
        if (this.closing) break;
        const wait = this.delivery.retryAt - Date.now();
        if (wait > 0) await this.sleep(wait);
        else await this.replay().catch((e: Error) => this.delivery.failed(`spool replay: ${e.message}`));
        continue;
      }
      const batch = this.ready.shift();
      if (!batch) break;
      const slowTimer = setTimeout(() => {
        this.slow = true;
        this.spill(this.ready.splice(0));
      }, Math.min(SLOW_MS, this.o.timeoutMs));
      // A throw here (the spool refusing a dead letter) must not stop the pump: treat it as a retry.
      const sent = await this.delivery.send(batch.key, batch.lines).catch((e: Error) => {
        this.delivery.failed(`send: ${e.message}`);
        return 'retry' as const;
      });
      clearTimeout(slowTimer);
      this.slow = false;
      if (sent === 'ok') {
        this.queued -= batch.lines.length;
        for (const s of batch.slices) s.resolve();
      } else {
        this.spill([batch]);
      }
    }
    // Synchronous with the last check above, so a kick() after this starts a new pump (no lost wake-up).
    this.running = false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }

  /** IW1: batches become durable by an fsynced spool append; their writers are released. */
  private spill(batches: readonly Batch[]): void {
    if (batches.length === 0) return;
    this.spillsInFlight++;
    const appended = Promise.all(
      batches.map((b) =>
        this.spool.append(encodeBatch(b.key, b.lines), b.lines.length).then(
          () => b.slices.forEach((s) => s.resolve()),
          (e: Error) => {
            this.log.error({ err: e }, 'influx: spool append failed; write rejected');
            b.slices.forEach((s) => s.reject(e));
          },
        ),
      ),
    ).finally(() => {
      this.spillsInFlight--;
      for (const b of batches) this.queued -= b.lines.length;
    });
    this.spills = Promise.all([this.spills, appended]).then(() => undefined);
  }

  /** Delivers the oldest spooled records, coalescing same-target records up to maxBatchLines. */
  private async replay(): Promise<void> {
    const recs = await this.spool.peek(1_024, this.o.maxBatchLines);
    let i = 0;
    while (i < recs.length) {
      const first = decodeBatch(recs[i]!.payload.toString());
      const lines = first.lines;
      let j = i + 1;
      for (; j < recs.length; j++) {
        const next = decodeBatch(recs[j]!.payload.toString());
        if (next.key !== first.key || lines.length + next.lines.length > this.o.maxBatchLines) break;
        for (const l of next.lines) lines.push(l);
      }
      if ((await this.delivery.send(first.key, lines)) === 'retry') {
        await this.commit(recs.slice(0, i));
        return;
      }
      this.m.replayedLines.inc(lines.length);
      i = j;
    }
    await this.commit(recs);
  }

  private async commit(recs: readonly SpoolRecord[]): Promise<void> {
    if (recs.length === 0) return;
    await this.spool.commit(recs);
    if (this.spool.records === 0) this.log.info('influx: spool backlog drained');
  }
}
