import { kindOf, type Reading } from '../../../domain/index.ts';
import type { OdContext } from '../context.ts';
import { compareForOrder, evaluate, timeBounds, truthy } from './filter-eval.ts';
import { META, splitId, type Entity, type Graph } from './model.ts';
import type { QueryOptions } from './options.ts';
import type { RequestSpans } from './spans.ts';

const DAY_MS = 86_400_000;
/** Observations materialised for one request at most; beyond, the client must narrow $filter (400, not a timeout). */
export const MAX_SCAN = 200_000;

export class StaRequestError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

/** The time window a request may read, from its phenomenonTime conjuncts, bounded like the REST feeds. */
function windowOf(ctx: OdContext, o: QueryOptions): { from: number; to: number } {
  const b = timeBounds(o.filter);
  const max = ctx.limits.maxRangeDays * DAY_MS;
  const to = b.to ?? (b.from !== undefined ? Math.min(b.from + max, ctx.now() + 1) : ctx.now() + 1);
  const from = b.from ?? to - max;
  if (b.from !== undefined && b.to !== undefined && to - from > max) {
    throw new StaRequestError(`phenomenonTime range spans more than ${ctx.limits.maxRangeDays} days; narrow $filter`);
  }
  return { from: Math.max(from, to - max), to };
}

/** Is the ordering just phenomenonTime (or nothing, which we serve newest first), so the store can stream it? */
function timeOrder(o: QueryOptions): 'asc' | 'desc' | undefined {
  if (o.orderby.length === 0) return 'desc';
  const [first] = o.orderby;
  if (o.orderby.length === 1 && first!.expr.t === 'path' && first!.expr.p.length === 1 && first!.expr.p[0] === 'phenomenonTime') return first!.desc ? 'desc' : 'asc';
  return undefined;
}

export function sortEntities(items: Entity[], o: QueryOptions, now: number): void {
  if (o.orderby.length === 0) return;
  items.sort((a, b) => {
    for (const { expr, desc } of o.orderby) {
      const c = compareForOrder(evaluate(expr, a, now), evaluate(expr, b, now));
      if (c !== 0) return desc ? -c : c;
    }
    return a['@iot.id'] < b['@iot.id'] ? -1 : a['@iot.id'] > b['@iot.id'] ? 1 : 0;
  });
}

/**
 * Observations of some Datastreams, filtered, ordered and paged. With one Datastream and a
 * time order (the common case) readings stream from the store page by page in that order and
 * stop once skip+top+1 matches are found; otherwise the window is read whole, up to MAX_SCAN.
 */
