import { DuckDBInstance } from '@duckdb/node-api';
import { KINDS } from '../domain/index.ts';

/**
 * Counts what the embedded store holds, from its DuckDB file after the pipeline
 * stopped: the "stored" side of acknowledged == stored, read from disk rather than
 * taken from the pipeline's own counters.
 */
export async function countStored(file: string): Promise<{ readings: number; deadLetters: Record<string, number> }> {
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  try {
    let readings = 0;
    for (const kind of Object.keys(KINDS)) {
      const rows = (await conn.runAndReadAll(`SELECT count(*) FROM readings_${kind.replace(/-/g, '_')}`)).getRows();
      readings += Number(rows[0]?.[0] ?? 0);
    }
    const deadLetters: Record<string, number> = {};
    for (const [reason, n] of (await conn.runAndReadAll('SELECT reason, n FROM dead_letter_counts')).getRows()) deadLetters[String(reason)] = Number(n);
    return { readings, deadLetters };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
