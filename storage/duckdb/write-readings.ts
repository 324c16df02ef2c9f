import type { DuckDBConnection } from '@duckdb/node-api';
import type { KindDescription, Reading, SensorKind } from '../../domain/index.ts';
import { type ReadingTable, q, readingColumns, readingTable } from './schema.ts';
import { Stage, inTransaction } from './stage.ts';

interface KindWriter {
  readonly t: ReadingTable;
  readonly stage: Stage;
  readonly insertSql: string;
  /** This kind's staged rows in the shape of `latest`. */
  readonly latestSelect: string;
  staged: number;
}

export interface ReadingsWriteResult {
  readonly inserted: number;
  readonly duplicates: number;
}

/**
 * Writes reading batches: every kind's rows go to its TEMP stage, then, in one transaction,
 * INSERT OR IGNORE into the kind's table (S1: the (sensor_id, ts) key drops replays) and an
 * upsert of `latest` that only moves forward in ts.
 */
export class ReadingsWriter {
  private readonly byKind = new Map<SensorKind, KindWriter>();

  constructor(private readonly conn: DuckDBConnection) {}

  async prepare(kinds: readonly KindDescription[]): Promise<void> {
    for (const desc of kinds) {
      const t = readingTable(desc);
      const cols = readingColumns(t);
      const names = cols.map((c) => q(c.name)).join(', ');
      const stage = new Stage(this.conn, `stage_${t.table}`, [...cols, { name: 'vals', type: 'VARCHAR' }]);
      await stage.create();
      this.byKind.set(t.kind, {
        t,
        stage,
        staged: 0,
        insertSql: `INSERT OR IGNORE INTO ${t.table} (${names}) SELECT ${names} FROM ${stage.table}`,
        latestSelect: `SELECT sensor_id, '${t.kind}' AS kind, district, ts, received_at, seq, flags, vals FROM ${stage.table}`,
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
        for (const k of touched) {
          k.stage.flush();
          const res = await this.conn.run(k.insertSql);
          inserted += res.rowsChanged;
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
        for (const k of touched) await this.conn.run(`DELETE FROM ${k.stage.table}`);
        return { inserted, duplicates: batch.length - inserted };
      } finally {
        for (const k of touched) k.staged = 0;
      }
    });
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
