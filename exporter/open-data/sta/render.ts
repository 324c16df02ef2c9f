import type { OdContext } from '../context.ts';
import { evaluate, truthy } from './filter-eval.ts';
import { META, NAVS, type Entity, type Graph, type SetName } from './model.ts';
import { latestObservations, observationsOf, sortEntities, StaRequestError } from './observations.ts';
import type { QueryOptions } from './options.ts';
import { idSegment } from './path.ts';
import type { RequestSpans } from './spans.ts';

export type Json = Record<string, unknown>;

export interface RenderEnv {
  readonly ctx: OdContext;
  readonly g: Graph;
  /** Absolute service root, e.g. https://data.city.gov.tw/sta/v1.1 */
  readonly root: string;
  /** OD-S9: Datastream spans and latest readings this request has refreshed. */
  readonly spans: RequestSpans;
}

export function topOf(ctx: OdContext, o: QueryOptions): number {
  return Math.min(o.top ?? ctx.limits.pageDefault, ctx.limits.pageMax);
}

/** Filter, order, count and page an in-memory list; stops early when neither order nor count needs the whole list. */
export function pageList(env: RenderEnv, all: Iterable<Entity>, o: QueryOptions): { items: Entity[]; count?: number; more: boolean } {
  const now = env.ctx.now();
  const top = topOf(env.ctx, o);
  const need = o.orderby.length > 0 || o.count ? Infinity : o.skip + top + 1;
  const matched: Entity[] = [];
  for (const e of all) {
    if (!o.filter || truthy(evaluate(o.filter, e, now))) matched.push(e);
    if (matched.length >= need) break;
  }
  sortEntities(matched, o, now);
  return { items: matched.slice(o.skip, o.skip + top), ...(o.count ? { count: matched.length } : {}), more: matched.length > o.skip + top };
}

/** One entity's JSON: @iot.id, @iot.selfLink, its properties, then `{Nav}@iot.navigationLink` (HTTP and MQTT, OD-S10). */
export function entityJson(root: string, set: SetName, id: string, props: Record<string, unknown>): Json {
  const self = `${root}/${idSegment(set, id)}`;
  const full: Json = { '@iot.id': id, '@iot.selfLink': self };
  for (const [k, v] of Object.entries(props)) if (k !== '@iot.id') full[k] = v;
  for (const nav of Object.keys(NAVS[set])) full[`${nav}@iot.navigationLink`] = `${self}/${nav}`;
  return full;
}

/** Entity → JSON per STA 1.1 §9.2: @iot.id, @iot.selfLink, properties, `{Nav}@iot.navigationLink`, honouring $select. */
function plain(env: RenderEnv, e: Entity, select: readonly string[] | undefined): Json {
  const set = e[META].set;
  const full = entityJson(env.root, set, e['@iot.id'], e);
  if (!select) return full;
  const out: Json = {};
  for (const k of select) {
    // `id` is how $select names @iot.id (STA 1.1 §9.3.3.3, as in dataArray components).
    if (k === 'id') out['@iot.id'] = full['@iot.id'];
    else if (k in full) out[k] = full[k];
    else if (`${k}@iot.navigationLink` in full) out[`${k}@iot.navigationLink`] = full[`${k}@iot.navigationLink`];
    else throw new StaRequestError(`$select: ${set} has no property "${k}"`);
  }
  return out;
}

const isLatestShape = (o: QueryOptions) =>
  o.top === 1 && o.skip === 0 && !o.count && !o.filter &&
  (o.orderby.length === 0 || (o.orderby.length === 1 && o.orderby[0]!.desc && o.orderby[0]!.expr.t === 'path' && o.orderby[0]!.expr.p.join('/') === 'phenomenonTime'));

/**
 * OD-S2: the next page of an expanded collection is the navigation path with the expand item's
 * own options and $skip advanced (STA 1.1 §9.3.3.4: nextLink also appears inside $expand).
 */
function expandNextLink(env: RenderEnv, e: Entity, nav: string, o: QueryOptions): string {
  const top = topOf(env.ctx, o);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(o.raw)) if (k !== '$top' && k !== '$skip') params.set(k, v);
  params.set('$top', String(top));
  params.set('$skip', String(o.skip + top));
  return `${env.root}/${idSegment(e[META].set, e['@iot.id'])}/${nav}?${params.toString().replace(/\+/g, '%20')}`;
}

/** Renders a page of entities of one set with their $expand (nested) and $select. */
export async function renderAll(env: RenderEnv, set: SetName, items: readonly Entity[], o: QueryOptions): Promise<Json[]> {
  // OD-S9: the spans of every Datastream shown, one refresh for the page (a no-op when an outer level did it).
  if (set === 'Datastreams') await env.spans.ensure(items.map((e) => e[META].sensor!.id));
  const out = items.map((e) => plain(env, e, o.select));
  for (const ex of o.expand) {
    const def = NAVS[set][ex.nav];
    if (!def) throw new StaRequestError(`$expand: ${set} has no navigation property "${ex.nav}"`);
    if (def.target === 'Observations') {
      // Latest Observation per Datastream: one store.latest() for the whole page (issue 5 §3).
      const fast = set === 'Datastreams' && isLatestShape(ex.options) ? await latestObservations(env.g, items, env.spans) : undefined;
      for (let i = 0; i < items.length; i++) {
        const e = items[i]!;
        let page: { items: Entity[]; count?: number; more?: boolean };
        const hit = fast?.get(e['@iot.id']);
        if (hit) {
          // OD-S2: older Observations exist when the Datastream's span is more than one instant.
          // (Only first-in-window is exact; a first before the window may leave the next page empty.)
          const span = env.g.spans.span(e[META].sensor!.id, e[META].field!.name);
          page = { items: [hit], more: span !== undefined && span.first < span.last };
        }
        else page = await observationsOf(env.ctx, env.g, env.g.datastreamsOf(e), ex.options, topOf(env.ctx, ex.options));
        out[i]![ex.nav] = await renderAll(env, 'Observations', page.items, ex.options);
        if (page.count !== undefined) out[i]![`${ex.nav}@iot.count`] = page.count;
        if (page.more) out[i]![`${ex.nav}@iot.nextLink`] = expandNextLink(env, e, ex.nav, ex.options);
      }
      continue;
    }
    // Pages first, then one spans refresh for every Datastream they show (not one per parent entity).
    const rels = items.map((e): { page: ReturnType<typeof pageList> } | { one: Entity } | undefined => {
      const rel = env.g.related(e, ex.nav);
      return rel === undefined ? undefined : Array.isArray(rel) ? { page: pageList(env, rel, ex.options) } : { one: rel };
    });
    if (def.target === 'Datastreams') {
      await env.spans.ensure(rels.flatMap((r) => (r === undefined ? [] : 'page' in r ? r.page.items : [r.one])).map((d) => d[META].sensor!.id));
    }
    for (let i = 0; i < items.length; i++) {
      const rel = rels[i];
      if (rel === undefined) continue;
      if ('page' in rel) {
        const { page } = rel;
        out[i]![ex.nav] = await renderAll(env, def.target, page.items, ex.options);
        if (page.count !== undefined) out[i]![`${ex.nav}@iot.count`] = page.count;
        if (page.more) out[i]![`${ex.nav}@iot.nextLink`] = expandNextLink(env, items[i]!, ex.nav, ex.options);
      } else {
        out[i]![ex.nav] = (await renderAll(env, def.target, [rel.one], ex.options))[0];
      }
    }
  }
  return out;
}
