import type { Logger } from 'pino';
import type { Spool, SpoolRecord } from '../spool.ts';
import { decodeBatch, encodeBatch, parseTarget, targetKey, type TargetKey } from './batch.ts';
import type { InfluxHttp } from './http.ts';
import type { InfluxMetrics } from './metrics.ts';
import type { ResolvedInfluxOptions } from './options.ts';
import { droppedAll, namedBadLines } from './rejections.ts';
import type { Precision, Tier } from './schema.ts';

/**
 * Batching, delivery and the outage path (W1–W6):
 * W1  A write resolves once its lines are durable: accepted by InfluxDB (2xx) or appended to
 *     the spool and fsynced (S4). It rejects only if even the spool cannot store them.
 * W2  Lines are sent in batches of ≤ maxBatchLines, at the latest flushMs after they arrive.
 * W3  While the spool holds a backlog, new batches are spooled behind it and the backlog is
 *     replayed in order, so recovery never reorders writes. The one exception is a batch in
 *     flight when the server fails, which is spooled after lines spilled meanwhile; points are
 *     keyed by (series, time), so the late copy writes the same values (S1).
 * W4  Memory is bounded: past maxQueuedLines queued lines, batches go straight to the spool.
 * W5  Failures that are the server's (network, timeout, 5xx, 429, auth, missing db) are retried
 *     with exponential backoff; nothing is dropped.
 * W6  Lines the server refuses (400/413/422) are dead-lettered with its message; the rest of
 *     the batch is written. Unnamed culprits are found by bisection.
 */
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
export interface RejectedLine {
  readonly line: string;
  readonly reason: string;
}
export interface WriterStatus {
  readonly backlogLines: number;
  readonly backlogBytes: number;
  readonly queuedLines: number;
  readonly lastSuccessAt?: number;
  readonly lastErrorAt?: number;
  readonly lastError?: string;
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
  private backoffMs = 0;
  private retryAt = 0;
  private closing = false;
  private lastSuccessAt: number | undefined;
  private lastErrorAt: number | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly http: InfluxHttp,
    private readonly spool: Spool,
    private readonly o: ResolvedInfluxOptions,
    private readonly m: InfluxMetrics,
    private readonly log: Logger,
    /** Dead-letter lines (raw tier, ns) describing refused lines; [] for lines that must only be logged. */
    private readonly deadLetters: (key: TargetKey, rejected: readonly RejectedLine[]) => string[],
  ) {}

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
      // W4: the server is slower than the input; park the queue on disk instead of in memory.
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
    return {
      backlogLines: this.spool.weight,
      backlogBytes: this.spool.bytes,
      queuedLines: this.queued,
      ...(this.lastSuccessAt !== undefined && { lastSuccessAt: this.lastSuccessAt }),
      ...(this.lastErrorAt !== undefined && { lastErrorAt: this.lastErrorAt, lastError: this.lastError }),
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
      this.wake?.();
      return;
    }
    this.running = true;
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.spool.records > 0 || this.spillsInFlight > 0) {
        // W3: behind a backlog, new lines queue on disk, in order.
        if (this.ready.length > 0) this.spill(this.ready.splice(0));
        if (this.spillsInFlight > 0) {
          await this.spills;
          continue;
        }
        if (this.closing) break;
        const wait = this.retryAt - Date.now();
        if (wait > 0) await this.sleep(wait);
        else await this.replay().catch((e: Error) => this.failed(`spool replay: ${e.message}`));
        continue;
      }
      const batch = this.ready.shift();
      if (!batch) break;
      if ((await this.deliver(batch.key, batch.lines)) === 'ok') {
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

  /** W1: batches become durable by an fsynced spool append; their writers are released. */
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
      if ((await this.deliver(first.key, lines)) === 'retry') {
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

  /** One write request plus W6 handling; 'retry' means nothing was lost and the caller keeps the lines. */
  private async deliver(key: TargetKey, lines: readonly string[]): Promise<'ok' | 'retry'> {
    const { tier, precision } = parseTarget(key);
    const end = this.m.writeSeconds.startTimer();
    const out = await this.http.write(tier, precision, lines.join('\n'));
    end({ result: out.kind });
    if (out.kind === 'ok') {
      this.lastSuccessAt = Date.now();
      this.backoffMs = 0;
      this.retryAt = 0;
      return 'ok';
    }
    if (out.kind === 'retry') {
      this.m.retries.inc();
      this.failed(out.message);
      return 'retry';
    }
    this.lastErrorAt = Date.now();
    this.lastError = out.message;
    const named = namedBadLines(lines, out.message);
    if (named.size > 0) {
      await this.reject(key, [...named].map(([i, reason]) => ({ line: lines[i]!, reason: `HTTP ${out.status}: ${reason}` })));
      const rest = lines.filter((_, i) => !named.has(i));
      return rest.length === 0 ? 'ok' : this.deliver(key, rest);
    }
    if (lines.length === 1 || (out.status === 400 && droppedAll(lines, out.message))) {
      await this.reject(key, lines.map((line) => ({ line, reason: `HTTP ${out.status}: ${out.message}` })));
      return 'ok';
    }
    // Nothing named: halve until the culprits are alone (rewriting good lines is idempotent).
    const mid = lines.length >> 1;
    if ((await this.deliver(key, lines.slice(0, mid))) === 'retry') return 'retry';
    return this.deliver(key, lines.slice(mid));
  }

  /** W5: 250 ms doubling to maxBackoffMs, ±20% jitter so several instances do not retry in step. */
  private failed(message: string): void {
    this.lastErrorAt = Date.now();
    this.lastError = message;
    this.backoffMs = Math.min(this.o.maxBackoffMs, this.backoffMs ? this.backoffMs * 2 : 250);
    this.retryAt = Date.now() + this.backoffMs * (0.8 + Math.random() * 0.4);
    this.log.warn({ err: message, backlogLines: this.spool.weight, retryInMs: Math.round(this.retryAt - Date.now()) }, 'influx: write failed; lines kept in the spool');
  }

  /** Dead letters go to the spool (durable before the batch counts as delivered), then replay sends them. */
  private async reject(key: TargetKey, rejected: readonly RejectedLine[]): Promise<void> {
    this.m.rejectedLines.inc(rejected.length);
    this.log.warn({ target: key, count: rejected.length, reason: rejected[0]?.reason.slice(0, 500) }, 'influx: lines rejected, dead-lettered');
    const lines = this.deadLetters(key, rejected);
    if (lines.length > 0) await this.spool.append(encodeBatch(targetKey('raw', 'ns'), lines), lines.length);
  }
}
