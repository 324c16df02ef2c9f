import type { KindDescription, SensorKind } from '../../domain/index.ts';

/**
 * DuckDB schema, generated from the kind descriptions so that a new kind (or a new
 * field on a kind) needs no change here: open() creates the table / adds the column.
 *
 * Times are BIGINT epoch milliseconds, not TIMESTAMPTZ: the pipeline and the port (S5)
 * speak epoch ms, so nothing converts on the hot write path or on read, integer
 * comparison keeps the (sensor_id, ts) key exact to the millisecond, and ad-hoc SQL can
 * still say `epoch_ms(ts)` to get a timestamp.
 */

export type ColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'INTEGER';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}

/** Per-kind readings table: the fixed columns, then one typed column per FieldSpec. */
export interface ReadingTable {
  readonly kind: SensorKind;
  readonly table: string;
  readonly fields: readonly { readonly name: string; readonly type: 'DOUBLE' | 'VARCHAR' }[];
}

export const READING_FIXED_COLUMNS: readonly Column[] = [
  { name: 'sensor_id', type: 'VARCHAR' },
  { name: 'district', type: 'VARCHAR' },
  { name: 'ts', type: 'BIGINT' },
  { name: 'received_at', type: 'BIGINT' },
  { name: 'seq', type: 'BIGINT' },
  { name: 'flags', type: 'INTEGER' },
];

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const KIND_NAME = /^[a-z][a-z0-9-]*$/;

/** Double-quoted identifier; names are validated first, so this only preserves camelCase. */
export function q(name: string): string {
  return `"${name}"`;
}

/**
 * What a readings table is made from: a kind's name and its fields' names and types (plain
 * data, so the shapes can be sent to the store's worker thread, SW3).
 */
export interface TableKind {
  readonly kind: KindDescription['kind'];
  readonly fields: readonly Pick<KindDescription['fields'][number], 'name' | 'type'>[];
}

/** The plain table shapes of kind descriptions (SW3). */
export function tableKinds(kinds: readonly TableKind[]): TableKind[] {
  return kinds.map((k) => ({ kind: k.kind, fields: k.fields.map((f) => ({ name: f.name, type: f.type })) }));
}

export function readingTable(desc: TableKind): ReadingTable {
  if (!KIND_NAME.test(desc.kind)) throw new Error(`kind name ${JSON.stringify(desc.kind)} cannot name a table`);
  // DuckDB identifiers are case-insensitive, so "pm25" and "PM25" would be one column.
  const seen = new Set(READING_FIXED_COLUMNS.map((c) => c.name));
  const fields = desc.fields.map((f) => {
    if (!FIELD_NAME.test(f.name)) throw new Error(`field ${desc.kind}.${f.name} is not a valid column name`);
    const lower = f.name.toLowerCase();
    if (seen.has(lower)) throw new Error(`field ${desc.kind}.${f.name} collides with another column`);
    seen.add(lower);
    return { name: f.name, type: f.type === 'number' ? ('DOUBLE' as const) : ('VARCHAR' as const) };
  });
  return { kind: desc.kind, table: `readings_${desc.kind.replace(/-/g, '_')}`, fields };
}

export function readingColumns(t: ReadingTable): readonly Column[] {
  return [...READING_FIXED_COLUMNS, ...t.fields];
}

/** DDL for one kind: create if missing, then add any field the description gained since. */
export function readingDdl(t: ReadingTable): string[] {
  const cols = readingColumns(t).map((c) => `${q(c.name)} ${c.type}`);
  return [
    // PRIMARY KEY (sensor_id, ts) is what makes INSERT OR IGNORE idempotent (S1).
    `CREATE TABLE IF NOT EXISTS ${t.table} (${cols.join(', ')}, PRIMARY KEY (sensor_id, ts))`,
    ...t.fields.map((f) => `ALTER TABLE ${t.table} ADD COLUMN IF NOT EXISTS ${q(f.name)} ${f.type}`),
  ];
}

