import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { OdContext } from '../context.ts';
import { OD_TAG } from '../feeds.ts';
import { conjunctEqualities, FilterEvalError } from './filter-eval.ts';
import { Graph, META, NAVS, SETS, type Entity, type SetName } from './model.ts';
import { idSegment } from './path.ts';
import { observationById, observationsOf, StaRequestError } from './observations.ts';
import { parseOptions, QueryOptionError, type QueryOptions } from './options.ts';
import { parsePath } from './path.ts';
import { STA_MQTT_CONFORMANCE } from './mqtt.ts';
import { RequestSpans } from './spans.ts';
import { checkOptions } from './validate.ts';
import { pageList, renderAll, topOf, type Json, type RenderEnv } from './render.ts';

export const STA_ROOT = '/sta/v1.1';

/**
 * STA 1.1 conformance classes we claim (OD-S8), each tested by test/open-data/sta-conformance.test.ts.
 * Read-only: create-update-delete and batch requests are not served, so they are not listed.
 * The MQTT receive-updates class is added, with its endpoints, only when the deployment serves
 * it (OD-S10, `staMqtt` option; test/open-data/sta-mqtt.test.ts).
 */
export const CONFORMANCE = [
  'http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/request-data',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array',
];

/** A `+` in an unencoded offset (…T08:00:00+08:00) arrives as a space; put it back before parsing. */
function restorePlus(s: string): string {
  return s.replace(/(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})/g, '$1+$2');
}

function rawQuery(url: string): Record<string, string> {
  const q = url.indexOf('?');
  const out: Record<string, string> = {};
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) out[k] = k === '$filter' || k === '$orderby' || k === '$expand' ? restorePlus(v) : v;
  return out;
}

/** @iot.nextLink: the same request with $skip advanced (STA 1.1 §9.3.3.4). */
function nextLink(root: string, request: FastifyRequest, o: QueryOptions, top: number): string {
  const q = request.url.indexOf('?');
  const path = (q < 0 ? request.url : request.url.slice(0, q)).slice(STA_ROOT.length);
  const params = new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1));
  params.set('$top', String(top));
  params.set('$skip', String(o.skip + top));
  return `${root}${path}?${params.toString().replace(/\+/g, '%20')}`;
}

/** Above this many sensors, /Observations with $orderby/$count must name its Datastream(s) or Thing(s): a global order reads every history. */
const MAX_SENSORS_UNNARROWED = 200;

/**
 * The Datastreams a top-level /Observations request reads: narrowed by `Datastream/@iot.id eq '…'`
 * or `Datastream/Thing/@iot.id eq '…'` conjuncts when present (the filter still runs on every row).
 */
function topLevelDatastreams(ctx: OdContext, g: Graph, o: QueryOptions): Entity[] {
  const dsIds = conjunctEqualities(o.filter, 'Datastream/@iot.id');
  if (dsIds.length) return dsIds.map((id) => g.get('Datastreams', id)).filter((d): d is Entity => d !== undefined).slice(0, 1);
  const thingIds = conjunctEqualities(o.filter, 'Datastream/Thing/@iot.id');
  if (thingIds.length) {
    const t = g.get('Things', thingIds[0]!);
    return t ? (g.related(t, 'Datastreams') as Entity[]) : [];
  }
  // OD-S6: plain paging works on any fleet (Datastream by Datastream); a global $orderby or $count would read every history.
  if (ctx.registry.size > MAX_SENSORS_UNNARROWED && (o.count || o.orderby.length > 0)) {
    throw new StaRequestError(`with more than ${MAX_SENSORS_UNNARROWED} sensors, /Observations with $orderby or $count needs Datastream/@iot.id eq '…' or Datastream/Thing/@iot.id eq '…' in $filter; without them it pages Datastream by Datastream`);
  }
  return [...g.list('Datastreams')];
}

const DATA_ARRAY_COMPONENTS = ['id', 'phenomenonTime', 'resultTime', 'result', 'resultQuality'] as const;

