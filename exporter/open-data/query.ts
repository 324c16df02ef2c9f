import { ApiError } from '../errors.ts';
import type { OdContext } from './context.ts';

// The [from, to) range of the feeds is exporter/query.ts `resolveRange` with the open-data limits.

/** Opaque cursor: `{ts, skip}` = resume at window/reading time ts, skipping `skip` rows already served at that time. */
export function encodeCursor(ts: number, skip: number): string {
  return Buffer.from(`o1.${ts}.${skip}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { ts: number; skip: number } {
  const m = /^o1\.(-?\d{1,16})\.(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ApiError('BAD_CURSOR', { parameter: 'cursor' });
  return { ts: Number(m[1]), skip: Number(m[2]) };
}

export function link(ctx: OdContext, path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  return `${ctx.baseUrl}${path}?${params.toString()}`;
}
