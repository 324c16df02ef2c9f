export type { Store, StoreHealth, ReadingQuery, LatestQuery, AggregateQuery, AlertQuery, DeadLetterQuery, RevisedReading, ReadingsWriteOutcome, WindowReadingsQuery, AuditCounts, ReadingQualityRow, ReadingSpan, ReadingSpanQuery } from './port.ts';
export { DuckDbStore, DuckDbWorkerStore, type DuckDbStoreOptions } from './duckdb/index.ts';
export { InfluxStore, type InfluxStoreOptions, type InfluxStatus } from './influxdb/index.ts';
/** The InfluxDB schema's names, one home for the writer and the Grafana dashboards (dashboards/). */
export { AGG_MEASUREMENT, M_ALERTS, M_DEAD_LETTERS, M_PIPELINE, M_SENSOR_META, measurementOf } from './influxdb/index.ts';
export { StoreWriter, type StoreWriterOptions } from './writer.ts';
export { TeeStore } from './tee.ts';
