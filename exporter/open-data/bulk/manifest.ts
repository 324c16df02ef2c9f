import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BulkFile } from '../datasets.ts';

/** Bulk file names: `{dataset}_{YYYY-MM-DD}.{csv.gz|parquet}`; nothing else is ever served from the dump dir. */
export const BULK_FILE = /^(civicstream-[a-z][a-z0-9-]*)_(\d{4}-\d{2}-\d{2})\.(csv\.gz|parquet)$/;
export const manifestName = (date: string): string => `${date}.manifest.json`;

/** Every file of every exported day, newest day first, read from the per-day manifests. */
export async function listBulk(dir: string): Promise<BulkFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: BulkFile[] = [];
  for (const n of names.filter((x) => /^\d{4}-\d{2}-\d{2}\.manifest\.json$/.test(x)).sort().reverse()) {
    const m = JSON.parse(await readFile(join(dir, n), 'utf8')) as { files: BulkFile[] };
    out.push(...m.files);
  }
  return out;
}
