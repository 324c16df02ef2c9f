import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BulkFile } from '../datasets.ts';

/** True when the Taipei day `date` (YYYY-MM-DD) ended at or before `now` (OD-B1: only ended days are dumped, listed and served). */
export function dayEnded(date: string, now: number): boolean {
  return Date.parse(`${date}T00:00:00+08:00`) + 86_400_000 <= now;
}

/** Bulk file names: `{dataset}_{YYYY-MM-DD}.{csv.gz|parquet}`; with DAY_FILE, nothing else is ever served from the dump dir. */
export const BULK_FILE = /^(civicstream-[a-z][a-z0-9-]*)_(\d{4}-\d{2}-\d{2})\.(csv\.gz|parquet)$/;
/** Per-day companions: the `sha256sum -c` list and the CSVW column metadata (OD-B2, OD-B3). */
export const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.(SHA256SUMS|csv-metadata\.json)$/;
export const manifestName = (date: string): string => `${date}.manifest.json`;
export const sumsName = (date: string): string => `${date}.SHA256SUMS`;
export const metadataName = (date: string): string => `${date}.csv-metadata.json`;

/** The day a served file belongs to, or undefined for a name that is not served. */
export function servedDay(file: string): string | undefined {
  return BULK_FILE.exec(file)?.[2] ?? DAY_FILE.exec(file)?.[1];
}

/** Every file of every exported, ended day (OD-B1), newest day first, read from the per-day manifests. */
export async function listBulk(dir: string, now: number = Date.now()): Promise<BulkFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: BulkFile[] = [];
  for (const n of names.filter((x) => /^\d{4}-\d{2}-\d{2}\.manifest\.json$/.test(x) && dayEnded(x.slice(0, 10), now)).sort().reverse()) {
    const m = JSON.parse(await readFile(join(dir, n), 'utf8')) as { files: BulkFile[] };
    out.push(...m.files);
  }
  return out;
}
