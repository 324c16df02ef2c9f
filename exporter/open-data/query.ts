import { ApiError } from '../errors.ts';

// The feeds' [from, to) range and `next` links are exporter/query.ts `resolveRange` and `link`, with the open-data limits.

/** Opaque cursor: `{ts, skip}` = resume at window/reading time ts, skipping `skip` rows already served at that time. */
export function encodeCursor(ts: number, skip: number): string {
  return Buffer.from(`o1.${ts}.${skip}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { ts: number; skip: number } {
  const m = /^o1\.(-?\d{1,16})\.(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ApiError('BAD_CURSOR', { parameter: 'cursor' });
  return { ts: Number(m[1]), skip: Number(m[2]) };
}
