import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { Subject, share, type Observable, type Subscription } from 'rxjs';
import { Aggregator, aggregateWith, evaluateAlerts, type AlertEngine } from '../analytics/index.ts';
import type { AlertChange, Reading } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { StoreWriter } from '../storage/index.ts';

export interface ProcessorOptions {
  readonly registry: Registry;
  readonly writer: StoreWriter;
  readonly allowedLatenessMs: number;
  /** Watermark saved with the journal checkpoint, when resuming after a restart (W7). */
  readonly resumeWatermarkMs?: number;
  readonly engine: AlertEngine;
  /** Owns alert delivery (T4, webhooks, e-mail, SSE); the processor only stores the changes. */
  readonly onAlertChanges: (changes: AlertChange[]) => void;
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
  private readonly alerts: Counter<'type'>;

  constructor(private readonly o: ProcessorOptions) {
    this.aggregator = new Aggregator({ allowedLatenessMs: o.allowedLatenessMs, ...(o.resumeWatermarkMs !== undefined ? { resumeWatermarkMs: o.resumeWatermarkMs } : {}) });
    this.late = new Counter({ name: 'civic_late_readings_total', help: 'readings behind the watermark (stored, not aggregated)', registers: [o.metrics] });
    this.errors = new Counter({ name: 'civic_analytics_errors_total', help: 'analytics failures isolated per reading', labelNames: ['code'], registers: [o.metrics] });
    this.alerts = new Counter({ name: 'civic_alert_changes_total', help: 'alert changes', labelNames: ['type'], registers: [o.metrics] });
  }

  connect(readings$: Observable<Reading>): void {
    const shared = readings$.pipe(share());
    const onError = (err: { code: string; message: string }) => {
      this.errors.labels(err.code).inc();
      this.o.logger.warn({ code: err.code }, err.message);
    };
    const subs = [
      shared.pipe(aggregateWith(this.aggregator, this.tick$, { onError, onLate: () => this.late.inc() })).subscribe((batch) => this.o.writer.addAggregates(batch)),
      shared.pipe(evaluateAlerts(this.o.engine, (id) => this.o.registry.sensor(id), this.tick$, { onError })).subscribe((changes) => this.onAlertChanges(changes)),
      shared.subscribe((r) => this.o.writer.addReading(r)),
    ];
    this.subscription = subs[0] as Subscription;
    for (const s of subs.slice(1)) this.subscription.add(s);
  }

  /** The clock tick: closes windows and runs time-based rules. */
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

  private onAlertChanges(changes: AlertChange[]): void {
    this.o.writer.addAlertChanges(changes);
    for (const c of changes) this.alerts.labels(c.type).inc();
    this.o.onAlertChanges(changes);
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
