import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { KIND_NAMES, type Reading, type SensorKind } from '../../../domain/index.ts';
import type { Registry } from '../../../registry/index.ts';
import type { Store } from '../../../storage/index.ts';
import { datasetId, type BulkFile } from '../datasets.ts';
import { readingsCsv } from '../formats.ts';
import { taipeiDayStart } from '../rollup.ts';
import { manifestName } from './manifest.ts';

export interface ExportDayOptions {
  readonly store: Store;
  readonly registry: Registry;
  readonly dir: string;
  /** Taipei calendar day, YYYY-MM-DD. */
  readonly date: string;
  readonly logger: Logger;
  /** Rows fetched per store call (bounded memory per sensor page). */
  readonly pageSize?: number;
}

export function parseDay(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const ms = Date.parse(`${date}T00:00:00+08:00`);
  if (Number.isNaN(ms) || taipeiDayStart(ms) !== ms) throw new Error(`invalid date ${date}`);
  return ms;
}

/** Streams every reading of the kind's sensors in the day as CSV chunks (header once), sensor by sensor, pages of pageSize. */
async function* csvChunks(o: ExportDayOptions, kind: SensorKind, from: number, counter: { rows: number }): AsyncGenerator<string> {
  yield readingsCsv(kind, [], false, true);
  const ids = [...o.registry.sensors()].filter((s) => s.kind === kind).map((s) => s.id).sort();
  const limit = o.pageSize ?? 10_000;
  for (const sensorId of ids) {
    let after: number | undefined;
    for (;;) {
      const page: Reading[] = await o.store.readings({ sensorId, from, to: from + 86_400_000, limit, order: 'asc', ...(after !== undefined ? { after } : {}) });
      if (page.length === 0) break;
      counter.rows += page.length;
      yield readingsCsv(kind, page, false, false);
      if (page.length < limit) break;
      after = page[page.length - 1]!.ts;
    }
  }
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/**
 * The daily dump (issue 5 §6): per dataset, the Taipei day's readings as gzip CSV (the same
 * columns as the readings feed, no BOM: bulk users are programs) and as Parquet, converted by
 * an in-memory DuckDB from that CSV so both files hold exactly the same rows. Each file gets a
 * SHA-256; a per-day manifest and a `sha256sum -c` compatible SHA256SUMS list them. Files are
 * written under a temp name and renamed, so a reader never sees half a file.
 */
export async function exportDay(o: ExportDayOptions): Promise<BulkFile[]> {
  const from = parseDay(o.date);
  await mkdir(o.dir, { recursive: true });
  const files: BulkFile[] = [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    for (const kind of KIND_NAMES) {
      const dataset = datasetId(kind);
      const base = `${dataset}_${o.date}`;
      const csvPath = join(o.dir, `${base}.csv.gz`);
      const counter = { rows: 0 };
      await pipeline(Readable.from(csvChunks(o, kind, from, counter)), createGzip(), createWriteStream(`${csvPath}.tmp`));
      await rename(`${csvPath}.tmp`, csvPath);
      const pqPath = join(o.dir, `${base}.parquet`);
      // Paths are ours (dir + validated name); quotes doubled anyway so a dir with a quote cannot break the statement.
      const lit = (p: string) => `'${p.replace(/'/g, "''")}'`;
      await conn.run(`COPY (SELECT * FROM read_csv(${lit(csvPath)}, header = true, compression = 'gzip', all_varchar = false)) TO ${lit(`${pqPath}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
      await rename(`${pqPath}.tmp`, pqPath);
      for (const [path, format] of [[csvPath, 'csv.gz'], [pqPath, 'parquet']] as const) {
        files.push({ dataset, date: o.date, format, file: path.slice(o.dir.length + 1), bytes: (await stat(path)).size, sha256: await sha256(path), rows: counter.rows });
      }
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  await writeFile(join(o.dir, `${o.date}.SHA256SUMS`), files.map((f) => `${f.sha256}  ${f.file}\n`).join(''));
  const manifest = join(o.dir, manifestName(o.date));
  await writeFile(`${manifest}.tmp`, JSON.stringify({ date: o.date, generatedAt: new Date().toISOString(), files }, null, 2));
  await rename(`${manifest}.tmp`, manifest);
  o.logger.info({ date: o.date, files: files.length }, 'open-data daily dump written');
  return files;
}
