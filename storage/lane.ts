import type { Logger } from 'pino';

export interface RetryPolicy {
  /** First delay after a failed write. */
  readonly initialMs: number;
  /** Delays double up to this cap. */
  readonly maxMs: number;
}

export interface LaneOptions<T> {
  /** Table label for logs and metrics (readings, aggregates, alerts, dead_letters). */
  readonly table: string;
  readonly maxBatch: number;
  readonly write: (batch: readonly T[]) => Promise<void>;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** Order key (reading seq) tracked per batch so the writer can answer "lowest not yet stored". */
  readonly keyOf?: (item: T) => number;
  readonly onCommitted?: (batch: readonly T[], seconds: number) => void;
  readonly onError?: (err: unknown) => void;
}

interface Batch<T> {
  readonly no: number;
  readonly items: T[];
  minKey: number;
}

interface Waiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * One write lane: a buffer, a FIFO of batches, at most one write in flight. A failed
 * batch stays at the head and is retried with exponential backoff, so a lane's writes are
 * never concurrent, never reordered and never dropped (MISSION: zero loss by construction).
 * While the head is failing, new items coalesce into the tail batch up to maxBatch, so an
 * outage costs O(pending / maxBatch) batches, not one per tick.
 */
export class Lane<T> {
  private buffer: T[] = [];
  private bufferMin = Infinity;
  private readonly queue: Batch<T>[] = [];
  private nextNo = 1;
  private committedNo = 0;
  private inFlight = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private lastError: unknown;
  private stopped = false;
  private waiters: Waiter[] = [];
  private queued = 0;

  constructor(private readonly o: LaneOptions<T>) {}

  /** Items added and not yet durable. */
  get pending(): number {
    return this.buffer.length + this.queued;
  }

  /** Smallest order key among items not yet durable; Infinity when none. */
  get minPendingKey(): number {
    let min = this.bufferMin;
    for (const b of this.queue) if (b.minKey < min) min = b.minKey;
    return min;
  }

  add(item: T): void {
    this.buffer.push(item);
    if (this.o.keyOf) {
      const k = this.o.keyOf(item);
      if (k < this.bufferMin) this.bufferMin = k;
    }
    if (this.buffer.length >= this.o.maxBatch) {
      this.cut();
      this.pump();
    }
  }

  /**
   * Resolves when everything added before the call is durable. Rejects at once while the
   * lane is failing (the retry continues in the background), so a periodic caller such as
   * the clock tick is never held up for the length of an outage.
   */
  flush(): Promise<void> {
    this.cut();
    if (this.failing) return Promise.reject(this.lastError);
    const last = this.queue.at(-1);
    if (!last) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ upTo: last.no, resolve, reject }));
    this.pump();
    return done;
  }

  /** Stops retrying (shutdown): pending items stay unwritten; they are still in the journal. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const err = new Error(`store writer stopped with ${this.pending} ${this.o.table} pending`);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private cut(): void {
    if (this.buffer.length === 0) return;
    const items = this.buffer;
    const tail = this.queue.at(-1);
    // Coalesce into a tail batch that is not being written (only possible behind a failing head).
    const canMerge = tail !== undefined && !(this.inFlight && this.queue.length === 1) && tail.items.length + items.length <= this.o.maxBatch;
    if (canMerge) {
      for (const it of items) tail.items.push(it);
      if (this.bufferMin < tail.minKey) tail.minKey = this.bufferMin;
    } else {
      this.queue.push({ no: this.nextNo++, items, minKey: this.bufferMin });
    }
    this.queued += items.length;
    this.buffer = [];
    this.bufferMin = Infinity;
  }

  private pump(): void {
    if (this.inFlight || this.stopped || this.timer || this.queue.length === 0) return;
    const head = this.queue[0]!;
    this.inFlight = true;
    const started = performance.now();
    let write: Promise<void>;
    try {
      write = this.o.write(head.items);
    } catch (err) {
      write = Promise.reject(err);
    }
    write.then(
      () => {
        this.inFlight = false;
        this.queue.shift();
        this.queued -= head.items.length;
        this.committedNo = head.no;
        this.attempt = 0;
        this.failing = false;
        try {
          this.o.onCommitted?.(head.items, (performance.now() - started) / 1000);
        } catch (err) {
          // A failing listener must not stall the lane (STYLE habit 9).
          this.o.logger.error({ err, table: this.o.table }, 'onCommitted listener failed');
        }
        this.settleWaiters();
        this.pump();
      },
      (err: unknown) => {
        this.inFlight = false;
        this.failing = true;
        this.lastError = err;
        this.o.onError?.(err);
        for (const w of this.waiters.splice(0)) w.reject(err);
        if (this.stopped) return;
        const delay = Math.min(this.o.retry.maxMs, this.o.retry.initialMs * 2 ** this.attempt++);
        this.o.logger.warn({ err, table: this.o.table, items: head.items.length, retryInMs: delay }, 'store write failed; will retry');
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, delay);
      },
    );
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.upTo <= this.committedNo) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