export async function observationsOf(ctx: OdContext, g: Graph, datastreams: readonly Entity[], o: QueryOptions, top: number): Promise<{ items: Entity[]; count?: number; more: boolean }> {
  const { from, to } = windowOf(ctx, o);
  const now = ctx.now();
  const order = timeOrder(o);
  const want = o.skip + top + 1;
  const streaming = order !== undefined && datastreams.length === 1 && !o.count;
  // OD-S6: many Datastreams, no $orderby, no $count: page Datastream by Datastream (id order, newest
  // first within each) and stop at skip+top+1 matches, so top-level /Observations pages on any fleet.
  if (datastreams.length > 1 && o.orderby.length === 0 && !o.count) {
    const matched: Entity[] = [];
    let scanned = 0;
    for (const ds of datastreams) {
      const s = ds[META].sensor!;
      const f = ds[META].field!;
      let before = to;
      const page = Math.min(Math.max(want - matched.length, 100), 10_000);
      for (;;) {
        const chunk = await ctx.store.readings({ sensorId: s.id, from, to: before, limit: page, order: 'desc' });
        scanned += chunk.length;
        if (scanned > MAX_SCAN) throw new StaRequestError(`more than ${MAX_SCAN} observations scanned; narrow $filter on phenomenonTime or Datastream`);
        for (const r of chunk) {
          const e = g.observation(s, f, r);
          if (e && (!o.filter || truthy(evaluate(o.filter, e, now)))) matched.push(e);
        }
        if (matched.length >= want || chunk.length < page) break;
        before = chunk[chunk.length - 1]!.ts;
      }
      if (matched.length >= want) break;
    }
    return { items: matched.slice(o.skip, o.skip + top), more: matched.length > o.skip + top };
  }
  const matched: Entity[] = [];
  const bySensor = new Map<string, Reading[]>();
  let scanned = 0;
  for (const ds of datastreams) {
    const s = ds[META].sensor!;
    const f = ds[META].field!;
    let rows = bySensor.get(s.id);
    if (!rows || streaming) {
      rows = [];
      let after: number | undefined;
      let before = to;
      const page = streaming ? Math.min(Math.max(want * 2, 100), 10_000) : 10_000;
      for (;;) {
        const chunk = await ctx.store.readings({ sensorId: s.id, from, to: before, limit: page, order: order ?? 'asc', ...(after !== undefined ? { after } : {}) });
        scanned += chunk.length;
        if (scanned > MAX_SCAN) throw new StaRequestError(`more than ${MAX_SCAN} observations in the window; narrow $filter on phenomenonTime or Datastream`);
        if (streaming) {
          for (const r of chunk) {
            const e = g.observation(s, f, r);
            if (e && (!o.filter || truthy(evaluate(o.filter, e, now)))) matched.push(e);
          }
          if (matched.length >= want) break;
        } else rows.push(...chunk);
        if (chunk.length < page) break;
        const last = chunk[chunk.length - 1]!;
        // The store's cursor is "after" in ascending order; descending pages continue below the last ts.
        if ((order ?? 'asc') === 'asc') after = last.ts; else before = last.ts;
      }
      if (!streaming) bySensor.set(s.id, rows);
    }
    if (streaming) break;
    for (const r of rows) {
      const e = g.observation(s, f, r);
      if (e && (!o.filter || truthy(evaluate(o.filter, e, now)))) matched.push(e);
    }
  }
  if (!streaming) {
    if (order) {
      matched.sort((a, b) => (a.phenomenonTime as string).localeCompare(b.phenomenonTime as string) * (order === 'desc' ? -1 : 1) || (a['@iot.id'] < b['@iot.id'] ? -1 : 1));
    } else sortEntities(matched, o, now);
  }
  const items = matched.slice(o.skip, o.skip + top);
  return { items, ...(o.count ? { count: matched.length } : {}), more: matched.length > o.skip + top };
}

/** Observations(id): `sensor:field:ts` → one reading lookup. */
export async function observationById(ctx: OdContext, g: Graph, id: string): Promise<Entity | undefined> {
  const [sensorId, field, ts] = splitId(id);
  const s = sensorId ? ctx.registry.sensor(sensorId) : undefined;
  const f = s ? kindOf(s.kind).fields.find((x) => x.name === field) : undefined;
  const t = Number(ts);
  if (!s || !f || !/^\d{1,16}$/.test(ts ?? '')) return undefined;
  const [r] = await ctx.store.readings({ sensorId: s.id, from: t, to: t + 1, limit: 1 });
  return r ? g.observation(s, f, r) : undefined;
}

/** The latest Observation of each Datastream from one store.latest() call (FROST's slow "latest per Thing", made one query), shared with the spans (OD-S9). */
export async function latestObservations(g: Graph, datastreams: readonly Entity[], latest: RequestSpans): Promise<Map<string, Entity>> {
  await latest.ensure(datastreams.map((d) => d[META].sensor!.id));
  const out = new Map<string, Entity>();
  for (const d of datastreams) {
    const r = latest.reading(d[META].sensor!.id);
    const e = r ? g.observation(d[META].sensor!, d[META].field!, r) : undefined;
    if (e) out.set(d['@iot.id'], e);
  }
  return out;
}
