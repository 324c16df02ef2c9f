import type { Aggregate, Alert, AlertChange, DeadLetter, FieldValue, Reading, RejectReason, SensorKind } from '../../domain/index.ts';
import { KINDS, kindOf } from '../../domain/index.ts';
import type { AggregateQuery, AlertQuery, DeadLetterQuery, LatestQuery, ReadingQuery, ReadingSpan, ReadingSpanQuery, WindowReadingsQuery } from '../port.ts';
import type { InfluxHttp } from './http.ts';
import { from, ident, limitOf, rowsOf, Where } from './influxql.ts';
import type { ResolvedInfluxOptions } from './options.ts';
import { AGG_MEASUREMENT, AGG_TIER, kindOfMeasurement, M_ALERTS, M_DEAD_LETTERS, measurementOf, READING_MEASUREMENTS } from './schema.ts';

/** InfluxQL reads behind the Store queries (S5: epoch ms, [from, to)). */
export class InfluxReader {
  constructor(
    private readonly http: InfluxHttp,
    private readonly o: ResolvedInfluxOptions,
  ) {}

  private measurements(kind?: SensorKind): string {
    const ms = kind ? [measurementOf(kind)] : READING_MEASUREMENTS;
    return ms.map((m) => from(this.o.database, this.o.rp.raw, m)).join(', ');
  }

  private async select(q: string): Promise<{ name: string; rows: Record<string, unknown>[] }[]> {
    const [series = []] = await this.http.query(q);
    return series.map((s) => ({ name: s.name, rows: rowsOf(s) }));
  }

  /** One sensor's readings; the sensor's kind is unknown here, so all kind measurements are asked (only one holds it). */
  async readings(q: ReadingQuery): Promise<Reading[]> {
    const limit = limitOf(q.limit);
    if (limit === 0) return [];
    const w = new Where().eq('sensor_id', q.sensorId).time('>=', q.from).time('<', q.to).time('>', q.after);
    const order = q.order === 'desc' ? 'DESC' : 'ASC';
    const out: Reading[] = [];
    for (const s of await this.select(`SELECT * FROM ${this.measurements()}${w} ORDER BY time ${order} LIMIT ${limit}`)) {
      for (const r of s.rows) out.push(toReading(s.name, r));
    }
    out.sort((a, b) => (order === 'ASC' ? a.ts - b.ts : b.ts - a.ts));
    return out.slice(0, limit);
  }

  /** LA3: every reading of one kind in one district in [from, to) (late-data recompute). */
  async windowReadings(q: WindowReadingsQuery): Promise<Reading[]> {
    const w = new Where().eq('district', q.district).time('>=', q.from).time('<', q.to);
    const out: Reading[] = [];
    for (const s of await this.select(`SELECT * FROM ${this.measurements(q.kind)}${w}`)) {
      for (const r of s.rows) out.push(toReading(s.name, r));
    }
    return out;
  }

  /** Newest reading per sensor: GROUP BY sensor_id … ORDER BY time DESC LIMIT 1. Sorted by sensor id. */
  async latest(q: LatestQuery): Promise<Reading[]> {
    if (q.sensorIds && q.sensorIds.length === 0) return [];
    const w = new Where().eq('district', q.district);
    if (q.sensorIds) w.anyOf('sensor_id', q.sensorIds);
    const out: Reading[] = [];
    for (const s of await this.select(`SELECT * FROM ${this.measurements(q.kind)}${w} GROUP BY ${ident('sensor_id')} ORDER BY time DESC LIMIT 1`)) {
      for (const r of s.rows) out.push(toReading(s.name, r));
    }
    return out.sort((a, b) => (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0));
  }