/**
 * Tables shared by all kinds. Only primary keys, no secondary indexes: DuckDB turns an
 * ON CONFLICT DO UPDATE touching an indexed column into delete + insert, and these
 * tables are small enough (O(sensors), O(alerts)) that zone-mapped scans are fast.
 */
export const SHARED_DDL: readonly string[] = [
  // One row per sensor, upserted only by a newer ts. Values are JSON text: one table
  // serves latest() across every kind in a single scan, rows decode straight into
  // Reading.values with only the present fields, and new fields need no migration.
  `CREATE TABLE IF NOT EXISTS latest (
     sensor_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, district VARCHAR NOT NULL,
     ts BIGINT NOT NULL, received_at BIGINT NOT NULL, seq BIGINT NOT NULL, flags INTEGER NOT NULL,
     vals VARCHAR NOT NULL)`,
  // S2: one row per (scope, key, period, start, field).
  `CREATE TABLE IF NOT EXISTS aggregates (
     scope VARCHAR NOT NULL, key VARCHAR NOT NULL, kind VARCHAR NOT NULL, district VARCHAR NOT NULL,
     period VARCHAR NOT NULL, start BIGINT NOT NULL, field VARCHAR NOT NULL,
     n BIGINT NOT NULL, mean DOUBLE, min DOUBLE, max DOUBLE, last DOUBLE,
     PRIMARY KEY (scope, key, period, start, field))`,
  // LA6: partial = the window was emitted while still open (shutdown flush).
  `ALTER TABLE aggregates ADD COLUMN IF NOT EXISTS partial BOOLEAN DEFAULT false`,
  // S3: latest state per alert id ...
  `CREATE TABLE IF NOT EXISTS alerts (
     id VARCHAR PRIMARY KEY, rule_id VARCHAR NOT NULL, subject VARCHAR NOT NULL, kind VARCHAR NOT NULL,
     district VARCHAR NOT NULL, severity VARCHAR NOT NULL, state VARCHAR NOT NULL,
     opened_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, resolved_at BIGINT,
     field VARCHAR NOT NULL, value DOUBLE, threshold DOUBLE, message_zh VARCHAR, message_en VARCHAR)`,
  // ... and every change appended, ordered by a sequence so replays of the history are stable.
  `CREATE SEQUENCE IF NOT EXISTS alert_event_no`,
  `CREATE TABLE IF NOT EXISTS alert_events (
     event_no BIGINT DEFAULT nextval('alert_event_no'), alert_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
     ts BIGINT NOT NULL, state VARCHAR NOT NULL, severity VARCHAR NOT NULL, snapshot VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS dead_letters (
     ts BIGINT NOT NULL, reason VARCHAR NOT NULL, message VARCHAR NOT NULL, topic VARCHAR NOT NULL,
     client_id VARCHAR NOT NULL, sensor_id VARCHAR, payload VARCHAR NOT NULL, payload_bytes BIGINT NOT NULL)`,
  // Counts kept apart from the rows so that pruning old dead letters does not lower them
  // (the port: "counted per reason since the store was created").
  // AC2/AC3: every acknowledged reading that is not (or no longer) the stored row of its
  // (sensor, ts): an exact re-send ('duplicate', other_seq = the stored row) or values
  // replaced by a correction ('superseded', other_seq = the correcting reading). Keyed by
  // the journal seq, so a replay adds nothing: stored rows + audit rows = acknowledged.
  `CREATE TABLE IF NOT EXISTS reading_audit (
     seq BIGINT PRIMARY KEY, sensor_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, ts BIGINT NOT NULL,
     outcome VARCHAR NOT NULL, other_seq BIGINT NOT NULL, flags INTEGER NOT NULL, vals VARCHAR NOT NULL, audited_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS dead_letter_counts (reason VARCHAR PRIMARY KEY, n BIGINT NOT NULL)`,
];
