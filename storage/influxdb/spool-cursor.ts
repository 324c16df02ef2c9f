import { open, rename } from 'node:fs/promises';
import path from 'node:path';

/**
 * The spool's commit cursor (SP3): the position just after the last delivered record.
 * Written to a temp file, fsynced, renamed over the old one and the directory fsynced, so
 * after a crash it is either the old or the new cursor, never a torn one.
 */
export interface Cursor {
  readonly segment: number;
  readonly offset: number;
}

const CURSOR_FILE = 'cursor.json';

export function after(a: Cursor, b: Cursor): boolean {
  return a.segment > b.segment || (a.segment === b.segment && a.offset > b.offset);
}

export async function readCursor(dir: string): Promise<Cursor> {
  try {
    const fh = await open(path.join(dir, CURSOR_FILE), 'r');
    try {
      const c = JSON.parse(await fh.readFile('utf8')) as Partial<Cursor>;
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) return { segment: c.segment!, offset: c.offset! };
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return { segment: 0, offset: 0 };
}

export async function writeCursor(dir: string, c: Cursor): Promise<void> {
  const tmp = path.join(dir, `${CURSOR_FILE}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(c));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path.join(dir, CURSOR_FILE));
  await syncDir(dir);
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
