import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface InfluxMetrics {
  readonly writeSeconds: Histogram<'result'>;
  readonly retries: Counter;
  readonly rejectedLines: Counter;
  readonly replayedLines: Counter;
  /** Which store the backlog gauge reads at scrape time. */
  backlog: () => number;
}

/**
 * One set of metrics per registry: a store rebuilt on the same registry (restart in-process,
 * tests) takes the set over instead of failing on duplicate registration.
 */
const perRegistry = new WeakMap<Registry, InfluxMetrics>();

export function influxMetrics(registry: Registry, backlog: () => number): InfluxMetrics {
  const existing = perRegistry.get(registry);
  if (existing) {
    existing.backlog = backlog;
    return existing;
  }
  const m: InfluxMetrics = {
    backlog,
    writeSeconds: new Histogram({
      name: 'civic_influx_write_seconds',
      help: 'InfluxDB write request duration (gzip + HTTP), by result ok|retry|reject',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    retries: new Counter({ name: 'civic_influx_retries_total', help: 'write attempts that failed and will be retried (server down, slow, 5xx, 429)', registers: [registry] }),
    rejectedLines: new Counter({ name: 'civic_influx_rejected_lines_total', help: 'lines InfluxDB refused (4xx); each is dead-lettered with the server message', registers: [registry] }),
    replayedLines: new Counter({ name: 'civic_influx_replayed_lines_total', help: 'lines delivered from the spool after an outage', registers: [registry] }),
  };
  // Read at scrape time so the gauge is never stale.
  new Gauge({
    name: 'civic_influx_backlog_lines',
    help: 'lines waiting in the on-disk spool for InfluxDB',
    registers: [registry],
    collect() {
      this.set(m.backlog());
    },
  });
  perRegistry.set(registry, m);
  return m;
}
