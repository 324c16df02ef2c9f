import type { Aggregate, AggregatePeriod, Alert, AlertChange, DeadLetter, Reading, RejectReason, SensorKind } from '../domain/index.ts';

/**
 * The storage port. Every adapter (DuckDB embedded, InfluxDB, both) implements it and
 * passes the shared contract suite in test/storage/contract.ts.
 *
 * S1  writeReadings is idempotent on (sensorId, ts): a replayed reading is stored once.
 * S2  writeAggregates upserts on (scope, key, period, start, field).
 * S3  writeAlertChanges keeps the latest state per alert id and appends every change to the history.
 * S4  a write resolves only when the batch is durable in the store.
 * S5  queries return times as epoch ms; ranges are [from, to).
 */
export interface ReadingQuery {
  readonly sensorId: string;
  readonly from: number;
  readonly to: number;
  readonly limit: number;
  /** Cursor: only readings with ts > after (exclusive), for paging in ts order. */
  readonly after?: number;
  readonly order?: 'asc' | 'desc';
}

export interface LatestQuery {
  readonly kind?: SensorKind;
  readonly district?: string;
  readonly sensorIds?: readonly string[];
}

export interface AggregateQuery {
  readonly scope: 'sensor' | 'district';
  readonly period: AggregatePeriod;
  readonly from: number;
  readonly to: number;
  readonly key?: string;
  readonly kind?: SensorKind;
  readonly district?: string;
  readonly field?: string;
  readonly limit: number;
}

export interface AlertQuery {
  readonly states?: readonly Alert['state'][];
  readonly kind?: SensorKind;
  readonly district?: string;
  readonly subject?: string;
  readonly from?: number;
  readonly to?: number;
  readonly limit: number;
}

export interface DeadLetterQuery {
  readonly reason?: RejectReason;
  readonly sensorId?: string;
  readonly from?: number;
  readonly limit: number;
}

export interface StoreHealth {
  readonly ok: boolean;
  readonly adapter: string;
  readonly detail?: string;
}

export interface Store {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  writeReadings(batch: readonly Reading[]): Promise<void>;
  writeAggregates(batch: readonly Aggregate[]): Promise<void>;
  writeAlertChanges(batch: readonly AlertChange[]): Promise<void>;
  writeDeadLetters(batch: readonly DeadLetter[]): Promise<void>;
  latest(q: LatestQuery): Promise<Reading[]>;
  readings(q: ReadingQuery): Promise<Reading[]>;
  aggregates(q: AggregateQuery): Promise<Aggregate[]>;
  alerts(q: AlertQuery): Promise<Alert[]>;
  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]>;
  /** Dead letters counted per reason since the store was created. */
  deadLetterCounts(): Promise<Record<string, number>>;
  health(): Promise<StoreHealth>;
}
