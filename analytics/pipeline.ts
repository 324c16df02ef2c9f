import type { Logger } from 'pino';
import { Counter, Gauge, type Registry as MetricsRegistry } from 'prom-client';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { PERIOD_MS, QualityFlag, type Aggregate, type Reading, type Sensor, type SensorKind } from '../domain/index.ts';
import { Aggregator } from './aggregator.ts';
import { asAnalyticsError } from './errors.ts';
import { LateWindows, recompute, type DirtyReading, type RecomputeJob } from './late-windows.ts';

/**
 * What the pipeline reads back for late-data recompute (LA3): a port this stage defines and the
 * storage writer fits. The pipeline writes nothing through it; `flushAggregates` is only the
 * barrier that says the aggregates it emitted so far are durable (LA4 keeps jobs until then).
 */
export interface RecomputeSource {
  readonly canRecompute: boolean;
  readonly committedSeq: number;
  windowReadings(q: { readonly kind: SensorKind; readonly district: string; readonly from: number; readonly to: number }): Promise<Reading[]>;
  flushAggregates(): Promise<void>;
}

/**
 * What the pipeline reads: a durable reading with its registry sensor, resolved upstream once
 * (broker B44; undefined when the registry does not know it, counted, not evaluated). Ingest's
 * `readings$` has this shape; the pipeline never looks a sensor up itself.
 */
export interface SensedReading {
  readonly reading: Reading;
  readonly sensor: Sensor | undefined;
}

export interface AnalyticsPipelineOptions {
  readonly source: RecomputeSource;
  readonly allowedLatenessMs: number;
  /** LA2: late readings up to this far behind now are re-aggregated (default 7 days). */
  readonly lateHorizonMs?: number;
  /** Watermark saved with the journal checkpoint, when resuming after a restart (W7). */
  readonly resumeWatermarkMs?: number;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
}

/** A reading after the one classification step: LATE is decided (and flagged) before anyone sees it. */
export interface ClassifiedReading {
  readonly reading: Reading;
  /** W4: its minute had closed; `reading.flags` carries QualityFlag.LATE. */
  readonly late: boolean;
  /** Undefined when the registry does not know the sensor (counted as UNKNOWN_SENSOR). */
  readonly sensor: Sensor | undefined;
}

export interface AnalyticsStreams {
  /** Every reading once, classified, in arrival order: for the alert service and the store. */
  readonly readings$: Observable<ClassifiedReading>;
  /** Windows each tick closed, recomputed windows (LA3) and, at completion, partial ones (W8, LA6). */
  readonly aggregates$: Observable<Aggregate[]>;
}

/**
 * The analytics pipeline: durable readings in, classified readings and aggregates out. It
 * writes nowhere; the composition root subscribes the sinks once. Each reading passes one
 * classification step — `Aggregator.add` decides W4 (late or not), the reading gets its LATE
 * flag and late ones within the horizon dirty their windows (LA1) — and only then is emitted,
 * so every consumer sees the decision whatever order it subscribed in.
 */
export class AnalyticsPipeline {
  private readonly tick$ = new Subject<number>();
  private readonly aggregator: Aggregator;
  private readonly lateWindows = new LateWindows();
  private readonly late: Counter;
  private readonly recomputed: Counter;
  private readonly errors: Counter<'code'>;
  private readonly horizonMs: number;
  private aggregates: Subject<Aggregate[]> | undefined;
  private subscription: Subscription | undefined;
  private highestSeq = 0;
  private lastNow = -Infinity;
  private recomputing: Promise<void> | undefined;

  constructor(private readonly o: AnalyticsPipelineOptions) {
    this.aggregator = new Aggregator({ allowedLatenessMs: o.allowedLatenessMs, rebuildOnReplay: false, ...(o.resumeWatermarkMs !== undefined ? { resumeWatermarkMs: o.resumeWatermarkMs } : {}) });
    this.late = new Counter({ name: 'civic_late_readings_total', help: 'readings behind the watermark (stored, flagged LATE, re-aggregated within the horizon)', registers: [o.metrics] });
    this.recomputed = new Counter({ name: 'civic_late_windows_recomputed_total', help: 'late-data recompute jobs (kind, district, hour) written (LA3)', registers: [o.metrics] });
    const windows = this.lateWindows;
    new Gauge({ name: 'civic_late_windows_pending', help: 'dirty (kind, district, hour) windows waiting for recompute (LA1)', registers: [o.metrics], collect() { this.set(windows.pending); } });
    this.horizonMs = o.lateHorizonMs ?? 7 * 86_400_000;
    this.errors = new Counter({ name: 'civic_analytics_errors_total', help: 'analytics failures isolated per reading', labelNames: ['code'], registers: [o.metrics] });
  }

