import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { KINDS } from '../../domain/index.ts';
import type { Aggregate, Alert, AlertChange, DeadLetter, Reading } from '../../domain/index.ts';
import type {
  AggregateQuery, AlertQuery, AuditCounts, DeadLetterQuery, LatestQuery, ReadingQuery, ReadingQualityRow, ReadingSpan, ReadingSpanQuery,
  ReadingsWriteOutcome, Store, StoreHealth, WindowReadingsQuery,
} from '../port.ts';
import { type DuckDbMetrics, duckDbMetrics } from './metrics.ts';
import { tableKinds } from './schema.ts';
import type { DuckDbStoreOptions } from './store.ts';
import type { WorkerCall, WorkerMessage, WorkerStoreData } from './worker-protocol.ts';

interface Pending {
  readonly worker: Worker;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

const LEVELS: Readonly<Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * The embedded DuckDB store run in a worker thread (SW1–SW3), the default adapter of `npm
 * start`. Same port, same tables and guarantees as DuckDbStore (which runs inside the
 * worker); the main thread only posts each batch (structured clone, ≈ 0.6 µs a reading) and
 * awaits the answer, so appending rows, SQL and result decoding never stall the broker.
 *
 * SW2: a worker that dies fails the calls it held — the writer's lanes retry their batches,
 * the journal still holds the readings — and the next call starts a new worker, which
 * reopens the file. After close() every call fails, as with the in-process store.
 */
export class DuckDbWorkerStore implements Store {
  readonly name = 'duckdb';
  private readonly m: DuckDbMetrics;
  private readonly logger: Logger;
  private readonly calls = new Map<number, Pending>();
  private nextId = 0;
  private state: 'new' | 'open' | 'closed' = 'new';
  private worker: Promise<Worker> | undefined;
  /** The worker that answered `open`, while it lives. */
  private live: Worker | undefined;
  /** Calls in flight per worker: a worker holds the process open only while it has some. */
  private readonly inFlight = new WeakMap<Worker, number>();

