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
 * AC2 one row per (sensorId, ts), the reading with the highest journal seq: an exact
 *     re-send (same values, higher seq) is a duplicate and changes nothing; different
 *     values with a higher seq are a correction that replaces the row, sets CORRECTED and
 *     keeps the earlier values in the audit trail; a lower seq is a replay of a reading
 *     already superseded and changes nothing.
 * S6  readingSpans answers the first and latest stored ts of many sensors in one call,
 *     overall and per field with a value; a sensor without readings has no row.
 * AC3 writeReadings reports every reading that did not simply add a row (duplicate,
 *     correction, superseded replay), so the aggregates of its windows are recomputed.
 */
/** A reading that collided with a stored one (AC3); its windows' aggregates must be recomputed. */
export interface RevisedReading {
  readonly seq: number;
  readonly sensorId: string;
  readonly kind: SensorKind;
  readonly district: string;
  readonly ts: number;
  readonly outcome: 'duplicate' | 'correction' | 'superseded';
}

export interface ReadingsWriteOutcome {
  readonly revised: readonly RevisedReading[];
}

/** The raw readings of one kind in one district, for recomputing windows (LA3). */
export interface WindowReadingsQuery {
  readonly kind: SensorKind;
  readonly district: string;
  readonly from: number;
  readonly to: number;
}

/** DQ1: what was stored per sensor in [from, to), late readings included. */
export interface ReadingQualityRow {
  readonly sensorId: string;
  readonly count: number;
  /** Readings stored with LATE. */
  readonly late: number;
  /** Device time → receive time, ms, over readings with a device time (no NO_DEVICE_TIME / CLOCK_SKEW). */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  /** Hours of the range with at least one reading. */
  readonly hoursWithData: number;
}

/** S6: the first and latest stored reading time of one sensor (epoch ms), overall and per field that has a value. */
export interface ReadingSpan {
  readonly sensorId: string;
  readonly first: number;
  readonly last: number;
  /** Fields with at least one stored value: the first and latest ts of a reading carrying it. */
  readonly fields: Readonly<Record<string, { readonly first: number; readonly last: number }>>;
}

export interface ReadingSpanQuery {
  /** Only these sensors; absent = every sensor with a stored reading. */
  readonly sensorIds?: readonly string[];
}

/** Audit trail counts (AC2): acknowledged readings that are not the stored row of their (sensor, ts). */
export interface AuditCounts {
  readonly duplicate: number;
  readonly superseded: number;
}
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
  /** AC3: adapters that can tell report revised readings; others resolve void (last write wins). */
  writeReadings(batch: readonly Reading[]): Promise<void | ReadingsWriteOutcome>;
  writeAggregates(batch: readonly Aggregate[]): Promise<void>;
  writeAlertChanges(batch: readonly AlertChange[]): Promise<void>;
  writeDeadLetters(batch: readonly DeadLetter[]): Promise<void>;
  latest(q: LatestQuery): Promise<Reading[]>;
  readings(q: ReadingQuery): Promise<Reading[]>;
  /** S6: first and latest reading time per sensor, one query for many sensors (STA Datastream phenomenonTime). */
  readingSpans(q: ReadingSpanQuery): Promise<ReadingSpan[]>;
  aggregates(q: AggregateQuery): Promise<Aggregate[]>;
  alerts(q: AlertQuery): Promise<Alert[]>;
  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]>;
  /** Dead letters counted per reason since the store was created. */
  deadLetterCounts(): Promise<Record<string, number>>;
  health(): Promise<StoreHealth>;
  /** LA3: every stored reading of (kind, district) with from ≤ ts < to, any order. */
  windowReadings?(q: WindowReadingsQuery): Promise<Reading[]>;
  /** DQ1: per-sensor figures from the stored readings, when the adapter can compute them. */
  readingQuality?(q: { readonly from: number; readonly to: number }): Promise<ReadingQualityRow[]>;
  /** AC2: audit trail counts, when the adapter keeps one. */
  auditCounts?(): Promise<AuditCounts>;
}