  /**
   * S6: first() and last() per field and kind measurement, grouped by sensor: a single selector
   * without GROUP BY time() answers the point's own time. All statements go in one request; a
   * long id list is asked as "every sensor" and filtered here (the list would repeat per statement).
   */
  async spans(q: ReadingSpanQuery): Promise<ReadingSpan[]> {
    if (q.sensorIds && q.sensorIds.length === 0) return [];
    const ids = q.sensorIds ? new Set(q.sensorIds) : undefined;
    const w = new Where();
    if (q.sensorIds && q.sensorIds.length <= 50) w.anyOf('sensor_id', q.sensorIds);
    const stmts: { field: string; fn: 'first' | 'last' }[] = [];
    const text: string[] = [];
    for (const m of READING_MEASUREMENTS) {
      const kind = kindOfMeasurement(m);
      for (const f of kind ? kindOf(kind).fields : []) {
        for (const fn of ['first', 'last'] as const) {
          stmts.push({ field: f.name, fn });
          text.push(`SELECT ${fn}(${ident(f.name)}) FROM ${from(this.o.database, this.o.rp.raw, m)}${w} GROUP BY ${ident('sensor_id')}`);
        }
      }
    }
    const results = await this.http.query(text.join('; '));
    const out = new Map<string, { sensorId: string; first: number; last: number; fields: Record<string, { first: number; last: number }> }>();
    results.forEach((series, i) => {
      const { field, fn } = stmts[i]!;
      for (const s of series) {
        const id = s.tags?.sensor_id;
        const t = s.values[0]?.[0];
        if (typeof id !== 'string' || typeof t !== 'number' || (ids && !ids.has(id))) continue;
        let span = out.get(id);
        if (!span) out.set(id, (span = { sensorId: id, first: t, last: t, fields: {} }));
        const fs = (span.fields[field] ??= { first: t, last: t });
        if (fn === 'first') fs.first = Math.min(fs.first, t); else fs.last = Math.max(fs.last, t);
        span.first = Math.min(span.first, t);
        span.last = Math.max(span.last, t);
      }
    });
    return [...out.values()].sort((a, b) => cmp(a.sensorId, b.sensorId));
  }

  /** Windows starting in [from, to), ordered by (start, key, field). */
  async aggregates(q: AggregateQuery): Promise<Aggregate[]> {
    const limit = limitOf(q.limit);
    if (limit === 0) return [];
    const w = new Where().eq('scope', q.scope).time('>=', q.from).time('<', q.to).eq('key', q.key).eq('kind', q.kind).eq('district', q.district).eq('field', q.field);
    const m = from(this.o.database, this.o.rp[AGG_TIER[q.period]], AGG_MEASUREMENT[q.period]);
    const out: Aggregate[] = [];
    for (const s of await this.select(`SELECT * FROM ${m}${w} ORDER BY time ASC LIMIT ${limit}`)) {
      for (const r of s.rows) {
        out.push({
          scope: r.scope as Aggregate['scope'], key: r.key as string, kind: r.kind as SensorKind, district: (r.district as string) ?? '',
          period: q.period, start: r.time as number, field: r.field as string, count: r.count as number,
          mean: num(r.mean), min: num(r.min), max: num(r.max), last: num(r.last),
        });
      }
    }
    return out.sort((a, b) => a.start - b.start || cmp(a.key, b.key) || cmp(a.field, b.field));
  }

  /**
   * Latest state per alert id, derived from alert_events (newest event wins). Alerts active in
   * [from, to): opened before `to`, not resolved before `from`; newest change first, then id.
   * Alert events are few (state changes, not readings), so the reduction happens here.
   */
  async alerts(q: AlertQuery): Promise<Alert[]> {
    const limit = limitOf(q.limit);
    if (limit === 0 || (q.states && q.states.length === 0)) return [];
    const w = new Where().eq('kind', q.kind).eq('district', q.district).eq('subject', q.subject);
    // Every event of an alert carries the same opened_at, so this filter never hides a later state.
    if (q.to !== undefined && Number.isFinite(q.to)) w.raw(`${ident('opened_at')} < ${Math.trunc(q.to)}`);
    const latest = new Map<string, { rank: number; alert: Alert }>();
    for (const s of await this.select(`SELECT * FROM ${from(this.o.database, this.o.rp.raw, M_ALERTS)}${w}`)) {
      for (const r of s.rows) {
        const alert = toAlert(r);
        const rank = alert.updatedAt * 4 + TYPE_RANK[r.type as AlertChange['type']];
        const seen = latest.get(alert.id);
        if (!seen || rank >= seen.rank) latest.set(alert.id, { rank, alert });
      }
    }
    const states = q.states ? new Set(q.states) : undefined;
    return [...latest.values()]
      .map((x) => x.alert)
      .filter((a) => (!states || states.has(a.state)) && (q.from === undefined || a.resolvedAt === undefined || a.resolvedAt >= q.from))
      .sort((a, b) => b.updatedAt - a.updatedAt || cmp(a.id, b.id))
      .slice(0, limit);
  }

