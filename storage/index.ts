export type { Store, StoreHealth, ReadingQuery, LatestQuery, AggregateQuery, AlertQuery, DeadLetterQuery, RevisedReading, ReadingsWriteOutcome, WindowReadingsQuery, AuditCounts, ReadingQualityRow } from './port.ts';
export { DuckDbStore, type DuckDbStoreOptions } from './duckdb/index.ts';
export { InfluxStore, type InfluxStoreOptions, type InfluxStatus } from './influxdb/index.ts';
export { StoreWriter, type StoreWriterOptions } from './writer.ts';
export { TeeStore } from './tee.ts';
