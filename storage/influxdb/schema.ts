/**
 * InfluxDB schema of civicstream (copied into ARCHITECTURE.md; the Grafana dashboards
 * query exactly these names — change them only together).
 *
 * Database: `database` option (default "civicstream"). Retention tiers (1.x retention
 * policies; on 2.x/3.x buckets named "<database>/<rp>", provisioned by the operator):
 *   raw     DEFAULT, 30d   readings, alert_events, dead_letters, pipeline
 *   agg_1m  365d           agg_1m
 *   agg_1h  INF            agg_1h
 *
 * readings — one measurement per kind, "-" → "_":
 *   air_quality | water_level | streetlight | parking
 *   tags   sensor_id, district, kind
 *   fields the kind's FieldSpec names (float for number, string for string),
 *          flags (integer, QualityFlag bits), seq (integer, journal sequence),
 *          received_at (integer, epoch ms; lets the API return Reading.receivedAt)
 *   time   Reading.ts (ms). Same (measurement, tags, time) overwrites: S1 by construction.
 *
 * aggregates — agg_1m (rp agg_1m) and agg_1h (rp agg_1h):
 *   tags   scope (sensor|district), key, kind, district, field
 *   fields count (integer), mean, min, max, last (float)
 *   time   window start. Same window rewritten overwrites: S2 upsert by construction.
 *
 * alert_events (rp raw) — one point per change; the latest state of an alert is its newest point:
 *   tags   kind, district, subject, rule_id, severity, type (opened|updated|resolved)
 *   fields alert_id, state, value (float), threshold (float), field, message_zh, message_en,
 *          opened_at (integer ms), resolved_at (integer ms, only once resolved)
 *   time   Alert.updatedAt (ms)
 *
 * dead_letters (rp raw):
 *   tags   reason
 *   fields topic, client_id, sensor_id (absent when unknown), message, payload, payload_bytes (integer)
 *   time   DeadLetter.at, written at nanosecond precision as at·10⁶ + a per-process counter,
 *          because two rejects with the same reason in one millisecond must not overwrite
 *          each other; queried with epoch=ms the time is exactly `at` again.
 *
 * pipeline (rp raw) — written by the app every 10 s:
 *   tags   host (optional)
 *   fields ingest_rate, rejected_total, journal_lag, store_backlog, influx_write_ms (float)
 */
import { escape, Point } from '@influxdata/influxdb-client';
import type { Aggregate, AggregatePeriod, AlertChange, DeadLetter, Reading, Sensor, SensorKind } from '../../domain/index.ts';
import { kindOf, KIND_NAMES } from '../../domain/index.ts';

export type Tier = 'raw' | 'agg_1m' | 'agg_1h';
export type Precision = 'ms' | 'ns';

export const M_ALERTS = 'alert_events';
export const M_DEAD_LETTERS = 'dead_letters';
export const M_PIPELINE = 'pipeline';
export const AGG_MEASUREMENT: Readonly<Record<AggregatePeriod, 'agg_1m' | 'agg_1h'>> = { '1m': 'agg_1m', '1h': 'agg_1h' };
export const AGG_TIER: Readonly<Record<AggregatePeriod, Tier>> = { '1m': 'agg_1m', '1h': 'agg_1h' };

export function measurementOf(kind: SensorKind): string {
  return kind.replaceAll('-', '_');
}

const KIND_BY_MEASUREMENT = new Map<string, SensorKind>(KIND_NAMES.map((k) => [measurementOf(k), k]));
export function kindOfMeasurement(m: string): SensorKind | undefined {
  return KIND_BY_MEASUREMENT.get(m);
}
export const READING_MEASUREMENTS: readonly string[] = KIND_NAMES.map(measurementOf);

const ms = { convertTime: (t: string | number | Date | undefined): string | undefined => (t === undefined ? undefined : String(t)) };

function line(p: Point): string {
  const s = p.toLineProtocol(ms);
  // Point returns undefined only without fields; every builder below writes at least one.
  if (s === undefined) throw new Error('point without fields');
  return s;
}

/**
 * Readings and aggregates are the hot path (thousands per second): building a Point per line
 * measured 8 µs/line, a third of a core at 40k lines/s. These two builders emit exactly what
 * Point emits — the library's own `escape` functions, keys in Point's sorted order, empty
 * tags dropped, `i` integers — which test/integration/influx-lines.test.ts checks property-based
 * against Point. Low-volume lines (alerts, dead letters, pipeline) use Point directly.
 */
/** One field slot of a kind's line, in Point's sorted key order; 'int' = flags, received_at, seq. */
type Slot = readonly [name: string, key: string, type: 'number' | 'string' | 'int'];
const READING_INTS = ['flags', 'received_at', 'seq'];
const KIND_LINES = new Map<SensorKind, { readonly prefix: string; readonly slots: readonly Slot[] }>(
  KIND_NAMES.map((k) => {
    const names = kindOf(k).fields.map((f) => f.name);
    const clash = names.find((n) => READING_INTS.includes(n));
    if (clash) throw new Error(`kind ${k}: field "${clash}" collides with a reading field of the InfluxDB schema`);
    const slots: Slot[] = [
      ...kindOf(k).fields.map((f): Slot => [f.name, escape.tag(f.name), f.type]),
      ...READING_INTS.map((n): Slot => [n, escape.tag(n), 'int']),
    ];
    return [k, { prefix: escape.measurement(measurementOf(k)), slots: slots.sort((x, y) => (x[0] < y[0] ? -1 : 1)) }];
  }),
);

