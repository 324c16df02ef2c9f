import type { DuckDBConnection } from '@duckdb/node-api';
import { QualityFlag, type Reading, type SensorKind } from '../../domain/index.ts';
import type { RevisedReading } from '../port.ts';
import { type ReadingTable, type TableKind, q, readingColumns, readingTable } from './schema.ts';
import { Stage, inTransaction } from './stage.ts';

interface KindWriter {
  readonly t: ReadingTable;
  readonly stage: Stage;
  readonly insertSql: string;
  /** This kind's staged rows in the shape of `latest`. */
  readonly latestSelect: string;
  /** Stage rows whose (sensor_id, ts) row holds another seq after the insert (AC2). */
  readonly conflictSql: string;
  /** One conflict row against the stored row as it is now: stored seq and whether every field is equal. */
  readonly compareSql: string;
  readonly auditDuplicateSql: string;
  readonly auditSupersededSql: string;
  readonly correctSql: string;
  staged: number;
}

export interface ReadingsWriteResult {
  readonly inserted: number;
  readonly duplicates: number;
  readonly revised: RevisedReading[];
}

/**
 * Writes reading batches: every kind's rows go to its TEMP stage, then, in one transaction,
 * INSERT OR IGNORE into the kind's table (S1: the (sensor_id, ts) key drops replays) and an
 * upsert of `latest` that only moves forward in ts.
 */
export class ReadingsWriter {
  private readonly byKind = new Map<SensorKind, KindWriter>();

  constructor(private readonly conn: DuckDBConnection) {}

  async prepare(kinds: readonly TableKind[]): Promise<void> {
    for (const desc of kinds) {
      const t = readingTable(desc);
      const cols = readingColumns(t);
      const names = cols.map((c) => q(c.name)).join(', ');
      const stage = new Stage(this.conn, `stage_${t.table}`, [...cols, { name: 'vals', type: 'VARCHAR' }]);
      await stage.create();
      const st = stage.table;
      const join = `JOIN ${t.table} t ON t.sensor_id = s.sensor_id AND t.ts = s.ts`;
      const same = t.fields.length ? t.fields.map((f) => `s.${q(f.name)} IS NOT DISTINCT FROM t.${q(f.name)}`).join(' AND ') : 'true';
      // The audit row keeps the replaced values as JSON, built from the typed columns.
      const oldVals = t.fields.length ? `to_json(json_object(${t.fields.map((f) => `'${f.name}', t.${q(f.name)}`).join(', ')}))::VARCHAR` : `'{}'`;
      this.byKind.set(t.kind, {
        t,
        stage,
        staged: 0,
        insertSql: `INSERT OR IGNORE INTO ${t.table} (${names}) SELECT ${names} FROM ${stage.table}`,
        latestSelect: `SELECT sensor_id, '${t.kind}' AS kind, district, ts, received_at, seq, flags, vals FROM ${stage.table}`,
        conflictSql: `SELECT s.seq, s.sensor_id, s.district, s.ts FROM ${st} s ${join} WHERE t.seq <> s.seq ORDER BY s.seq`,
        compareSql: `SELECT t.seq AS stored, (${same}) AS same FROM ${st} s ${join} WHERE s.seq = $1`,
        auditDuplicateSql: `INSERT OR IGNORE INTO reading_audit SELECT s.seq, s.sensor_id, '${t.kind}', s.ts, 'duplicate', t.seq, s.flags, s.vals, $2 FROM ${st} s ${join} WHERE s.seq = $1`,
        auditSupersededSql: `INSERT OR IGNORE INTO reading_audit SELECT t.seq, t.sensor_id, '${t.kind}', t.ts, 'superseded', s.seq, t.flags, ${oldVals}, $2 FROM ${st} s ${join} WHERE s.seq = $1`,
        correctSql: `UPDATE ${t.table} AS t SET ${[...t.fields.map((f) => `${q(f.name)} = s.${q(f.name)}`), 'seq = s.seq', 'received_at = s.received_at', `flags = s.flags | ${QualityFlag.CORRECTED}`].join(', ')}
          FROM ${st} s WHERE s.seq = $1 AND t.sensor_id = s.sensor_id AND t.ts = s.ts`,
      });
    }
  }

