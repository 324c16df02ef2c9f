import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { Subject, share, type Observable, type Subscription } from 'rxjs';
import { Aggregator, aggregateWith } from '../analytics/index.ts';
import type { Reading, Sensor } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { StoreWriter } from '../storage/index.ts';

export interface ProcessorOptions {
  readonly registry: Registry;
  readonly writer: StoreWriter;
  readonly allowedLatenessMs: number;
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

  constructor(private readonly o: ProcessorOptions) {
    this.aggregator = new Aggregator({ allowedLatenessMs: o.allowedLatenessMs, ...(o.resumeWatermarkMs !== undefined ? { resumeWatermarkMs: o.resumeWatermarkMs } : {}) });
    this.late = new Counter({ name: 'civic_late_readings_total', help: 'readings behind the watermark (stored, not aggregated)', registers: [o.metrics] });
    this.errors = new Counter({ name: 'civic_analytics_errors_total', help: 'analytics failures isolated per reading', labelNames: ['code'], registers: [o.metrics] });
  }

  connect(readings$: Observable<Reading>): void {
    const shared = readings$.pipe(share());
    const onError = (err: { code: string; message: string }) => {
      this.errors.labels(err.code).inc();
      this.o.logger.warn({ code: err.code }, err.message);
    };
    const subs = [
      shared.pipe(aggregateWith(this.aggregator, this.tick$, { onError, onLate: () => this.late.inc() })).subscribe((batch) => this.o.writer.addAggregates(batch)),
      shared.subscribe((r) => {
        const sensor = this.o.registry.sensor(r.sensorId);
        if (sensor === undefined) onError({ code: 'UNKNOWN_SENSOR', message: r.sensorId });
        else this.o.alerts.onReading(r, sensor);
      }),
      shared.subscribe((r) => this.o.writer.addReading(r)),
    ];
    this.subscription = subs[0] as Subscription;
    for (const s of subs.slice(1)) this.subscription.add(s);
  }

  /** The clock tick: closes windows (time-based alert rules run in the alert service's tick). */
  onTick(nowMs: number): void {
    this.tick$.next(nowMs);
  }

  /** Smallest journal seq still held in an open window: the journal keeps everything from here. */
  retainedFromSeq(): number {
    return this.aggregator.retainedFromSeq();
  }

  /** The analytics watermark, saved with the journal checkpoint taken at the same tick (W7). */
  get watermarkMs(): number {
    return this.aggregator.watermarkMs;
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