  constructor(private readonly opts: DuckDbStoreOptions) {
    this.m = duckDbMetrics(opts.metrics);
    this.logger = opts.logger;
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    this.state = 'open';
    try {
      await this.started();
    } catch (err) {
      this.state = 'new';
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closed';
    const starting = this.worker;
    this.worker = undefined;
    this.live = undefined;
    if (!starting) return;
    let w: Worker;
    try {
      w = await starting;
    } catch {
      return; // It never opened: nothing to close.
    }
    try {
      await this.post(w, 'close', []);
    } finally {
      await w.terminate();
    }
  }

  /** The running worker, or a new one that has opened the store (SW2). */
  private started(): Promise<Worker> {
    if (this.state !== 'open') return Promise.reject(new Error('DuckDbStore is not open'));
    if (!this.worker) {
      const starting = this.spawn();
      this.worker = starting;
      starting.catch(() => {
        if (this.worker === starting) this.worker = undefined;
      });
    }
    return this.worker;
  }

  private async spawn(): Promise<Worker> {
    const data: WorkerStoreData = {
      path: this.opts.path,
      // SW3: the table shapes of every kind this process knows, registered ones included.
      kinds: tableKinds(this.opts.kinds ?? Object.values(KINDS)),
      level: this.logger.level,
      ...(this.opts.readers !== undefined ? { readers: this.opts.readers } : {}),
      ...(this.opts.duckdb ? { duckdb: this.opts.duckdb } : {}),
    };
    const w = new Worker(new URL('./worker.mjs', import.meta.url), { execArgv: [], workerData: data });
    w.unref();
    w.on('message', (m: WorkerMessage) => this.onMessage(m));
    w.on('error', (err) => this.lost(w, err));
    w.on('exit', (code) => this.lost(w, new Error(`duckdb worker exited (code ${code})`)));
    try {
      await this.post(w, 'open', []);
    } catch (err) {
      await w.terminate();
      throw err;
    }
    this.live = w;
    return w;
  }

  /**
   * Ends the worker thread as a crash would (SW2: its calls fail, the next call starts a new
   * one). For tests and for an operator's diagnostics; the pipeline never calls it.
   */
  async terminateWorker(): Promise<void> {
    const w = this.live;
    if (w) await w.terminate();
  }

  private onMessage(m: WorkerMessage): void {
    if (m.t === 'log') {
      this.relog(m.line);
      return;
    }
    const p = this.calls.get(m.id);
    if (!p) return;
    this.calls.delete(m.id);
    this.settled(p.worker);
    if (m.t === 'ok') p.resolve(m.value);
    else {
      const err = new Error(m.message);
      if (m.stack) err.stack = m.stack;
      p.reject(err);
    }
  }

  /** SW2: the worker is gone; its calls fail (and are retried by their callers), the next call starts another. */
  private lost(w: Worker, err: Error): void {
    let failed = 0;
    for (const [id, p] of this.calls) {
      if (p.worker !== w) continue;
      this.calls.delete(id);
      p.reject(err);
      failed++;
    }
    this.inFlight.delete(w);
    const wasLive = this.live === w;
    if (wasLive) {
      this.live = undefined;
      this.worker = undefined;
    }
    if (this.state === 'open' && failed + (wasLive ? 1 : 0) > 0) this.logger.error({ err, failed }, 'duckdb worker stopped; the next store call starts a new one');
  }

  private settled(w: Worker): void {
    const n = (this.inFlight.get(w) ?? 1) - 1;
    this.inFlight.set(w, n);
    if (n === 0) w.unref();
  }

  private relog(line: string): void {
    try {
      const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const label = LEVELS[Number(level)] ?? 'info';
      this.logger[label]({ ...rest, component: 'duckdb-worker' }, typeof msg === 'string' ? msg : '');
    } catch {
      this.logger.info({ component: 'duckdb-worker' }, line.trim());
    }
  }

  private post<T>(w: Worker, call: WorkerCall, args: readonly unknown[]): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { worker: w, resolve: resolve as (v: unknown) => void, reject });
      const n = this.inFlight.get(w) ?? 0;
      if (n === 0) w.ref();
      this.inFlight.set(w, n + 1);
      w.postMessage({ id, call, args });
    });
  }

  private async call<T>(call: WorkerCall, ...args: unknown[]): Promise<T> {
    return this.post<T>(await this.started(), call, args);
  }

  private async read<T>(call: WorkerCall, query: string, ...args: unknown[]): Promise<T> {
    const end = this.m.querySeconds.startTimer({ query });
    try {
      return await this.call<T>(call, ...args);
    } finally {
      end();
    }
  }

  async writeReadings(batch: readonly Reading[]): Promise<ReadingsWriteOutcome> {
    if (batch.length === 0) return { revised: [] };
    const out = await this.call<ReadingsWriteOutcome & { readonly duplicates: number }>('writeReadings', batch);
    if (out.duplicates > 0) this.m.duplicates.inc(out.duplicates);
    return { revised: out.revised };
  }

  async writeAggregates(batch: readonly Aggregate[]): Promise<void> {
    if (batch.length) await this.call('writeAggregates', batch);
  }

  async writeAlertChanges(batch: readonly AlertChange[]): Promise<void> {
    if (batch.length) await this.call('writeAlertChanges', batch);
  }

  async writeDeadLetters(batch: readonly DeadLetter[]): Promise<void> {
    if (batch.length) await this.call('writeDeadLetters', batch);
  }

  // Query names as the in-process store labels them (civic_duckdb_query_seconds).
  latest(q: LatestQuery): Promise<Reading[]> {
    return this.read('latest', 'latest', q);
  }
  readings(q: ReadingQuery): Promise<Reading[]> {
    return this.read('readings', 'readings', q);
  }
  readingSpans(q: ReadingSpanQuery): Promise<ReadingSpan[]> {
    return this.read('readingSpans', 'reading_spans', q);
  }
  aggregates(q: AggregateQuery): Promise<Aggregate[]> {
    return this.read('aggregates', 'aggregates', q);
  }
  alerts(q: AlertQuery): Promise<Alert[]> {
    return this.read('alerts', 'alerts', q);
  }
  /** S3 history: every recorded change of one alert, oldest first. */
  alertHistory(alertId: string, limit = 1000): Promise<AlertChange[]> {
    return this.read('alertHistory', 'alert_history', alertId, limit);
  }
  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    return this.read('deadLetters', 'dead_letters', q);
  }
  deadLetterCounts(): Promise<Record<string, number>> {
    return this.read('deadLetterCounts', 'dead_letter_counts');
  }
  windowReadings(q: WindowReadingsQuery): Promise<Reading[]> {
    return this.read('windowReadings', 'window_readings', q);
  }
  readingQuality(q: { readonly from: number; readonly to: number }): Promise<ReadingQualityRow[]> {
    return this.read('readingQuality', 'reading_quality', q);
  }
  auditCounts(): Promise<AuditCounts> {
    return this.read('auditCounts', 'audit_counts');
  }

  /** The worker's own health check (a SELECT 1 on a read connection), or why there is no worker. */
  async health(): Promise<StoreHealth> {
    try {
      return await this.call<StoreHealth>('health');
    } catch (err) {
      return { ok: false, adapter: this.name, detail: (err as Error).message };
    }
  }
}