  /** Subscribes to `readings$` once; subscribe the sinks to the returned streams before readings flow. */
  connect(readings$: Observable<SensedReading>): AnalyticsStreams {
    const classified = new Subject<ClassifiedReading>();
    const aggregates = new Subject<Aggregate[]>();
    this.aggregates = aggregates;
    const emit = (batch: Aggregate[]): void => {
      if (batch.length > 0) aggregates.next(batch);
    };
    const sub = this.tick$.subscribe((nowMs) => {
      let batch: Aggregate[];
      try {
        batch = this.aggregator.advance(nowMs);
      } catch (err) {
        this.onError(asAnalyticsError(err, 'TICK_FAILED'));
        return;
      }
      emit(batch);
    });
    sub.add(
      readings$.subscribe({
        next: (r) => classified.next(this.classify(r)),
        error: (err: unknown) => {
          aggregates.error(err);
          classified.error(err);
        },
        complete: () => {
          emit(this.aggregator.flushAll(true));
          aggregates.complete();
          classified.complete();
        },
      }),
    );
    this.subscription = sub;
    return { readings$: classified.asObservable(), aggregates$: aggregates.asObservable() };
  }

  /** The clock tick: closes windows and starts due recompute jobs (time-based alert rules run in the alert service's tick). */
  onTick(nowMs: number): void {
    if (nowMs > this.lastNow) this.lastNow = nowMs;
    this.tick$.next(nowMs);
    this.recomputeDue();
  }

  /** AC3: readings the store reports as duplicates, corrections or superseded replays dirty their windows too. */
  markRevised(revised: readonly DirtyReading[]): void {
    for (const r of revised) this.markDirty(r);
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

  /** The analytics watermark, saved with the journal checkpoint taken at the same tick (W7). */
  get watermarkMs(): number {
    return this.aggregator.watermarkMs;
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  /** The one classification step (W4, LA1): aggregate or flag LATE; the sensor comes with the reading (B44). */
  private classify(input: SensedReading): ClassifiedReading {
    const r = input.reading;
    let late = false;
    try {
      if (!this.aggregator.add(r)) {
        r.flags |= QualityFlag.LATE;
        late = true;
        this.late.inc();
        this.markDirty(r);
      }
    } catch (err) {
      this.onError(asAnalyticsError(err, 'AGGREGATE_FAILED'));
    }
    if (r.seq > this.highestSeq) this.highestSeq = r.seq;
    const sensor = input.sensor;
    if (sensor === undefined) this.onError({ code: 'UNKNOWN_SENSOR', message: r.sensorId });
    return { reading: r, late, sensor };
  }

  private onError(err: { code: string; message: string }): void {
    this.errors.labels(err.code).inc();
    this.o.logger.warn({ code: err.code }, err.message);
  }

  /** LA1/LA2: a late or revised reading dirties its windows when it is within the horizon. */
  private markDirty(r: DirtyReading): void {
    if (!this.o.source.canRecompute) return;
    const now = Number.isFinite(this.lastNow) ? this.lastNow : r.ts;
    if (r.ts < now - this.horizonMs) return;
    this.lateWindows.mark(r);
  }

  /** LA3: one job chain at a time, off the tick; a failed job is retried at a later tick. */
  private recomputeDue(): void {
    if (this.recomputing || this.lateWindows.pending === 0) return;
    const jobs = this.lateWindows.due(this.aggregator.watermarkMs, this.highestSeq, this.o.source.committedSeq);
    if (jobs.length === 0) return;
    this.recomputing = this.runJobs(jobs).finally(() => {
      this.recomputing = undefined;
    });
  }

  private async runJobs(jobs: readonly RecomputeJob[]): Promise<void> {
    const written: RecomputeJob[] = [];
    for (const job of jobs) {
      try {
        const readings = await this.o.source.windowReadings({ kind: job.kind, district: job.district, from: job.hourStart, to: job.hourStart + PERIOD_MS['1h'] });
        // On the aggregates stream, after the streaming emission: the recomputed value is the one that stays (LA3).
        this.aggregates?.next(recompute(job, readings));
        written.push(job);
      } catch (err) {
        this.lateWindows.failed(job);
        this.errors.labels('RECOMPUTE_FAILED').inc();
        this.o.logger.warn({ err, job: job.key }, 'late-data recompute failed; retried at a later tick');
      }
    }
    try {
      await this.o.source.flushAggregates();
      for (const job of written) this.lateWindows.done(job);
      this.recomputed.inc(written.length);
    } catch {
      for (const job of written) this.lateWindows.failed(job);
    }
  }
}
