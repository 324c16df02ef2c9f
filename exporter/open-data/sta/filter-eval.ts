import { TAIPEI_OFFSET_MS } from '../../../domain/index.ts';
import type { Expr } from './filter-parser.ts';
import { GEO_FUNCTIONS, GeoError, geoCall } from './geo.ts';

/**
 * A date-time value during evaluation (epoch ms); ISO strings of time properties become these.
 * An interval (`start/end`, a Datastream's phenomenonTime) has end > ms; an instant has end = ms.
 */
export class TimeVal {
  constructor(readonly ms: number, readonly end: number = ms) {}
}

type Val = number | string | boolean | null | TimeVal | Record<string, unknown> | unknown[];

/** Entity properties that hold date-times (STA 1.1 §8.2): compared as instants, not as strings. */
const TIME_KEYS = new Set(['phenomenonTime', 'resultTime', 'time', 'validTime']);

/**
 * Link from an entity to a related single entity (Observation → Datastream → Thing …), for
 * paths in $filter. One shared function per graph, not closures per entity: a list of 16k
 * Datastreams would otherwise allocate 50k closures per request (measured: GC-bound).
 * Returns undefined when `name` is not a to-one navigation property of `self`.
 */
export const NAV = Symbol('nav');
/** To-many navigation for lambda operators (any/all); throws FilterEvalError where it is not offered. */
export const MANY = Symbol('many');
export type NavFn = (self: Navigable, name: string) => Navigable | undefined;
export type ManyFn = (self: Navigable, name: string) => Navigable[] | undefined;
export type Navigable = Record<string, unknown> & { [NAV]?: NavFn; [MANY]?: ManyFn };
type Vars = ReadonlyMap<string, Navigable> | undefined;

function resolvePath(entity: Navigable, path: readonly string[]): Val {
  let cur: unknown = entity;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (cur === null || typeof cur !== 'object') return null;
    const nav = (cur as Navigable)[NAV];
    const target = nav ? nav(cur as Navigable, seg) : undefined;
    if (target) { cur = target; continue; }
    const v = (cur as Record<string, unknown>)[seg];
    if (v === undefined) return null;
    if (i === path.length - 1 && TIME_KEYS.has(seg) && typeof v === 'string') {
      const [a, b] = v.split('/');
      const ms = Date.parse(a!);
      const end = b === undefined ? ms : Date.parse(b);
      return Number.isNaN(ms) || Number.isNaN(end) ? v : new TimeVal(ms, end);
    }
    cur = v;
  }
  return cur as Val;
}

export class FilterEvalError extends Error {}

function asTime(v: Val): TimeVal | undefined {
  if (v instanceof TimeVal) return v;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? undefined : new TimeVal(ms);
}

/**
 * OD-S9: comparisons where a side may be an interval. `a gt b` means a starts after b ends,
 * `a lt b` that a ends before b starts (ge/le alike), `eq` that both bounds agree; for two
 * instants this is the ordinary comparison.
 */
function timeOp(op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le', l: Val, r: Val): boolean {
  const a = asTime(l);
  const b = asTime(r);
  if (!a || !b) return op === 'ne';
  switch (op) {
    case 'eq': return a.ms === b.ms && a.end === b.end;
    case 'ne': return a.ms !== b.ms || a.end !== b.end;
    case 'gt': return a.ms > b.end;
    case 'ge': return a.ms >= b.end;
    case 'lt': return a.end < b.ms;
    case 'le': return a.end <= b.ms;
  }
}