const tagPair = (key: string, value: string): string => (value ? `,${key}=${escape.tag(value)}` : '');
const int = (n: number): string => {
  if (!Number.isFinite(n)) throw new Error(`invalid integer ${n}`);
  return `${Math.floor(n)}i`;
};

export function readingLine(r: Reading): string {
  const k = KIND_LINES.get(r.kind);
  if (!k) throw new Error(`unknown kind ${r.kind}`);
  let fields = '';
  for (const [name, key, type] of k.slots) {
    let kv: string | undefined;
    if (type === 'int') kv = `${key}=${int(name === 'seq' ? r.seq : name === 'flags' ? r.flags : r.receivedAt)}`;
    else {
      const v = r.values[name];
      // Only declared fields, with the declared type: a type change would be a field type conflict forever.
      if (type === 'number' && typeof v === 'number' && Number.isFinite(v)) kv = `${key}=${String(v)}`;
      else if (type === 'string' && typeof v === 'string') kv = `${key}=${escape.quoted(v)}`;
    }
    if (kv !== undefined) fields = fields ? `${fields},${kv}` : kv;
  }
  return `${k.prefix}${tagPair('district', r.district)}${tagPair('kind', r.kind)}${tagPair('sensor_id', r.sensorId)} ${fields} ${Math.trunc(r.ts)}`;
}

const AGG_PREFIX: Readonly<Record<AggregatePeriod, string>> = { '1m': escape.measurement('agg_1m'), '1h': escape.measurement('agg_1h') };

export function aggregateLine(a: Aggregate): string {
  // Sorted keys: count, last, max, mean, min; tags district, field, key, kind, scope.
  let fields = `count=${int(a.count)}`;
  for (const [key, v] of [['last', a.last], ['max', a.max], ['mean', a.mean], ['min', a.min]] as const) {
    if (Number.isFinite(v)) fields += `,${key}=${String(v)}`;
  }
  const tags = `${tagPair('district', a.district)}${tagPair('field', a.field)}${tagPair('key', a.key)}${tagPair('kind', a.kind)}${tagPair('scope', a.scope)}`;
  return `${AGG_PREFIX[a.period]}${tags} ${fields} ${Math.trunc(a.start)}`;
}

export function alertLine(c: AlertChange): string {
  const a = c.alert;
  const p = new Point(M_ALERTS)
    .tag('kind', a.kind)
    .tag('district', a.district)
    .tag('subject', a.subject)
    .tag('rule_id', a.ruleId)
    .tag('severity', a.severity)
    .tag('type', c.type)
    .stringField('alert_id', a.id)
    .stringField('state', a.state)
    .stringField('field', a.field)
    .stringField('message_zh', a.message['zh-TW'])
    .stringField('message_en', a.message.en)
    .intField('opened_at', a.openedAt);
  if (Number.isFinite(a.value)) p.floatField('value', a.value);
  if (Number.isFinite(a.threshold)) p.floatField('threshold', a.threshold);
  if (a.resolvedAt !== undefined) p.intField('resolved_at', a.resolvedAt);
  return line(p.timestamp(a.updatedAt));
}

let dlCounter = 0;
/** Nanosecond timestamp (see header): `at` in ms followed by six digits of a counter. */
export function deadLetterLine(d: DeadLetter): string {
  dlCounter = (dlCounter + 1) % 1_000_000;
  const p = new Point(M_DEAD_LETTERS)
    .tag('reason', d.reason)
    .stringField('topic', d.topic)
    .stringField('client_id', d.clientId)
    .stringField('message', d.message)
    .stringField('payload', d.payload)
    .intField('payload_bytes', d.payloadBytes);
  if (d.sensorId !== undefined) p.stringField('sensor_id', d.sensorId);
  return line(p.timestamp(`${Math.trunc(d.at)}${String(dlCounter).padStart(6, '0')}`));
}

export function pipelineLine(fields: Readonly<Record<string, number>>, ts: number, host?: string): string | undefined {
  const p = new Point(M_PIPELINE);
  if (host) p.tag('host', host);
  let any = false;
  for (const k in fields) {
    const v = fields[k]!;
    if (Number.isFinite(v)) {
      p.floatField(k, v);
      any = true;
    }
  }
  return any ? line(p.timestamp(ts)) : undefined;
}

/** Sensor metadata for the Grafana map and warning lines (measurement `sensor_meta`, raw tier). */
export const M_SENSOR_META = 'sensor_meta';

/**
 * One `sensor_meta` point per registry sensor: tags sensor_id, kind, district (+ station for
 * water level); fields lat, lon, name_zh, name_en, interval_s and, where the kind has them,
 * warning_level1..3 (m) or flood_threshold_cm. Rewritten at start-up and daily, so it never
 * ages out of the raw retention.
 */
export function sensorMetaLine(s: Sensor, ts: number): string {
  const p = new Point(M_SENSOR_META).tag('sensor_id', s.id).tag('kind', s.kind).tag('district', s.district.code);
  const station = s.params.station;
  if (typeof station === 'string') p.tag('station', station);
  p.floatField('lat', s.location.lat).floatField('lon', s.location.lon).stringField('name_zh', s.name['zh-TW']).stringField('name_en', s.name.en).intField('interval_s', s.intervalSeconds);
  const levels = s.params.warningLevels as { level1?: number; level2?: number; level3?: number } | undefined;
  if (levels) {
    for (const n of [1, 2, 3] as const) {
      const v = levels[`level${n}`];
      if (typeof v === 'number') p.floatField(`warning_level${n}`, v);
    }
  }
  if (typeof s.params.floodThresholdCm === 'number') p.floatField('flood_threshold_cm', s.params.floodThresholdCm);
  return line(p.timestamp(ts));
}
