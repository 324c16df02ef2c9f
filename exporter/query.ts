import { SENSOR_ID_PATTERN, parseTime } from '../domain/index.ts';
import type { ApiContext } from './context.ts';
import { ApiError } from './errors.ts';

const DAY_MS = 86_400_000;

/**
 * A literal `+` in a query string decodes to a space (WHATWG form encoding), so a developer
 * typing `from=2026-11-22T08:00:00+08:00` unencoded sends "…00 08:00". Put the sign back
 * rather than reject the most natural way to write a Taipei time.
 */
function restorePlus(value: string): string {
  return value.replace(/ (\d{2}:\d{2})$/, '+$1');
}

export function parseTimeParam(parameter: string, value: string): number {
  const ms = parseTime(restorePlus(value));
  if (Number.isNaN(ms)) throw new ApiError('BAD_TIME', { parameter, value });
  return ms;
}

export interface Range {
  readonly from: number;
  readonly to: number;
}

/**
 * Resolves from/to into a half-open [from, to) range (storage S5): `to` defaults to now,
 * `from` to `to` minus the default range. Rejects empty and overlong ranges with the
 * parameter named, so a bulk downloader learns the bound instead of timing out. The API and
 * the open-data feeds (issue 5 §2) share it, each with its own limits.
 */
export function resolveRange(ctx: { readonly now: () => number; readonly limits: Pick<ApiContext['limits'], 'defaultRangeHours' | 'maxRangeDays'> }, fromParam: string | undefined, toParam: string | undefined): Range {
  const to = toParam === undefined ? ctx.now() : parseTimeParam('to', toParam);
  const from = fromParam === undefined ? to - ctx.limits.defaultRangeHours * 3_600_000 : parseTimeParam('from', fromParam);
  if (from >= to) throw new ApiError('BAD_RANGE', { parameter: 'from' });
  const maxDays = ctx.limits.maxRangeDays;
  if (to - from > maxDays * DAY_MS) {
    throw new ApiError('RANGE_TOO_LARGE', { parameter: 'from', maxDays, days: Math.ceil((to - from) / DAY_MS) });
  }
  return { from, to };
}

/**
 * Cursors are opaque to clients (so the encoding may change) but carry only the last key
 * served. For readings that is the event time: readings are unique on (sensorId, ts)
 * (storage S1), so "ts > last" resumes exactly and the store's `after` is the whole paging
 * state (no server memory). For sensor listings it is the last sensor id.
 */
function encode(tag: string, value: string): string {
  return Buffer.from(`${tag}.${value}`, 'utf8').toString('base64url');
}

function decode(tag: string, cursor: string, valuePattern: RegExp): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const dot = text.indexOf('.');
  const value = text.slice(dot + 1);
  if (dot < 0 || text.slice(0, dot) !== tag || !valuePattern.test(value)) throw new ApiError('BAD_CURSOR', { parameter: 'cursor' });
  return value;
}

export const encodeTsCursor = (lastTs: number): string => encode('t1', String(lastTs));
export const decodeTsCursor = (cursor: string): number => Number(decode('t1', cursor, /^-?\d{1,16}$/));
export const encodeIdCursor = (lastId: string): string => encode('s1', lastId);
export const decodeIdCursor = (cursor: string): string => decode('s1', cursor, SENSOR_ID_PATTERN);

/** Builds a link to the same route with the given query; absolute when a public base URL is configured (API and open-data feeds). */
export function link(ctx: { readonly baseUrl: string }, path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  return `${ctx.baseUrl}${path}?${params.toString()}`;
}

export function checkDistrict(ctx: ApiContext, district: string | undefined, parameter = 'district'): void {
  if (district !== undefined && !ctx.registry.district(district)) {
    throw new ApiError('UNKNOWN_DISTRICT', { parameter, value: district });
  }
}

/** Splits a comma-separated list and checks each item against the allowed values. */
export function parseList<T extends string>(parameter: string, value: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new ApiError('BAD_PARAMETER', { parameter, detail: `"${item}" is not one of ${allowed.join(', ')}`, detailZh: `「${item}」不是 ${allowed.join(', ')} 之一`, allowed });
    }
  }
  return items.length ? [...new Set(items)] as T[] : undefined;
}