function cmpVals(a: Val, b: Val): number | undefined {
  if (a instanceof TimeVal || b instanceof TimeVal) {
    const x = asTime(a);
    const y = asTime(b);
    if (!x || !y) return undefined;
    // Sort order: by start, then by end.
    return x.ms - y.ms || x.end - y.end;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

function num(v: Val, fn: string): number {
  if (typeof v !== 'number') throw new FilterEvalError(`${fn} expects a number`);
  return v;
}
function str(v: Val): string | null {
  return typeof v === 'string' ? v : v === null ? null : String(v instanceof TimeVal ? new Date(v.ms).toISOString() : v);
}
/** Date parts are taken in +08:00, the offset every time this service publishes carries. */
function local(v: Val, fn: string): Date {
  if (!(v instanceof TimeVal)) throw new FilterEvalError(`${fn}() expects a date-time`);
  return new Date(v.ms + TAIPEI_OFFSET_MS);
}

const DATE_FUNCTIONS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second', 'fractionalseconds', 'date', 'time', 'totaloffsetminutes']);

function call(fn: string, a: Val[], now: number): Val {
  if (fn in GEO_FUNCTIONS) {
    try {
      return geoCall(fn, a);
    } catch (err) {
      if (err instanceof GeoError) throw new FilterEvalError(err.message);
      throw err;
    }
  }
  // A missing date-time (a Datastream without Observations) gives null, like the string functions.
  if (DATE_FUNCTIONS.has(fn) && a[0] === null) return null;
  const s0 = () => str(a[0]!);
  const s1 = () => str(a[1]!);
  switch (fn) {
    case 'substringof': { const x = s0(); const y = s1(); return x !== null && y !== null && y.includes(x); }
    case 'contains': { const x = s0(); const y = s1(); return x !== null && y !== null && x.includes(y); }
    case 'startswith': { const x = s0(); const y = s1(); return x !== null && y !== null && x.startsWith(y); }
    case 'endswith': { const x = s0(); const y = s1(); return x !== null && y !== null && x.endsWith(y); }
    case 'length': { const x = s0(); return x === null ? null : [...x].length; }
    case 'indexof': { const x = s0(); const y = s1(); return x === null || y === null ? null : x.indexOf(y); }
    case 'substring': { const x = s0(); if (x === null) return null; const from = num(a[1]!, fn); return a[2] === undefined ? x.substring(from) : x.substr(from, num(a[2], fn)); }
    case 'tolower': return s0()?.toLowerCase() ?? null;
    case 'toupper': return s0()?.toUpperCase() ?? null;
    case 'trim': return s0()?.trim() ?? null;
    case 'concat': { const x = s0(); const y = s1(); return x === null || y === null ? null : x + y; }
    case 'year': return local(a[0]!, fn).getUTCFullYear();
    case 'month': return local(a[0]!, fn).getUTCMonth() + 1;
    case 'day': return local(a[0]!, fn).getUTCDate();
    case 'hour': return local(a[0]!, fn).getUTCHours();
    case 'minute': return local(a[0]!, fn).getUTCMinutes();
    case 'second': return local(a[0]!, fn).getUTCSeconds();
    case 'fractionalseconds': return local(a[0]!, fn).getUTCMilliseconds() / 1000;
    case 'date': return local(a[0]!, fn).toISOString().slice(0, 10);
    case 'time': return local(a[0]!, fn).toISOString().slice(11, 23);
    case 'totaloffsetminutes': local(a[0]!, fn); return 480;
    case 'now': return new TimeVal(now);
    case 'mindatetime': return new TimeVal(-8.64e15);
    case 'maxdatetime': return new TimeVal(8.64e15);
    case 'round': return a[0] === null ? null : Math.round(num(a[0]!, fn));
    case 'floor': return a[0] === null ? null : Math.floor(num(a[0]!, fn));
    case 'ceiling': return a[0] === null ? null : Math.ceil(num(a[0]!, fn));
    default: throw new FilterEvalError(`unsupported function ${fn}`);
  }
}

/**
 * Evaluates an expression against one entity. Comparisons with a missing value are false
 * (OData null semantics) except `eq null` / `ne null`; arithmetic on a missing value is null.
 */
export function evaluate(e: Expr, entity: Navigable, now: number, vars?: Vars): Val {
  switch (e.t) {
    case 'lit': return e.v;
    case 'time': return new TimeVal(e.v);
    case 'geo': return e.v as unknown as Val;
    case 'path': {
      const bound = vars?.get(e.p[0]!);
      return bound ? (e.p.length === 1 ? (bound as Val) : resolvePath(bound, e.p.slice(1))) : resolvePath(entity, e.p);
    }
    case 'not': return !truthy(evaluate(e.e, entity, now, vars));
    case 'call': return call(e.fn, e.args.map((x) => evaluate(x, entity, now, vars)), now);
    case 'lambda': return lambda(e, entity, now, vars);
    case 'bin': {
      if (e.op === 'and') return truthy(evaluate(e.l, entity, now, vars)) && truthy(evaluate(e.r, entity, now, vars));
      if (e.op === 'or') return truthy(evaluate(e.l, entity, now, vars)) || truthy(evaluate(e.r, entity, now, vars));
      const l = evaluate(e.l, entity, now, vars);
      const r = evaluate(e.r, entity, now, vars);
      if ((l instanceof TimeVal || r instanceof TimeVal) && l !== null && r !== null && (e.op === 'eq' || e.op === 'ne' || e.op === 'gt' || e.op === 'ge' || e.op === 'lt' || e.op === 'le')) return timeOp(e.op, l, r);
      switch (e.op) {
        case 'eq': return l === null || r === null ? l === r : cmpVals(l, r) === 0;
        case 'ne': return l === null || r === null ? l !== r : cmpVals(l, r) !== 0;
        case 'gt': { const c = cmpVals(l, r); return c !== undefined && c > 0; }
        case 'ge': { const c = cmpVals(l, r); return c !== undefined && c >= 0; }
        case 'lt': { const c = cmpVals(l, r); return c !== undefined && c < 0; }
        case 'le': { const c = cmpVals(l, r); return c !== undefined && c <= 0; }
        default: {
          if (l === null || r === null) return null;
          const x = num(l, e.op);
          const y = num(r, e.op);
          switch (e.op) {
            case 'add': return x + y;
            case 'sub': return x - y;
            case 'mul': return x * y;
            case 'div': return y === 0 ? null : x / y;
            case 'mod': return y === 0 ? null : x % y;
          }
        }
      }
    }
  }
  return null;
}

/** any()/all() over a to-many navigation (OD-S3): the body sees each related entity as the lambda variable. */
function lambda(e: Extract<Expr, { t: 'lambda' }>, entity: Navigable, now: number, vars: Vars): boolean {
  const bound = vars?.get(e.p[0]!);
  const start = bound ?? entity;
  const prefix = bound ? e.p.slice(1, -1) : e.p.slice(0, -1);
  const owner = prefix.length ? resolvePath(start, prefix) : start;
  if (owner === null || typeof owner !== 'object') return false;
  const many = (owner as Navigable)[MANY];
  const last = e.p[e.p.length - 1]!;
  const items = many?.(owner as Navigable, last);
  if (!items) throw new FilterEvalError(`${e.p.join('/')} is not a collection navigation property for ${e.op}()`);
  if (!e.body) return items.length > 0;
  const scope = new Map(vars ?? []);
  const test = (x: Navigable) => {
    scope.set(e.v!, x);
    return truthy(evaluate(e.body!, entity, now, scope));
  };
  return e.op === 'any' ? items.some(test) : items.every(test);
}

export function truthy(v: Val): boolean {
  return v === true;
}

/** Sort key comparison for $orderby: nulls first ascending (OData), times by instant. */
export function compareForOrder(a: Val, b: Val): number {
  if (a === null && b === null) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return cmpVals(a, b) ?? 0;
}

/**
 * The [from, to) bounds on phenomenonTime implied by the top-level AND of a filter, so the
 * store is asked only for that window. Sound by construction: only conjuncts are used, so
 * every observation the filter keeps lies inside the bounds; the full filter still runs after.
 */
export function timeBounds(e: Expr | undefined): { from?: number; to?: number } {
  const out: { from?: number; to?: number } = {};
  const visit = (x: Expr) => {
    if (x.t === 'bin' && x.op === 'and') { visit(x.l); visit(x.r); return; }
    if (x.t !== 'bin') return;
    let { l, r } = x;
    let op = x.op;
    if (l.t === 'time' && r.t === 'path') {
      [l, r] = [r, l];
      op = ({ gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', eq: 'eq' } as Record<string, typeof op>)[op] ?? op;
    }
    if (l.t !== 'path' || r.t !== 'time' || l.p.length !== 1 || l.p[0] !== 'phenomenonTime') return;
    const t = r.v;
    if (op === 'gt' || op === 'ge' || op === 'eq') out.from = Math.max(out.from ?? -Infinity, op === 'gt' ? t + 1 : t);
    if (op === 'lt' || op === 'le' || op === 'eq') out.to = Math.min(out.to ?? Infinity, op === 'lt' ? t : t + 1);
  };
  if (e) visit(e);
  return out;
}

/** String values `path eq 'v'` (either side) among the top-level conjuncts: used to narrow which Datastreams are read. */
export function conjunctEqualities(e: Expr | undefined, path: string): string[] {
  const out: string[] = [];
  const visit = (x: Expr) => {
    if (x.t !== 'bin') return;
    if (x.op === 'and') { visit(x.l); visit(x.r); return; }
    if (x.op !== 'eq') return;
    const [p, v] = x.l.t === 'path' ? [x.l, x.r] : [x.r, x.l];
    if (p.t === 'path' && p.p.join('/') === path && v.t === 'lit' && typeof v.v === 'string') out.push(v.v);
  };
  if (e) visit(e);
  return out;
}
