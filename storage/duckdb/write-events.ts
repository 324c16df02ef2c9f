import type { DuckDBConnection } from '@duckdb/node-api';
import type { Aggregate, AlertChange, DeadLetter } from '../../domain/index.ts';
import { Stage, inTransaction } from './stage.ts';

/**
 * Writers for the non-reading tables. Same pattern as readings (TEMP stage + one
 * set-based statement per table, in one transaction); `ord` keeps the batch order so
 * that, when a batch holds two versions of one key, the later one wins.
 */
export class EventsWriter {
  private readonly agg: Stage;
  private readonly alerts: Stage;
  private readonly dead: Stage;

  constructor(private readonly conn: DuckDBConnection) {
    this.agg = new Stage(conn, 'stage_aggregates', [
      { name: 'ord', type: 'BIGINT' }, { name: 'scope', type: 'VARCHAR' }, { name: 'key', type: 'VARCHAR' },
      { name: 'kind', type: 'VARCHAR' }, { name: 'district', type: 'VARCHAR' }, { name: 'period', type: 'VARCHAR' },
      { name: 'start', type: 'BIGINT' }, { name: 'field', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' },
      { name: 'mean', type: 'DOUBLE' }, { name: 'min', type: 'DOUBLE' }, { name: 'max', type: 'DOUBLE' },
      { name: 'last', type: 'DOUBLE' }, { name: 'partial', type: 'INTEGER' },
    ]);
    this.alerts = new Stage(conn, 'stage_alerts', [
      { name: 'ord', type: 'BIGINT' }, { name: 'change', type: 'VARCHAR' }, { name: 'snapshot', type: 'VARCHAR' },
      { name: 'id', type: 'VARCHAR' }, { name: 'rule_id', type: 'VARCHAR' }, { name: 'subject', type: 'VARCHAR' },
      { name: 'kind', type: 'VARCHAR' }, { name: 'district', type: 'VARCHAR' }, { name: 'severity', type: 'VARCHAR' },
      { name: 'state', type: 'VARCHAR' }, { name: 'opened_at', type: 'BIGINT' }, { name: 'updated_at', type: 'BIGINT' },
      { name: 'resolved_at', type: 'BIGINT' }, { name: 'field', type: 'VARCHAR' }, { name: 'value', type: 'DOUBLE' },
      { name: 'threshold', type: 'DOUBLE' }, { name: 'message_zh', type: 'VARCHAR' }, { name: 'message_en', type: 'VARCHAR' },
    ]);
    this.dead = new Stage(conn, 'stage_dead_letters', [
      { name: 'ts', type: 'BIGINT' }, { name: 'reason', type: 'VARCHAR' }, { name: 'message', type: 'VARCHAR' },
      { name: 'topic', type: 'VARCHAR' }, { name: 'client_id', type: 'VARCHAR' }, { name: 'sensor_id', type: 'VARCHAR' },
      { name: 'payload', type: 'VARCHAR' }, { name: 'payload_bytes', type: 'BIGINT' },
    ]);
  }

  async prepare(): Promise<void> {
    for (const s of [this.agg, this.alerts, this.dead]) await s.create();
  }

  /** S2: upsert on (scope, key, period, start, field). */
  async writeAggregates(batch: readonly Aggregate[]): Promise<void> {
    const s = this.agg;
    await inTransaction(this.conn, [s], async () => {
      for (let i = 0; i < batch.length; i++) {
        const a = batch[i]!;
        s.big(i); s.str(a.scope); s.str(a.key); s.str(a.kind); s.str(a.district); s.str(a.period);
        s.big(a.start); s.str(a.field); s.big(a.count); s.dbl(a.mean); s.dbl(a.min); s.dbl(a.max); s.dbl(a.last); s.int(a.partial ? 1 : 0);
        s.end();
      }
      s.flush();
      await this.conn.run(`INSERT INTO aggregates (scope, key, kind, district, period, start, field, n, mean, min, max, last, partial)
        SELECT scope, key, kind, district, period, start, field, n, mean, min, max, last, partial <> 0 FROM ${s.table}
        QUALIFY row_number() OVER (PARTITION BY scope, key, period, start, field ORDER BY ord DESC) = 1
        ON CONFLICT (scope, key, period, start, field) DO UPDATE SET kind = excluded.kind, district = excluded.district,
          n = excluded.n, mean = excluded.mean, min = excluded.min, max = excluded.max, last = excluded.last, partial = excluded.partial`);
      await this.conn.run(`DELETE FROM ${s.table}`);
    });
  }

  /** S3: latest state per id (never replaced by an older updatedAt), every change appended to alert_events. */
  async writeAlertChanges(batch: readonly AlertChange[]): Promise<void> {
    const s = this.alerts;
    await inTransaction(this.conn, [s], async () => {
      for (let i = 0; i < batch.length; i++) {
        const { type, alert: a } = batch[i]!;
        s.big(i); s.str(type); s.str(JSON.stringify(a)); s.str(a.id); s.str(a.ruleId); s.str(a.subject);
        s.str(a.kind); s.str(a.district); s.str(a.severity); s.str(a.state); s.big(a.openedAt); s.big(a.updatedAt);
        s.big(a.resolvedAt); s.str(a.field); s.dbl(a.value); s.dbl(a.threshold);
        s.str(a.message['zh-TW']); s.str(a.message.en);
        s.end();
      }
      s.flush();
      await this.conn.run(`INSERT INTO alerts
        SELECT id, rule_id, subject, kind, district, severity, state, opened_at, updated_at, resolved_at,
               field, value, threshold, message_zh, message_en FROM ${s.table}
        QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC, ord DESC) = 1
        ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, state = excluded.state,
          updated_at = excluded.updated_at, resolved_at = excluded.resolved_at, field = excluded.field,
          value = excluded.value, threshold = excluded.threshold, message_zh = excluded.message_zh,
          message_en = excluded.message_en
        WHERE excluded.updated_at >= alerts.updated_at`);
      await this.conn.run(`INSERT INTO alert_events (alert_id, type, ts, state, severity, snapshot)
        SELECT id, change, updated_at, state, severity, snapshot FROM ${s.table} ORDER BY ord`);
      await this.conn.run(`DELETE FROM ${s.table}`);
    });
  }

  /** Rows plus the per-reason counters, in one transaction so they never disagree. */
  async writeDeadLetters(batch: readonly DeadLetter[]): Promise<void> {
    const s = this.dead;
    await inTransaction(this.conn, [s], async () => {
      for (const d of batch) {
        s.big(d.at); s.str(d.reason); s.str(d.message); s.str(d.topic); s.str(d.clientId); s.str(d.sensorId);
        s.str(d.payload); s.big(d.payloadBytes);
        s.end();
      }
      s.flush();
      await this.conn.run(`INSERT INTO dead_letters SELECT * FROM ${s.table}`);
      await this.conn.run(`INSERT INTO dead_letter_counts SELECT reason, count(*) FROM ${s.table} GROUP BY reason
        ON CONFLICT (reason) DO UPDATE SET n = dead_letter_counts.n + excluded.n`);
      await this.conn.run(`DELETE FROM ${s.table}`);
    });
  }

  close(): void {
    for (const s of [this.agg, this.alerts, this.dead]) s.close();
  }
}