  async write(batch: readonly Reading[]): Promise<ReadingsWriteResult> {
    const stages = [...this.byKind.values()].map((k) => k.stage);
    return inTransaction(this.conn, stages, async () => {
      const touched: KindWriter[] = [];
      try {
        for (const r of batch) {
          const k = this.byKind.get(r.kind);
          if (!k) throw new Error(`no readings table for kind ${r.kind}; is it in the kind descriptions?`);
          if (k.staged === 0) touched.push(k);
          k.staged++;
          this.append(k, r);
        }
        let inserted = 0;
        const conflicted: KindWriter[] = [];
        for (const k of touched) {
          k.stage.flush();
          const res = await this.conn.run(k.insertSql);
          inserted += res.rowsChanged;
          // The on-time path ends here: a row not inserted is a replay or a collision (AC2).
          if (res.rowsChanged < k.staged) conflicted.push(k);
        }
        // One upsert for all kinds: measured 25–35 ms per 5,000-reading batch against
        // 70–75 ms for one statement per kind. ON CONFLICT DO UPDATE may not touch a row
        // twice in one statement, so only each sensor's newest staged row goes in; `>` makes
        // a replay of the same ts a no-op, like S1 for the readings tables.
        if (touched.length) {
          await this.conn.run(`INSERT INTO latest SELECT * FROM (${touched.map((k) => k.latestSelect).join(' UNION ALL ')})
            QUALIFY row_number() OVER (PARTITION BY sensor_id ORDER BY ts DESC, seq ASC) = 1
            ON CONFLICT (sensor_id) DO UPDATE SET kind = excluded.kind, district = excluded.district, ts = excluded.ts,
              received_at = excluded.received_at, seq = excluded.seq, flags = excluded.flags, vals = excluded.vals
            WHERE excluded.ts > latest.ts`);
        }
        const revised: RevisedReading[] = [];
        for (const k of conflicted) await this.resolveConflicts(k, revised);
        for (const k of touched) await this.conn.run(`DELETE FROM ${k.stage.table}`);
        return { inserted, duplicates: batch.length - inserted, revised };
      } finally {
        for (const k of touched) k.staged = 0;
      }
    });
  }

  /**
   * AC2, one colliding stage row at a time in seq order (rare: re-sends, corrections,
   * replays of superseded readings), each against the stored row as it is by then.
   * A replay of the stored row itself (same seq) is not a conflict and never gets here.
   */
  private async resolveConflicts(k: KindWriter, revised: RevisedReading[]): Promise<void> {
    const rows = (await this.conn.runAndReadAll(k.conflictSql)).getRowObjects();
    const now = BigInt(Date.now());
    for (const row of rows) {
      const seq = row.seq as bigint;
      const cmp = (await this.conn.runAndReadAll(k.compareSql, [seq])).getRowObjects()[0];
      if (!cmp) continue;
      const stored = cmp.stored as bigint;
      let outcome: RevisedReading['outcome'];
      if (seq < stored) outcome = 'superseded';
      else if (cmp.same === true) {
        outcome = 'duplicate';
        await this.conn.run(k.auditDuplicateSql, [seq, now]);
      } else {
        outcome = 'correction';
        await this.conn.run(k.auditSupersededSql, [seq, now]);
        await this.conn.run(k.correctSql, [seq]);
        await this.conn.run(
          `UPDATE latest SET vals = s.vals, seq = s.seq, received_at = s.received_at, flags = s.flags | ${QualityFlag.CORRECTED}
           FROM ${k.stage.table} s WHERE s.seq = $1 AND latest.sensor_id = s.sensor_id AND latest.ts = s.ts AND latest.seq < s.seq`,
          [seq],
        );
      }
      revised.push({ seq: Number(seq), sensorId: row.sensor_id as string, kind: k.t.kind, district: row.district as string, ts: Number(row.ts), outcome });
    }
  }

  private append(k: KindWriter, r: Reading): void {
    const s = k.stage;
    s.str(r.sensorId);
    s.str(r.district);
    s.big(r.ts);
    s.big(r.receivedAt);
    s.big(r.seq);
    s.int(r.flags);
    const values = r.values;
    for (const f of k.t.fields) {
      if (f.type === 'DOUBLE') s.dbl(values[f.name]);
      else s.str(values[f.name]);
    }
    s.str(JSON.stringify(values));
    s.end();
  }

  close(): void {
    for (const k of this.byKind.values()) k.stage.close();
  }
}
