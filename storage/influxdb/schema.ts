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
import { Point } from '@influxdata/influxdb-client';
import type { Aggregate, AggregatePeriod, AlertChange, DeadLetter, Reading, SensorKind } from '../../domain/index.ts';
import { KINDS, KIND_NAMES } from '../../domain/index.ts';

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

/** Field types per kind, looked up once per reading (O(1)), not per field via the spec list. */
const FIELD_TYPES = new Map<SensorKind, ReadonlyMap<string, 'number' | 'string'>>(
  KIND_NAMES.map((k) => [k, new Map(KINDS[k].fields.map((f) => [f.name, f.type]))]),
);

const ms = { convertTime: (t: string | number | Date | undefined): string | undefined => (t === undefined ? undefined : String(t)) };

function line(p: Point): string {
  const s = p.toLineProtocol(ms);
  // Point returns undefined only without fields; every builder below writes at least one.
  if (s === undefined) throw new Error('point without fields');
  return s;
}

export function readingLine(r: Reading): string {
  const p = new Point(measurementOf(r.kind)).tag('sensor_id', r.sensorId).tag('district', r.district).tag('kind', r.kind);
  const types = FIELD_TYPES.get(r.kind);
  for (const name in r.values) {
    const v = r.values[name]!;
    // Only declared fields, with the declared type: a type change would be a field type conflict forever.
    const t = types?.get(name);
    if (t === 'number' && typeof v === 'number' && Number.isFinite(v)) p.floatField(name, v);
    else if (t === 'string' && typeof v === 'string') p.stringField(name, v);
  }
  return line(p.intField('flags', r.flags).intField('seq', r.seq).intField('received_at', r.receivedAt).timestamp(r.ts));
}

export function aggregateLine(a: Aggregate): string {
  const p = new Point(AGG_MEASUREMENT[a.period])
    .tag('scope', a.scope)
    .tag('key', a.key)
    .tag('kind', a.kind)
    .tag('district', a.district)
    .tag('field', a.field)
    .intField('count', a.count);
  for (const [k, v] of [['mean', a.mean], ['min', a.min], ['max', a.max], ['last', a.last]] as const) {
    if (Number.isFinite(v)) p.floatField(k, v);
  }
  return line(p.timestamp(a.start));
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
