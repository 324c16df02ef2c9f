import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Aggregate, AlertChange, DeadLetter, Reading } from '../domain/index.ts';
import { Lane, type RetryPolicy } from './lane.ts';
import type { RevisedReading, Store, WindowReadingsQuery } from './port.ts';

export interface StoreWriterOptions {
  readonly store: Store;
  /** Readings per write (5,000 as Telegraf's default batch; measured ≈ 60 ms per batch on DuckDB). */
  readonly maxBatch: number;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly retry: RetryPolicy;
}

type CommittedListener = (readings: readonly Reading[]) => void;
type RevisedListener = (revised: readonly RevisedReading[]) => void;

/**
 * The batching edge between the pipeline and a Store. Four independent lanes (readings,
 * aggregates, alerts, dead letters): each lane writes one batch at a time, in order, and
 * retries a failed batch with backoff until it is stored. add*() are O(1) and never block.
 */
export class StoreWriter {
  private readonly readings: Lane<Reading>;
  private readonly aggregates: Lane<Aggregate>;
  private readonly alerts: Lane<AlertChange>;
  private readonly dead: Lane<DeadLetter>;
  private readonly lanes: readonly Lane<unknown>[];
  private readonly listeners: CommittedListener[] = [];
  private readonly revisedListeners: RevisedListener[] = [];
  private highestCommitted = 0;
  private readonly logger: Logger;
  private readonly store: Store;

  constructor(o: StoreWriterOptions) {
    this.logger = o.logger;
    this.store = o.store;
    const seconds = new Histogram({
      name: 'civic_store_write_seconds',
      help: 'Duration of one successful batch write to the store',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [o.metrics],
    });
    const errors = new Counter({ name: 'civic_store_write_errors_total', help: 'Failed batch writes (each is retried)', labelNames: ['table'], registers: [o.metrics] });
    const lane = <T>(table: string, write: (b: readonly T[]) => Promise<void>, extra: { keyOf?: (t: T) => number; onBatch?: (b: readonly T[]) => void } = {}) =>
      new Lane<T>({
        table,
        maxBatch: o.maxBatch,
        write,
        retry: o.retry,
        logger: o.logger,
        ...(extra.keyOf ? { keyOf: extra.keyOf } : {}),
        onCommitted: (batch, s) => {
          seconds.observe({ table }, s);
          extra.onBatch?.(batch);
        },
        onError: () => errors.inc({ table }),
      });
    this.readings = lane<Reading>('readings', (b) => this.writeReadings(o.store, b), { keyOf: (r) => r.seq, onBatch: (b) => this.committed(b) });
    this.aggregates = lane<Aggregate>('aggregates', (b) => o.store.writeAggregates(b));
    this.alerts = lane<AlertChange>('alerts', (b) => o.store.writeAlertChanges(b));
    this.dead = lane<DeadLetter>('dead_letters', (b) => o.store.writeDeadLetters(b));
    this.lanes = [this.readings, this.aggregates, this.alerts, this.dead] as Lane<unknown>[];

    const lanes = { readings: this.readings, aggregates: this.aggregates, alerts: this.alerts, dead_letters: this.dead };
    new Gauge({
      name: 'civic_store_pending',
      help: 'Items accepted by the writer and not yet durable in the store',
      labelNames: ['table'],
      registers: [o.metrics],
      collect() {
        for (const [table, l] of Object.entries(lanes)) this.set({ table }, l.pending);
      },
    });
    const self = this;
    new Gauge({
      name: 'civic_store_committed_seq',
      help: 'Highest reading seq with every added reading at or below it durable',
      registers: [o.metrics],
      collect() {
        this.set(self.committedSeq);
      },
    });
  }

  addReading(r: Reading): void {
    this.readings.add(r);
  }

  addAggregates(a: readonly Aggregate[]): void {
    for (const x of a) this.aggregates.add(x);
  }

  addAlertChanges(c: readonly AlertChange[]): void {
    for (const x of c) this.alerts.add(x);
  }

  addDeadLetter(d: DeadLetter): void {
    this.dead.add(d);
  }

  /**
   * Writes everything buffered; resolves when all items added before the call are durable.
   * Rejects at once while a lane is failing (its retry keeps running), so the 1 s clock tick
   * is never held for the length of a store outage.
   */
  async flush(): Promise<void> {
    const results = await Promise.allSettled(this.lanes.map((l) => l.flush()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Highest reading seq such that every reading added with seq ≤ it is durable: one below
   * the lowest seq still pending, or the highest committed when nothing is pending. A reading
   * added out of order below an earlier answer lowers it until that reading is stored.
   */
  get committedSeq(): number {
    const min = this.readings.minPendingKey;
    return min === Infinity ? this.highestCommitted : min - 1;
  }

  get pending(): number {
    let n = 0;
    for (const l of this.lanes) n += l.pending;
    return n;
  }

  /** AC3: readings a committed batch did not simply add (duplicates, corrections, superseded replays). */
  onRevised(cb: RevisedListener): void {
    this.revisedListeners.push(cb);
  }

  /** Writes all buffered aggregates; resolves when every aggregate added before the call is durable (LA3). */
  flushAggregates(): Promise<void> {
    return this.aggregates.flush();
  }

  /** LA3: the store's raw readings of a (kind, district) window; empty when the adapter cannot say. */
  windowReadings(q: WindowReadingsQuery): Promise<Reading[]> {
    return this.store.windowReadings?.(q) ?? Promise.resolve([]);
  }

  /** Whether the store can serve windowReadings (late-data recompute, LA3). */
  get canRecompute(): boolean {
    return typeof this.store.windowReadings === 'function';
  }

  private async writeReadings(store: Store, b: readonly Reading[]): Promise<void> {
    const out = await store.writeReadings(b);
    if (!out || out.revised.length === 0) return;
    for (const cb of this.revisedListeners) {
      try {
        cb(out.revised);
      } catch (err) {
        this.logger.error({ err }, 'onRevised listener failed');
      }
    }
  }

  onCommitted(cb: CommittedListener): void {
    this.listeners.push(cb);
  }

  /** Shutdown: stop retrying; unwritten items remain in the journal and are replayed at start. */
  stop(): void {
    for (const l of this.lanes) l.stop();
  }

  private committed(batch: readonly Reading[]): void {
    for (const r of batch) if (r.seq > this.highestCommitted) this.highestCommitted = r.seq;
    for (const cb of this.listeners) {
      try {
        cb(batch);
      } catch (err) {
        // One failing live feed must not starve the others (STYLE habit 9).
        this.logger.error({ err }, 'onCommitted listener failed');
      }
    }
  }
}