/**
 * OD-S5: `$resultFormat=dataArray` (STA 1.1 §14.3): one object per Datastream with the component
 * names and the page's observations as arrays in that order. $select picks the components.
 */
function dataArray(env: RenderEnv, items: readonly Entity[], o: QueryOptions): Json[] {
  const components = o.select ?? [...DATA_ARRAY_COMPONENTS];
  for (const c of components) if (!(DATA_ARRAY_COMPONENTS as readonly string[]).includes(c)) throw new StaRequestError(`dataArray component "${c}" is not one of ${DATA_ARRAY_COMPONENTS.join(', ')}`);
  const groups = new Map<string, unknown[][]>();
  for (const e of items) {
    const ds = `${e[META].sensor!.id}:${e[META].field!.name}`;
    let rows = groups.get(ds);
    if (!rows) groups.set(ds, (rows = []));
    rows.push(components.map((c) => (c === 'id' ? e['@iot.id'] : e[c] ?? null)));
  }
  return [...groups].map(([ds, rows]) => ({
    'Datastream@iot.navigationLink': `${env.root}/${idSegment('Datastreams', ds)}`,
    components,
    'dataArray@iot.count': rows.length,
    dataArray: rows,
  }));
}

function fail(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).header('cache-control', 'no-store').send({ code: status, type: 'error', message });
}

/**
 * OGC SensorThings API v1.1, read-only (issue 5 §3): entity sets, entities by id, navigation
 * and property paths, $filter/$orderby/$top/$skip/$count/$select/$expand, @iot.nextLink.
 * One wildcard route parses the resource path itself, since STA paths (`Things('x')/Datastreams`)
 * are not a fixed set of routes.
 */
