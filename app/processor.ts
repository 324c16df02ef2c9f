import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { Subject, share, type Observable, type Subscription } from 'rxjs';
import { Aggregator, LateWindows, aggregateWith, recompute, type DirtyReading, type RecomputeJob } from '../analytics/index.ts';
import { Gauge } from 'prom-client';
import { PERIOD_MS, type Reading, type Sensor } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { StoreWriter } from '../storage/index.ts';

export interface ProcessorOptions {
  readonly registry: Registry;
  readonly writer: StoreWriter;
  readonly allowedLatenessMs: number;
  /** LA2: late readings up to this far behind now are re-aggregated (default 7 days). */
  readonly lateHorizonMs?: number;
  /** Watermark saved with the journal checkpoint, when resuming after a restart (W7). */
  readonly resumeWatermarkMs?: number;
  /**
   * The alert service (AL7: the one owner of alert changes): it evaluates each reading,
   * records, stores and delivers the changes; its tick runs from the app's clock tick.
   */
  readonly alerts: { onReading(r: Reading, sensor: Sensor): void };
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
}

/**
 * The analytics wiring: durable readings → aggregates and alert changes → store batches.
 * Subscription order is the processing order for each reading: aggregate (which may
 * flag it LATE), alerts, then the store batch that records the reading with its flags.
 */
export class Processor {
  private readonly tick$ = new Subject<number>();
  private readonly aggregator: Aggregator;
  private subscription: Subscription | undefined;
  private readonly late: Counter;
  private readonly errors: Counter<'code'>;
  private readonly lateWindows = new LateWindows();
  private readonly recomputed: Counter;
  private readonly horizonMs: number;
  private highestSeq = 0;
  private lastNow = -Infinity;
  private recomputing: Promise<void> | undefined;

  constructor(private readonly o: ProcessorOptions) {
    this.aggregator = new Aggregator({ allowedLatenessMs: o.allowedLatenessMs, rebuildOnReplay: false, ...(o.resumeWatermarkMs !== undefined ? { resumeWatermarkMs: o.resumeWatermarkMs } : {}) });
    this.late = new Counter({ name: 'civic_late_readings_total', help: 'readings behind the watermark (stored, flagged LATE, re-aggregated within the horizon)', registers: [o.metrics] });
    this.recomputed = new Counter({ name: 'civic_late_windows_recomputed_total', help: 'late-data recompute jobs (kind, district, hour) written (LA3)', registers: [o.metrics] });
    const windows = this.lateWindows;
    new Gauge({ name: 'civic_late_windows_pending', help: 'dirty (kind, district, hour) windows waiting for recompute (LA1)', registers: [o.metrics], collect() { this.set(windows.pending); } });
    this.horizonMs = o.lateHorizonMs ?? 7 * 86_400_000;
    o.writer.onRevised((revised) => { for (const r of revised) this.markDirty(r); });
    this.errors = new Counter({ name: 'civic_analytics_errors_total', help: 'analytics failures isolated per reading', labelNames: ['code'], registers: [o.metrics] });
  }

  connect(readings$: Observable<Reading>): void {
    const shared = readings$.pipe(share());
    const onError = (err: { code: string; message: string }) => {
      this.errors.labels(err.code).inc();
      this.o.logger.warn({ code: err.code }, err.message);
    };
    const subs = [
      shared.pipe(aggregateWith(this.aggregator, this.tick$, { onError, partialOnFlush: true, onLate: (r) => { this.late.inc(); this.markDirty(r); } })).subscribe((batch) => this.o.writer.addAggregates(batch)),
      shared.subscribe((r) => {
        const sensor = this.o.registry.sensor(r.sensorId);
        if (sensor === undefined) onError({ code: 'UNKNOWN_SENSOR', message: r.sensorId });
        else this.o.alerts.onReading(r, sensor);
      }),
      shared.subscribe((r) => {
        if (r.seq > this.highestSeq) this.highestSeq = r.seq;
        this.o.writer.addReading(r);
      }),
    ];
    this.subscription = subs[0] as Subscription;
    for (const s of subs.slice(1)) this.subscription.add(s);
  }

  /** The clock tick: closes windows (time-based alert rules run in the alert service's tick). */
  onTick(nowMs: number): void {
    if (nowMs > this.lastNow) this.lastNow = nowMs;
    this.tick$.next(nowMs);
    this.recomputeDue();
  }

  /** Smallest journal seq still held in an open window or a dirty one (W6, LA4): the journal keeps everything from here. */
  retainedFromSeq(): number {
    return Math.min(this.aggregator.retainedFromSeq(), this.lateWindows.retainedFromSeq());
  }

  /** Resolves when the recompute jobs started so far are done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.recomputing) await this.recomputing;
  }

  /** Dirty windows waiting for recompute (LA1). */
  get lateWindowsPending(): number {
    return this.lateWindows.pending;
  }

  /** LA1/LA2: a late or revised reading dirties its windows when it is within the horizon. */
  private markDirty(r: DirtyReading): void {
    if (!this.o.writer.canRecompute) return;
    const now = Number.isFinite(this.lastNow) ? this.lastNow : r.ts;
    if (r.ts < now - this.horizonMs) return;
    this.lateWindows.mark(r);
  }

  /** LA3: one job chain at a time, off the tick; a failed job is retried at a later tick. */
  private recomputeDue(): void {
    if (this.recomputing || this.lateWindows.pending === 0) return;
    const jobs = this.lateWindows.due(this.aggregator.watermarkMs, this.highestSeq, this.o.writer.committedSeq);
    if (jobs.length === 0) return;
    this.recomputing = this.runJobs(jobs).finally(() => { this.recomputing = undefined; });
  }

  private async runJobs(jobs: readonly RecomputeJob[]): Promise<void> {
    const written: RecomputeJob[] = [];
    for (const job of jobs) {
      try {
        const readings = await this.o.writer.windowReadings({ kind: job.kind, district: job.district, from: job.hourStart, to: job.hourStart + PERIOD_MS['1h'] });
        // Same lane as the streaming emission, after it: the recomputed value is the one that stays (LA3).
        this.o.writer.addAggregates(recompute(job, readings));
        written.push(job);
      } catch (err) {
        this.lateWindows.failed(job);
        this.errors.labels('RECOMPUTE_FAILED').inc();
        this.o.logger.warn({ err, job: job.key }, 'late-data recompute failed; retried at a later tick');
      }
    }
    try {
      await this.o.writer.flushAggregates();
      for (const job of written) this.lateWindows.done(job);
      this.recomputed.inc(written.length);
    } catch {
      for (const job of written) this.lateWindows.failed(job);
    }
  }

  /** The analytics watermark, saved with the journal checkpoint taken at the same tick (W7). */
  get watermarkMs(): number {
    return this.aggregator.watermarkMs;
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
