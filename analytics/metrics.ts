import { Counter, Gauge, type Registry } from 'prom-client';
import type { Reading } from '../domain/index.ts';
import type { Aggregator } from './aggregator.ts';
import type { AnalyticsError, AnalyticsErrorHandler } from './errors.ts';

export interface AnalyticsMetricsSources {
  readonly aggregator?: Aggregator;
  /** The alert engine (alerts/): only its open alerts are read. */
  readonly alerts?: { open(): readonly { readonly severity: 'advisory' | 'warning' | 'critical' }[] };
  /** Clock for the watermark lag gauge (default Date.now). */
  readonly now?: () => number;
}

export interface AnalyticsMetrics {
  /** An `onError` for the operators that counts by stage and code, then calls `next` (e.g. a log line). */
  onError(stage: 'aggregate' | 'alerts', next?: AnalyticsErrorHandler): AnalyticsErrorHandler;
}

/**
 * Registers the analytics metrics on `registry`. Aggregator and alert figures are
 * read at scrape time (prom-client `collect`), so the per-reading path pays nothing
 * for them; only errors are counted as they happen.
 */
export function analyticsMetrics(registry: Registry, sources: AnalyticsMetricsSources): AnalyticsMetrics {
  const { aggregator, alerts, now = Date.now } = sources;
  const errors = new Counter({
    name: 'civic_analytics_errors_total',
    help: 'readings or ticks that failed in analytics, by stage and error code (the stream continued)',
    labelNames: ['stage', 'code'] as const,
    registers: [registry],
  });
  if (aggregator !== undefined) {
    new Counter({
      name: 'civic_analytics_aggregated_readings_total',
      help: 'readings accepted into streaming aggregates',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(aggregator.stats().accepted);
      },
    });
    new Counter({
      name: 'civic_analytics_late_readings_total',
      help: 'readings behind the watermark: stored with the LATE flag, not aggregated (W4)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(aggregator.stats().late);
      },
    });
    new Gauge({
      name: 'civic_analytics_open_windows',
      help: 'aggregation windows open, by period',
      labelNames: ['period'] as const,
      registers: [registry],
      collect() {
        const s = aggregator.stats();
        this.set({ period: '1m' }, s.openMinutes);
        this.set({ period: '1h' }, s.openHours);
      },
    });
    new Gauge({
      name: 'civic_analytics_sensors',
      help: 'sensors holding an accumulator in the aggregator',
      registers: [registry],
      collect() {
        this.set(aggregator.stats().sensors);
      },
    });
    new Gauge({
      name: 'civic_analytics_watermark_lag_seconds',
      help: 'seconds between now and the aggregation watermark (lateness plus tick delay)',
      registers: [registry],
      collect() {
        const wm = aggregator.stats().watermarkMs;
        this.set(Number.isFinite(wm) ? (now() - wm) / 1000 : 0);
      },
    });
  }
  if (alerts !== undefined) {
    new Gauge({
      name: 'civic_alerts_open',
      help: 'alerts not resolved, by severity',
      labelNames: ['severity'] as const,
      registers: [registry],
      collect() {
        const counts = { advisory: 0, warning: 0, critical: 0 };
        for (const a of alerts.open()) counts[a.severity]++;
        for (const [severity, n] of Object.entries(counts)) this.set({ severity }, n);
      },
    });
  }
  return {
    onError(stage, next) {
      return (error: AnalyticsError, reading?: Reading) => {
        errors.inc({ stage, code: error.code });
        next?.(error, reading);
      };
    },
  };
}
