import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { KINDS, QualityFlag } from '../../domain/index.ts';
import type { Aggregate, Alert, AlertChange, DeadLetter, Reading, SensorKind } from '../../domain/index.ts';
import type { AggregateQuery, AlertQuery, AuditCounts, DeadLetterQuery, LatestQuery, ReadingQuery, ReadingQualityRow, ReadingSpan, ReadingSpanQuery, ReadingsWriteOutcome, Store, StoreHealth, WindowReadingsQuery } from '../port.ts';
import {
  readAggregates, readAlertHistory, readAlerts, readDeadLetterCounts, readDeadLetters, readLatest, readReadings, readSpans,
} from './read.ts';
import { type DuckDbMetrics, duckDbMetrics } from './metrics.ts';
import { type ReadingTable, type TableKind, SHARED_DDL, readingDdl, readingTable } from './schema.ts';
import { SerialQueue } from './serial.ts';
import { EventsWriter } from './write-events.ts';
import { ReadingsWriter } from './write-readings.ts';

export interface DuckDbStoreOptions {
  /** Database file (under the data dir), or ':memory:' for tests and demos. */
  readonly path: string;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Kind descriptions (or their table shapes) the readings tables are generated from; default: every kind in domain KINDS. */
  readonly kinds?: readonly TableKind[];
  /** Read connections (default 2, one per core we design for) so API queries run beside writes. */
  readonly readers?: number;
  /** DuckDB settings for DuckDBInstance.create, e.g. { memory_limit: '1GB' }. */
  readonly duckdb?: Readonly<Record<string, string>>;
}

interface Open {
  readonly instance: DuckDBInstance;
  readonly writer: DuckDBConnection;
  readonly writeQ: SerialQueue;
  readonly readers: readonly { readonly conn: DuckDBConnection; readonly q: SerialQueue }[];
  readonly readings: ReadingsWriter;
  readonly events: EventsWriter;
}

/**
 * The embedded store (port: storage/port.ts, rules S1–S5). DuckDB allows one writer per
 * database without conflicts, so all writes go through one connection and one serial
 * queue; reads use their own connections and see every committed batch (MVCC).
 * S4: DuckDB writes and syncs its WAL at COMMIT, so a resolved write is on disk.
 */
export class DuckDbStore implements Store {
  readonly name = 'duckdb';
  private db: Open | undefined;
  private readonly tables = new Map<SensorKind, ReadingTable>();
  private readonly m: DuckDbMetrics;

  constructor(private readonly opts: DuckDbStoreOptions) {
    this.m = duckDbMetrics(opts.metrics);
  }

  async open(): Promise<void> {
    if (this.db) return;
    const instance = await DuckDBInstance.create(this.opts.path, { ...this.opts.duckdb });
    const writer = await instance.connect();
    const kinds = this.opts.kinds ?? Object.values(KINDS);
    for (const sql of SHARED_DDL) await writer.run(sql);
    for (const desc of kinds) {
      const t = readingTable(desc);
      for (const sql of readingDdl(t)) await writer.run(sql);
      this.tables.set(t.kind, t);
    }
    const readings = new ReadingsWriter(writer);
    await readings.prepare(kinds);
    const events = new EventsWriter(writer);
    await events.prepare();
    const readers = [];
    for (let i = 0; i < Math.max(1, this.opts.readers ?? 2); i++) readers.push({ conn: await instance.connect(), q: new SerialQueue() });
    this.db = { instance, writer, writeQ: new SerialQueue(), readers, readings, events };
    this.opts.logger.info({ path: this.opts.path, tables: [...this.tables.values()].map((t) => t.table) }, 'duckdb store open');
  }

  async close(): Promise<void> {
    const db = this.db;
    if (!db) return;
    this.db = undefined;
    // Let queued writes finish: a write that was accepted must still become durable.
    await db.writeQ.drain();
    await Promise.all(db.readers.map((r) => r.q.drain()));
    db.readings.close();
    db.events.close();
    for (const r of db.readers) r.conn.closeSync();
    db.writer.closeSync();
    db.instance.closeSync();
    this.opts.logger.info({ path: this.opts.path }, 'duckdb store closed');
  }

  private open_(): Open {
    if (!this.db) throw new Error('DuckDbStore is not open');
    return this.db;
  }

  private write<T>(job: (db: Open) => Promise<T>): Promise<T> {
    const db = this.open_();
    return db.writeQ.run(() => job(db));
  }

  private async read<T>(query: string, job: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const db = this.open_();
    let pick = db.readers[0]!;
    for (const r of db.readers) if (r.q.depth < pick.q.depth) pick = r;
    const end = this.m.querySeconds.startTimer({ query });
    try {
      return await pick.q.run(() => job(pick.conn));
    } finally {
      end();
    }
  }

  /** S1/AC3; `duplicates` (rows not added) lets the worker's proxy count them too (SW1). */
  async writeReadings(batch: readonly Reading[]): Promise<ReadingsWriteOutcome & { readonly duplicates: number }> {
    if (batch.length === 0) return { revised: [], duplicates: 0 };
    const res = await this.write((db) => db.readings.write(batch));
    if (res.duplicates > 0) this.m.duplicates.inc(res.duplicates);
    return { revised: res.revised, duplicates: res.duplicates };
  }

