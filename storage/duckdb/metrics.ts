import { Counter, Histogram, type Registry } from 'prom-client';

/** The embedded store's own metrics, one definition for the in-process store and the worker's proxy (SW1). */
export interface DuckDbMetrics {
  readonly duplicates: Counter;
  readonly querySeconds: Histogram<'query'>;
}

export function duckDbMetrics(registry: Registry): DuckDbMetrics {
  return {
    duplicates: new Counter({
      name: 'civic_duckdb_duplicate_readings_total',
      help: 'Readings ignored because (sensor_id, ts) was already stored (replays, S1)',
      registers: [registry],
    }),
    querySeconds: new Histogram({
      name: 'civic_duckdb_query_seconds',
      help: 'DuckDB read query duration (with the store worker: from the call to its answer, SW1)',
      labelNames: ['query'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
      registers: [registry],
    }),
  };
}
