import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { Subject, share, type Observable, type Subscription } from 'rxjs';
import { Aggregator, BasicThresholdAlerts, aggregateWith, evaluateAlerts, type AlertEngine } from '../analytics/index.ts';
import { alertTopic, toTaipeiIso, type Alert, type AlertChange, type Reading } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { StoreWriter } from '../storage/index.ts';

export interface ProcessorOptions {
  readonly registry: Registry;
  readonly writer: StoreWriter;
  readonly allowedLatenessMs: number;
  /** Watermark saved with the journal checkpoint, when resuming after a restart (W7). */
  readonly resumeWatermarkMs?: number;
  /** Publishes alert state on T4 (retained while open, cleared when resolved). */
  readonly publishAlert: (topic: string, payload: string, retain: boolean) => Promise<void>;
  readonly engine?: AlertEngine;
  /** When set, this owns alert delivery (T4, webhooks, e-mail, SSE); the processor only stores the changes. */
  readonly onAlertChanges?: (changes: AlertChange[]) => void;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
}

/**
 * The analytics wiring: durable readings → aggregates, alerts → store batches and T4.
 * Subscription order is the processing order for each reading: aggregate (which may
 * flag it LATE), alerts, then the store batch that records the reading with its flags.
 */
export class Processor {
  private readonly tick$ = new Subject<number>();
  private readonly aggregator: Aggregator;
  private readonly engine: AlertEngine;
  private subscription: Subscription | undefined;
  private live = false;
  private readonly late: Counter;
  private readonly errors: Counter<'code'>;
  private readonly alerts: Counter<'type'>;

  constructor(private readonly o: ProcessorOptions) {
    this.aggregator = new Aggregator({ allowedLatenessMs: o.allowedLatenessMs, ...(o.resumeWatermarkMs !== undefined ? { resumeWatermarkMs: o.resumeWatermarkMs } : {}) });
    this.engine = o.engine ?? new BasicThresholdAlerts();
    this.late = new Counter({ name: 'civic_late_readings_total', help: 'readings behind the watermark (stored, not aggregated)', registers: [o.metrics] });
    this.errors = new Counter({ name: 'civic_analytics_errors_total', help: 'analytics failures isolated per reading', labelNames: ['code'], registers: [o.metrics] });
    this.alerts = new Counter({ name: 'civic_alert_changes_total', help: 'alert changes', labelNames: ['type'], registers: [o.metrics] });
  }

  restore(open: readonly Alert[]): void {
    this.engine.restore(open);
  }

  connect(readings$: Observable<Reading>): void {
    const shared = readings$.pipe(share());
    const onError = (err: { code: string; message: string }) => {
      this.errors.labels(err.code).inc();
      this.o.logger.warn({ code: err.code }, err.message);
    };
    const subs = [
      shared.pipe(aggregateWith(this.aggregator, this.tick$, { onError, onLate: () => this.late.inc() })).subscribe((batch) => this.o.writer.addAggregates(batch)),
      shared.pipe(evaluateAlerts(this.engine, (id) => this.o.registry.sensor(id), this.tick$, { onError })).subscribe((changes) => this.onAlertChanges(changes)),
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

  /**
   * Called once the broker listens: publishes the retained state of every open alert
   * (the broker keeps retained messages in memory, so a restart must restore them),
   * and from then on every change as it happens.
   */
  async goLive(): Promise<void> {
    this.live = true;
    if (this.o.onAlertChanges) return; // the alert service republishes its own state
    await Promise.all(this.engine.open().map((a) => this.publish({ type: 'opened', alert: a })));
  }

  private onAlertChanges(changes: AlertChange[]): void {
    this.o.writer.addAlertChanges(changes);
    for (const c of changes) this.alerts.labels(c.type).inc();
    if (this.o.onAlertChanges) return this.o.onAlertChanges(changes);
    if (this.live) for (const c of changes) void this.publish(c);
  }

  private publish(c: AlertChange): Promise<void> {
    const a = c.alert;
    const topic = alertTopic(a.kind, a.district, a.subject);
    // T4: retained while open; an empty retained payload clears it when resolved (MQTT 3.1.1 §3.3.1.3).
    const payload = c.type === 'resolved' ? '' : JSON.stringify({ ...a, change: c.type, openedAtLocal: toTaipeiIso(a.openedAt), updatedAtLocal: toTaipeiIso(a.updatedAt) });
    return this.o.publishAlert(topic, payload, true).catch((err: Error) => this.o.logger.warn({ err, topic }, 'alert publish failed'));
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
