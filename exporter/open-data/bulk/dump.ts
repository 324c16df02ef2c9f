import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { defineErrors, errorText, KIND_NAMES, type CodeOf, type Reading, type SensorKind } from '../../../domain/index.ts';
import type { Registry } from '../../../registry/index.ts';
import type { Store } from '../../../storage/index.ts';
import { datasetId, type BulkFile } from '../datasets.ts';
import { Privacy, type PrivacyOptions } from '../privacy.ts';
import { taipeiDayStart } from '../rollup.ts';
import { csvwMetadata, readingColumns, readingRowsCsv, STATION_COLUMNS, STATIONS_DATASET, stationsCsv, type BulkColumn } from './columns.ts';
import { dayEnded, manifestName, metadataName, sumsName } from './manifest.ts';

export interface ExportDayOptions {
  readonly store: Store;
  readonly registry: Registry;
  readonly dir: string;
  /** Taipei calendar day, YYYY-MM-DD. */
  readonly date: string;
  readonly logger: Logger;
  /** Rows fetched per store call (bounded memory per sensor page). */
  readonly pageSize?: number;
  /** UTF-8 BOM at the start of each CSV (default true: Excel on zh-TW Windows needs it; DuckDB, pandas and Spark skip it). */
  readonly bom?: boolean;
  /** Location coarsening, the same as on the live feeds. */
  readonly privacy?: PrivacyOptions;
  /** Prefix of the URLs in the CSVW metadata (the API's public base URL). */
  readonly baseUrl?: string;
  /** Clock: a day that has not ended is refused (OD-B1). */
  readonly now?: () => number;
}

/** OD-B1: a day is exported only once it has ended in Taipei; a partial day would be served as if complete and immutable. */
export const BULK_ERRORS = defineErrors('bulk', {
  DAY_NOT_ENDED: {
    'zh-TW': (a: { date: string }) => `${a.date} 尚未結束，只匯出已結束的日期`,
    en: (a: { date: string }) => `${a.date} has not ended yet (Asia/Taipei); a daily dump covers only ended days`,
  },
} as const);

export class DayNotEndedError extends Error {
  readonly code: CodeOf<typeof BULK_ERRORS> = 'DAY_NOT_ENDED';
  constructor(date: string) {
    const e = BULK_ERRORS.DAY_NOT_ENDED;
    super(`${errorText(e.en, { date })} / ${errorText(e['zh-TW'], { date })}`);
  }
}

function parseDay(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const ms = Date.parse(`${date}T00:00:00+08:00`);
  if (Number.isNaN(ms) || taipeiDayStart(ms) !== ms) throw new Error(`invalid date ${date}`);
  return ms;
}

/** Streams every reading of the kind's sensors in the day as CSV chunks (header once), sensor by sensor, pages of pageSize. */
async function* csvChunks(o: ExportDayOptions, privacy: Privacy, kind: SensorKind, from: number, counter: { rows: number }): AsyncGenerator<string> {
  const bom = o.bom ?? true;
  yield readingRowsCsv(kind, [], undefined, privacy, true, bom);
  const sensors = [...o.registry.sensors()].filter((s) => s.kind === kind).sort((a, b) => (a.id < b.id ? -1 : 1));
  const limit = o.pageSize ?? 10_000;
  for (const sensor of sensors) {
    let after: number | undefined;
    for (;;) {
      const page: Reading[] = await o.store.readings({ sensorId: sensor.id, from, to: from + 86_400_000, limit, order: 'asc', ...(after !== undefined ? { after } : {}) });
      if (page.length === 0) break;
      counter.rows += page.length;
      yield readingRowsCsv(kind, page, sensor, privacy, false, bom);
      if (page.length < limit) break;
      after = page[page.length - 1]!.ts;
    }
  }
}