  /** S3 history: every recorded change of one alert, oldest first. */
  async alertHistory(alertId: string, limit = 10_000): Promise<AlertChange[]> {
    const w = new Where().eq('alert_id', alertId);
    const out: { rank: number; change: AlertChange }[] = [];
    for (const s of await this.select(`SELECT * FROM ${from(this.o.database, this.o.rp.raw, M_ALERTS)}${w} ORDER BY time ASC LIMIT ${limitOf(limit)}`)) {
      for (const r of s.rows) {
        const type = r.type as AlertChange['type'];
        out.push({ rank: (r.time as number) * 4 + TYPE_RANK[type], change: { type, alert: toAlert(r) } });
      }
    }
    return out.sort((a, b) => a.rank - b.rank).map((x) => x.change);
  }

  /** Newest first. */
  async deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    const limit = limitOf(q.limit);
    if (limit === 0) return [];
    const w = new Where().eq('reason', q.reason).eq('sensor_id', q.sensorId).time('>=', q.from);
    const out: DeadLetter[] = [];
    for (const s of await this.select(`SELECT * FROM ${from(this.o.database, this.o.rp.raw, M_DEAD_LETTERS)}${w} ORDER BY time DESC LIMIT ${limit}`)) {
      for (const r of s.rows) {
        const d: DeadLetter = {
          at: r.time as number, reason: r.reason as RejectReason, message: (r.message as string) ?? '', topic: (r.topic as string) ?? '',
          clientId: (r.client_id as string) ?? '', payload: (r.payload as string) ?? '', payloadBytes: (r.payload_bytes as number) ?? 0,
        };
        out.push(typeof r.sensor_id === 'string' ? { ...d, sensorId: r.sensor_id } : d);
      }
    }
    return out;
  }

  /** Counted over what the raw retention policy still holds (30 days by default). */
  async deadLetterCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const q = `SELECT count(${ident('payload_bytes')}) FROM ${from(this.o.database, this.o.rp.raw, M_DEAD_LETTERS)} GROUP BY ${ident('reason')}`;
    for (const s of await this.select(q)) {
      for (const r of s.rows) if (typeof r.reason === 'string') counts[r.reason] = (counts[r.reason] ?? 0) + (r.count as number);
    }
    return counts;
  }
}

const TYPE_RANK: Readonly<Record<AlertChange['type'], number>> = { opened: 0, updated: 1, resolved: 2 };

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

function toReading(measurement: string, r: Record<string, unknown>): Reading {
  const kind = kindOfMeasurement(measurement) ?? (r.kind as SensorKind);
  const values: Record<string, FieldValue> = {};
  for (const f of KINDS[kind]?.fields ?? []) {
    const v = r[f.name];
    if (v !== null && v !== undefined) values[f.name] = v as FieldValue;
  }
  const ts = r.time as number;
  return {
    seq: (r.seq as number) ?? 0, sensorId: r.sensor_id as string, kind, district: (r.district as string) ?? '',
    ts, receivedAt: typeof r.received_at === 'number' ? r.received_at : ts, flags: (r.flags as number) ?? 0, values,
  };
}

function toAlert(r: Record<string, unknown>): Alert {
  const a: Alert = {
    id: r.alert_id as string, ruleId: r.rule_id as string, subject: r.subject as string, kind: r.kind as SensorKind,
    district: (r.district as string) ?? '', severity: r.severity as Alert['severity'], state: r.state as Alert['state'],
    openedAt: r.opened_at as number, updatedAt: r.time as number, field: (r.field as string) ?? '',
    value: num(r.value), threshold: num(r.threshold),
    message: { 'zh-TW': (r.message_zh as string) ?? '', en: (r.message_en as string) ?? '' },
  };
  if (typeof r.resolved_at === 'number') a.resolvedAt = r.resolved_at;
  return a;
}
