import { ApiError } from '../errors.ts';
import { parseTimeParam } from '../query.ts';
import type { OdContext } from './context.ts';

const DAY_MS = 86_400_000;

/** [from, to) with the open-data bounds: a clear 400 naming the limit when exceeded (issue 5 §2). */
export function resolveRange(ctx: OdContext, fromParam: string | undefined, toParam: string | undefined): { from: number; to: number } {
  const to = toParam === undefined ? ctx.now() : parseTimeParam('to', toParam);
  const from = fromParam === undefined ? to - ctx.limits.defaultRangeHours * 3_600_000 : parseTimeParam('from', fromParam);
  if (from >= to) throw new ApiError('BAD_RANGE', { parameter: 'from' });
  const maxDays = ctx.limits.maxRangeDays;
  if (to - from > maxDays * DAY_MS) throw new ApiError('RANGE_TOO_LARGE', { parameter: 'from', maxDays, days: Math.ceil((to - from) / DAY_MS) });
  return { from, to };
}

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