export const staRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  const g = new Graph(ctx);
  const rootOf = (request: FastifyRequest) => `${ctx.baseUrl || `${request.protocol}://${request.host}`}${STA_ROOT}`;

  app.get(STA_ROOT, { schema: { tags: [OD_TAG.name], summary: 'SensorThings API 服務根 / SensorThings service root' } }, async (request, reply) => {
    const root = rootOf(request);
    void reply.header('cache-control', 'public, max-age=3600');
    const mqtt = ctx.staMqtt;
    return {
      value: SETS.map((name) => ({ name, url: `${root}/${name}` })),
      serverSettings: mqtt ? { conformance: [...CONFORMANCE, STA_MQTT_CONFORMANCE], [STA_MQTT_CONFORMANCE]: { endpoints: mqtt.endpoints } } : { conformance: CONFORMANCE },
    };
  });

  app.get(`${STA_ROOT}/*`, {
    schema: { tags: [OD_TAG.name], summary: 'SensorThings API 資源（Things, Datastreams, Observations…）/ SensorThings API resources', description: "e.g. /sta/v1.1/Datastreams('aq-1:pm25')/Observations?$filter=result gt 35&$top=10" },
  }, async (request, reply) => {
    const env: RenderEnv = { ctx, g, root: rootOf(request), spans: new RequestSpans(g.spans) };
    try {
      const q = request.url.indexOf('?');
      const path = decodeURIComponent((q < 0 ? request.url : request.url.slice(0, q)).slice(STA_ROOT.length + 1)).replace(/\/+$/, '');
      const segs = parsePath(path);
      // OD-S7: `…/$ref` answers the entities' self links only (STA 1.1 §9.2.6).
      const ref = segs.length > 1 && segs[segs.length - 1]!.name === '$ref';
      if (ref) segs.pop();
      const o = parseOptions(rawQuery(request.url));
      if (ref && (o.expand.length || o.select)) return fail(reply, 400, '$expand and $select do not apply to $ref');
      let set: SetName = segs[0]!.name as SetName;
      let entity: Entity | undefined;
      let list: Iterable<Entity> | undefined;
      let obsOf: Entity[] | undefined;
      const byId = async (s: SetName, id: string) => (s === 'Observations' ? observationById(ctx, g, id) : g.get(s, id));
      if (segs[0]!.id !== undefined) {
        entity = await byId(set, segs[0]!.id);
        if (!entity) return fail(reply, 404, `${set}('${segs[0]!.id}') does not exist`);
      } else if (set === 'Observations') obsOf = topLevelDatastreams(ctx, g, o);
      // A generator: pageList stops reading it once a page is full (no $orderby/$count), so Datastreams of a 100k fleet are not all built.
      else list = g.list(set);
      for (let i = 1; i < segs.length; i++) {
        const seg = segs[i]!;
        if (!entity) return fail(reply, 400, `"${seg.name}" must follow an entity, not a collection: add an id`);
        const def = NAVS[set][seg.name];
        if (def) {
          set = def.target;
          if (def.target === 'Observations') { obsOf = g.datastreamsOf(entity); entity = undefined; list = undefined; }
          else {
            const rel = g.related(entity, seg.name);
            entity = Array.isArray(rel) ? undefined : rel;
            list = Array.isArray(rel) ? rel : undefined;
            if (!entity && !list) return fail(reply, 404, `no ${seg.name} for this entity`);
          }
          if (seg.id !== undefined) {
            const found = obsOf ? await observationById(ctx, g, seg.id) : [...(list ?? [])].find((e) => e['@iot.id'] === seg.id);
            if (!found || (obsOf && !obsOf.some((d) => d['@iot.id'] === `${found[META].sensor!.id}:${found[META].field!.name}`))) return fail(reply, 404, `${seg.name}('${seg.id}') does not exist here`);
            entity = found; list = undefined; obsOf = undefined;
          }
          continue;
        }
        // A property path: Things('x')/name, optionally followed by $value (STA 1.1 §9.2.4–5).
        if (!(seg.name in entity)) return fail(reply, 400, `${set} has no property or navigation "${seg.name}"`);
        if (set === 'Datastreams') await env.spans.ensure([entity[META].sensor!.id]);
        const value = entity[seg.name];
        // OD-S9: a Datastream without Observations has no phenomenonTime: no content, not a null body.
        if (value === undefined) return reply.code(204).header('cache-control', 'no-store').send();
        if (segs[i + 1]?.name === '$value') return reply.type('text/plain; charset=utf-8').send(typeof value === 'object' ? JSON.stringify(value) : String(value));
        if (i !== segs.length - 1) return fail(reply, 400, 'nothing may follow a property except $value');
        return { [seg.name]: value };
      }
      // OD-S9: a filter or order on Datastream times needs every sensor's span before it runs (one refresh).
      if (checkOptions(set, o).datastreamTimes) await env.spans.ensure();
      if (o.dataArray && (set !== 'Observations' || entity)) return fail(reply, 400, '$resultFormat=dataArray applies to collections of Observations');
      void reply.header('cache-control', set === 'Observations' ? 'public, max-age=15' : 'public, max-age=300');
      const selfOf = (e: Entity) => ({ '@iot.selfLink': `${env.root}/${idSegment(e[META].set, e['@iot.id'])}` });
      if (entity) return ref ? selfOf(entity) : ((await renderAll(env, set, [entity], o))[0] as Json);
      const top = topOf(ctx, o);
      const page = obsOf ? await observationsOf(ctx, g, obsOf, o, top) : pageList(env, list ?? [], o);
      const body: Json = {};
      if (page.count !== undefined) body['@iot.count'] = page.count;
      body.value = ref ? page.items.map(selfOf) : o.dataArray ? dataArray(env, page.items, o) : await renderAll(env, set, page.items, o);
      if (page.more) body['@iot.nextLink'] = nextLink(env.root, request, o, top);
      return body;
    } catch (err) {
      if (err instanceof StaRequestError) return fail(reply, err.status, err.message);
      if (err instanceof QueryOptionError || err instanceof FilterEvalError) return fail(reply, 400, err.message);
      if (err instanceof URIError) return fail(reply, 400, 'malformed percent-encoding in the path');
      throw err;
    }
  });
};