const DUCK_TYPES: Record<BulkColumn['datatype'], string> = { string: 'VARCHAR', double: 'DOUBLE', integer: 'INTEGER', long: 'BIGINT', boolean: 'BOOLEAN', dateTime: 'TIMESTAMPTZ' };
/** The declared column types, so Parquet types never depend on what a day's values happen to look like. */
const duckColumns = (cols: readonly BulkColumn[]) => `{${cols.map((c) => `'${c.name}': '${DUCK_TYPES[c.datatype]}'`).join(', ')}}`;

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/**
 * The daily dump (issue 5 §6, OD-B1…OD-B4): per dataset, the Taipei day's readings as gzip CSV
 * (snake_case columns with coordinates, UTF-8 with a BOM by default) and as Parquet, converted by
 * an in-memory DuckDB from that CSV with declared column types, so both files hold exactly the
 * same rows; a stations file (every registered sensor with its public location); a CSVW metadata
 * file with units and descriptions. Each data file gets a SHA-256; a per-day manifest and a
 * `sha256sum -c` compatible `{date}.SHA256SUMS` list them. Files are written under a temp name
 * and renamed, so a reader never sees half a file. Only ended days are exported (OD-B1).
 */
export async function exportDay(o: ExportDayOptions): Promise<BulkFile[]> {
  const from = parseDay(o.date); // validates the date before dayEnded reads it
  if (!dayEnded(o.date, (o.now ?? Date.now)())) throw new DayNotEndedError(o.date);
  const privacy = new Privacy(o.privacy ?? {});
  const bom = o.bom ?? true;
  const base = (o.baseUrl ?? '').replace(/\/+$/, '');
  await mkdir(o.dir, { recursive: true });
  const files: BulkFile[] = [];
  const tables: { file: string; url: string; columns: readonly BulkColumn[] }[] = [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  // Paths are ours (dir + validated name); quotes doubled anyway so a dir with a quote cannot break the statement.
  const lit = (p: string) => `'${p.replace(/'/g, "''")}'`;
  const withParquet = async (dataset: string, csvPath: string, columns: readonly BulkColumn[], rows: number) => {
    const pqPath = csvPath.replace(/\.csv\.gz$/, '.parquet');
    await conn.run(`COPY (SELECT * FROM read_csv(${lit(csvPath)}, header = true, compression = 'gzip', columns = ${duckColumns(columns)})) TO ${lit(`${pqPath}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
    await rename(`${pqPath}.tmp`, pqPath);
    for (const [path, format] of [[csvPath, 'csv.gz'], [pqPath, 'parquet']] as const) {
      const file = path.slice(o.dir.length + 1);
      files.push({ dataset, date: o.date, format, file, bytes: (await stat(path)).size, sha256: await sha256(path), rows });
    }
    const csvFile = csvPath.slice(o.dir.length + 1);
    tables.push({ file: csvFile, url: `${base}/open-data/v1/bulk/${csvFile}`, columns });
  };
  try {
    const stations = [...o.registry.sensors()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const stationsPath = join(o.dir, `${STATIONS_DATASET}_${o.date}.csv.gz`);
    await pipeline(Readable.from([stationsCsv(stations, privacy, bom)]), createGzip(), createWriteStream(`${stationsPath}.tmp`));
    await rename(`${stationsPath}.tmp`, stationsPath);
    await withParquet(STATIONS_DATASET, stationsPath, STATION_COLUMNS, stations.length);
    for (const kind of KIND_NAMES) {
      const dataset = datasetId(kind);
      const csvPath = join(o.dir, `${dataset}_${o.date}.csv.gz`);
      const counter = { rows: 0 };
      await pipeline(Readable.from(csvChunks(o, privacy, kind, from, counter)), createGzip(), createWriteStream(`${csvPath}.tmp`));
      await rename(`${csvPath}.tmp`, csvPath);
      await withParquet(dataset, csvPath, readingColumns(kind), counter.rows);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  const metaPath = join(o.dir, metadataName(o.date));
  await writeFile(`${metaPath}.tmp`, JSON.stringify(csvwMetadata(tables, bom), null, 2));
  await rename(`${metaPath}.tmp`, metaPath);
  await writeFile(join(o.dir, sumsName(o.date)), files.map((f) => `${f.sha256}  ${f.file}\n`).join(''));
  const manifest = join(o.dir, manifestName(o.date));
  await writeFile(`${manifest}.tmp`, JSON.stringify({ date: o.date, generatedAt: new Date().toISOString(), files }, null, 2));
  await rename(`${manifest}.tmp`, manifest);
  o.logger.info({ date: o.date, files: files.length }, 'open-data daily dump written');
  return files;
}