  /** LA3: the raw readings of one kind in one district and time range. */
  windowReadings(q: WindowReadingsQuery): Promise<Reading[]> {
    const t = this.tables.get(q.kind);
    if (!t) return Promise.resolve([]);
    return this.read('window_readings', async (c) => {
      const cols = t.fields.map((f) => `"${f.name}"`).join(', ');
      const rows = (await c.runAndReadAll(
        `SELECT sensor_id, district, ts, received_at, seq, flags${cols ? ', ' + cols : ''} FROM ${t.table} WHERE district = $1 AND ts >= $2 AND ts < $3`,
        [q.district, BigInt(q.from), BigInt(q.to)],
      )).getRowObjects();
      return rows.map((r) => {
        const values: Record<string, number | string> = {};
        for (const f of t.fields) { const v = r[f.name]; if (v !== null && v !== undefined) values[f.name] = typeof v === 'bigint' ? Number(v) : (v as number | string); }
        return { seq: Number(r.seq), sensorId: r.sensor_id as string, kind: q.kind, district: r.district as string, ts: Number(r.ts), receivedAt: Number(r.received_at), flags: Number(r.flags), values };
      });
    });
  }

  /** DQ1: per-sensor count, late count, device→receive latency percentiles and hours with data. */
  readingQuality(q: { readonly from: number; readonly to: number }): Promise<ReadingQualityRow[]> {
    return this.read('reading_quality', async (c) => {
      const receiveTime = QualityFlag.NO_DEVICE_TIME | QualityFlag.CLOCK_SKEW;
      const out: ReadingQualityRow[] = [];
      for (const t of this.tables.values()) {
        const rows = (await c.runAndReadAll(
          `SELECT sensor_id, count(*) AS n, count(*) FILTER (WHERE flags & ${QualityFlag.LATE} <> 0) AS late,
             quantile_cont(received_at - ts, 0.5) FILTER (WHERE flags & ${receiveTime} = 0) AS p50,
             quantile_cont(received_at - ts, 0.95) FILTER (WHERE flags & ${receiveTime} = 0) AS p95,
             count(DISTINCT ts // 3600000) AS hours
           FROM ${t.table} WHERE ts >= $1 AND ts < $2 GROUP BY sensor_id`,
          [BigInt(q.from), BigInt(q.to)],
        )).getRowObjects();
        for (const r of rows) {
          out.push({
            sensorId: r.sensor_id as string, count: Number(r.n), late: Number(r.late),
            latencyP50Ms: r.p50 === null ? null : Number(r.p50), latencyP95Ms: r.p95 === null ? null : Number(r.p95), hoursWithData: Number(r.hours),
          });
        }
      }
      return out;
    });
  }

  /** AC2: rows of the audit trail by outcome. */
  auditCounts(): Promise<AuditCounts> {
    return this.read('audit_counts', async (c) => {
      const rows = (await c.runAndReadAll(`SELECT outcome, count(*) AS n FROM reading_audit GROUP BY outcome`)).getRowObjects();
      const out = { duplicate: 0, superseded: 0 };
      for (const r of rows) if (r.outcome === 'duplicate' || r.outcome === 'superseded') out[r.outcome] = Number(r.n);
      return out;
    });
  }

  async writeAggregates(batch: readonly Aggregate[]): Promise<void> {
    if (batch.length) await this.write((db) => db.events.writeAggregates(batch));
  }

  async writeAlertChanges(batch: readonly AlertChange[]): Promise<void> {
    if (batch.length) await this.write((db) => db.events.writeAlertChanges(batch));
  }

  async writeDeadLetters(batch: readonly DeadLetter[]): Promise<void> {
    if (batch.length) await this.write((db) => db.events.writeDeadLetters(batch));
  }

  latest(q: LatestQuery): Promise<Reading[]> {
    return this.read('latest', (c) => readLatest(c, q));
  }

  readings(q: ReadingQuery): Promise<Reading[]> {
    return this.read('readings', (c) => readReadings(c, this.tables, q));
  }

  readingSpans(q: ReadingSpanQuery): Promise<ReadingSpan[]> {
    return this.read('reading_spans', (c) => readSpans(c, this.tables, q));
  }

  aggregates(q: AggregateQuery): Promise<Aggregate[]> {
    return this.read('aggregates', (c) => readAggregates(c, q));
  }

  alerts(q: AlertQuery): Promise<Alert[]> {
    return this.read('alerts', (c) => readAlerts(c, q));
  }

  /** S3 history: every recorded change of one alert, oldest first. Not (yet) on the port. */
  alertHistory(alertId: string, limit = 1000): Promise<AlertChange[]> {
    return this.read('alert_history', (c) => readAlertHistory(c, alertId, limit));
  }

  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    return this.read('dead_letters', (c) => readDeadLetters(c, q));
  }

  deadLetterCounts(): Promise<Record<string, number>> {
    return this.read('dead_letter_counts', (c) => readDeadLetterCounts(c));
  }

  async health(): Promise<StoreHealth> {
    try {
      await this.read('health', (c) => c.run('SELECT 1'));
      return { ok: true, adapter: this.name };
    } catch (err) {
      return { ok: false, adapter: this.name, detail: (err as Error).message };
    }
  }
}
