import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { kindOf, KIND_NAMES, flagNames, toTaipeiIso, type Aggregate, type SensorKind } from '../../domain/index.ts';
import { stationFloodEta, warningLevelsOf } from '../../alerts/index.ts';
import { ApiError } from '../errors.ts';
import { unitsOf } from '../present.ts';
import { ERROR_RESPONSES, LICENSE, StringEnum } from '../schemas.ts';
import { httpDate } from './conditional.ts';
import { MicroCache } from './micro-cache.ts';
import type { OdContext } from './context.ts';
import { datasetId } from './datasets.ts';
import { GEOJSON_TYPE, aggregatesCsv, feature, featureCollection, latestCsv, readingsCsv } from './formats.ts';
import { flagLabel, publicAggregate, publicReading, publicSensor } from './present.ts';
import { decodeCursor, encodeCursor } from './query.ts';
import { CSV_CONTENT_TYPE } from '../csv.ts';
import { link, resolveRange } from '../query.ts';
import { rollupDays, taipeiDayStart } from './rollup.ts';
import { AggregatesFeedSchema, LatestFeedSchema, PUBLISHED_SCHEMAS, ReadingsFeedSchema } from './schemas.ts';

export const OD_TAG = { name: 'open-data', description: '開放資料：公開、免驗證、唯讀 / Open data: public, no authentication, read-only' };
const FORMAT = StringEnum(['json', 'csv', 'geojson'] as const, { default: 'json', description: '格式 / format' });
// OD-B3: a BOM by default, so Excel on zh-TW Windows shows Chinese names; programs may ask bom=false.
const BOM = Type.Boolean({ default: true, description: 'CSV 前加 UTF-8 BOM（預設，Excel 需要）；程式可用 bom=false / UTF-8 BOM before the CSV (default, for Excel); bom=false for programs' });
const KindPath = Type.Object({ kind: StringEnum<SensorKind>(KIND_NAMES, { description: '感測器類型 / sensor kind' }) });
const TimeQ = Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 with offset, e.g. 2026-11-22T08:00:00+08:00' }));
const Cursor = Type.Optional(Type.String({ maxLength: 200, description: '取自 next 連結 / from the next link' }));
const DAY_MS = 86_400_000;
/** Hourly rows folded per 1d request at most; beyond that the caller must narrow the range or the scope. */
const MAX_ROLLUP_ROWS = 200_000;

const body = (schema: unknown) => ({ 'application/json': { schema }, 'text/csv': { schema: { type: 'string' } }, 'application/geo+json': { schema: { type: 'object', additionalProperties: true } } });

function sendCsv(reply: FastifyReply, name: string, text: string): string {
  void reply.type(CSV_CONTENT_TYPE).header('content-disposition', `inline; filename="${name}.csv"`);
  return text;
}

/**
 * REST feeds (issue 5 §2): latest per sensor, raw readings per sensor, and 1m/1h/1d
 * aggregates per sensor/kind/district, as JSON (schemas under /open-data/v1/schemas),
 * CSV and GeoJSON. Every row carries its quality flags; units travel with the data.
 */
export const feedRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  const l = ctx.limits;
  const Limit = Type.Integer({ minimum: 1, maximum: l.pageMax, default: l.pageDefault });

  app.get('/open-data/v1/schemas/:name', {
    schema: { tags: [OD_TAG.name], summary: '回應 JSON Schema / JSON Schema of a feed body', params: Type.Object({ name: StringEnum(Object.keys(PUBLISHED_SCHEMAS).map((n) => `${n}.json`)) }) },
  }, async (request, reply) => {
    const name = (request.params as { name: string }).name.replace(/\.json$/, '');
    void reply.header('cache-control', 'public, max-age=86400').type('application/schema+json; charset=utf-8');
    return { $schema: 'http://json-schema.org/draft-07/schema#', ...PUBLISHED_SCHEMAS[name] };
  });

  // Cached serialised: at 2,000 sensors, serialising the 700 kB body per request (not building it) was the bottleneck.
  const latestCache = new MicroCache<{ body: string; type: string; newest: number; etag: string }>(l.latestCacheMs);
  const done = (body: string, type: string, newest: number) => ({ body, type, newest, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"` });
  async function buildLatest(kind: SensorKind, district: string | undefined, format: 'json' | 'csv' | 'geojson', bom: boolean) {
    const now = ctx.now();
    const rows = [];
    for (const r of await ctx.store.latest({ kind, ...(district ? { district } : {}) })) {
      const s = ctx.registry.sensor(r.sensorId);
      if (s) rows.push({ r, s, stale: now - r.ts > s.intervalSeconds * 1000 * l.silentAfterIntervals });
    }
    rows.sort((a, b) => (a.s.id < b.s.id ? -1 : 1));
    const newest = rows.reduce((m, x) => Math.max(m, x.r.ts), 0);
    if (format === 'csv') return done(latestCsv(ctx, kind, rows, bom), CSV_CONTENT_TYPE, newest);
    if (format === 'geojson') {
      const body = featureCollection(rows.map(({ r, s, stale }) => feature(ctx, s, s.id, { kind, time: toTaipeiIso(r.ts), epochMs: r.ts, ...r.values, units: unitsOf(kind), flags: flagNames(r.flags).map(flagLabel), stale })), { license: LICENSE });
      return done(JSON.stringify(body), GEOJSON_TYPE, newest);
    }
    const body = {
      dataset: datasetId(kind), generatedAt: toTaipeiIso(now), license: LICENSE, units: unitsOf(kind), count: rows.length,
      items: rows.map(({ r, s, stale }) => {
        const p = publicReading(r);
        return { sensor: publicSensor(ctx, s), time: p.time, epochMs: p.epochMs, values: p.values, flags: p.flags, stale };
      }),
    };
    return done(JSON.stringify(body), 'application/json; charset=utf-8', newest);
  }

  const LatestQ = Type.Object({ district: Type.Optional(Type.String({ maxLength: 32 })), format: FORMAT, bom: BOM }, { additionalProperties: false });
  app.get<{ Params: Static<typeof KindPath>; Querystring: Static<typeof LatestQ> }>('/open-data/v1/feeds/:kind/latest', {
    schema: { tags: [OD_TAG.name], summary: '各感測器最新值 / Latest value per sensor', params: KindPath, querystring: LatestQ, response: { 200: { content: body(LatestFeedSchema) }, ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    const { kind } = request.params;
    const { district, format, bom } = request.query;
    if (district !== undefined && !ctx.registry.district(district)) throw new ApiError('UNKNOWN_DISTRICT', { parameter: 'district', value: district });
    const out = await latestCache.get(`${kind}|${district ?? ''}|${format}|${bom}`, () => buildLatest(kind, district, format, bom));
    void reply.header('cache-control', 'public, max-age=15').header('etag', out.etag).type(out.type);
    // Last-Modified = newest reading served, so a poller's If-Modified-Since gets a 304 until a sensor reports.
    if (out.newest > 0) void reply.header('last-modified', httpDate(out.newest));
    if (format === 'csv') void reply.header('content-disposition', `inline; filename="${kind}-latest.csv"`);
    return out.body;
  });

  const ReadingsQ = Type.Object({ sensor: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), from: TimeQ, to: TimeQ, limit: Limit, cursor: Cursor, format: FORMAT, bom: BOM }, { additionalProperties: false });
  app.get<{ Params: Static<typeof KindPath>; Querystring: Static<typeof ReadingsQ> }>('/open-data/v1/feeds/:kind/readings', {
    schema: { tags: [OD_TAG.name], summary: '單一感測器原始量測值 / Raw readings of one sensor', description: `區間上限 ${l.maxRangeDays} 天 / at most ${l.maxRangeDays} days`, params: KindPath, querystring: ReadingsQ, response: { 200: { content: body(ReadingsFeedSchema) }, ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    const { kind } = request.params;
    const q = request.query;
    const s = ctx.registry.sensor(q.sensor);
    if (!s || s.kind !== kind) throw new ApiError('UNKNOWN_SENSOR_PARAM', { parameter: 'sensor', value: q.sensor });
    const { from, to } = resolveRange(ctx, q.from, q.to);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor).ts;
    const rows = await ctx.store.readings({ sensorId: s.id, from, to, limit: q.limit + 1, order: 'asc', ...(after !== undefined ? { after } : {}) });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = rows.length > q.limit && last ? link(ctx, request.url.split('?')[0]!, { sensor: s.id, from: toTaipeiIso(from), to: toTaipeiIso(to), limit: q.limit, format: q.format, cursor: encodeCursor(last.ts, 0) }) : null;
    if (next) void reply.header('link', `<${next}>; rel="next"`);
    void reply.header('cache-control', to < ctx.now() - 3_600_000 ? 'public, max-age=3600' : 'public, max-age=30');
    if (q.format === 'csv') return sendCsv(reply, s.id, readingsCsv(kind, page, q.bom && q.cursor === undefined));
    if (q.format === 'geojson') {
      void reply.type(GEOJSON_TYPE);
      return featureCollection(page.map((r) => feature(ctx, s, `${s.id}@${r.ts}`, { kind, ...publicReading(r) })), { license: LICENSE, next });
    }
    return { dataset: datasetId(kind), sensor: publicSensor(ctx, s), period: 'raw', from: toTaipeiIso(from), to: toTaipeiIso(to), license: LICENSE, units: unitsOf(kind), count: page.length, items: page.map(publicReading), next };
  });

  const AggQ = Type.Object({
    period: StringEnum(['1m', '1h', '1d'] as const, { default: '1h', description: '1d 由 1h 統計於查詢時計算 / 1d is folded from 1h aggregates at query time' }),
    sensor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
    district: Type.Optional(Type.String({ maxLength: 32 })),
    field: Type.Optional(Type.String({ maxLength: 64 })),
    from: TimeQ, to: TimeQ, limit: Limit, cursor: Cursor, format: FORMAT, bom: BOM,
  }, { additionalProperties: false });
  app.get<{ Params: Static<typeof KindPath>; Querystring: Static<typeof AggQ> }>('/open-data/v1/feeds/:kind/aggregates', {
    schema: { tags: [OD_TAG.name], summary: '每分鐘、每小時、每日統計 / 1-minute, 1-hour, 1-day aggregates per sensor', params: KindPath, querystring: AggQ, response: { 200: { content: body(AggregatesFeedSchema) }, ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    const { kind } = request.params;
    const q = request.query;
    if (q.sensor !== undefined && ctx.registry.sensor(q.sensor)?.kind !== kind) throw new ApiError('UNKNOWN_SENSOR_PARAM', { parameter: 'sensor', value: q.sensor });
    if (q.district !== undefined && !ctx.registry.district(q.district)) throw new ApiError('UNKNOWN_DISTRICT', { parameter: 'district', value: q.district });
    if (q.field !== undefined && !kindOf(kind).fields.some((f) => f.name === q.field && f.type === 'number')) {
      throw new ApiError('UNKNOWN_FIELD', { parameter: 'field', value: q.field, kind, allowed: kindOf(kind).fields.filter((f) => f.type === 'number').map((f) => f.name) });
    }
    let { from, to } = resolveRange(ctx, q.from, q.to);
    if (q.period === '1d') {
      from = taipeiDayStart(from);
      to = taipeiDayStart(to - 1) + DAY_MS;
    }
    const c = q.cursor === undefined ? { ts: from, skip: 0 } : decodeCursor(q.cursor);
    const filter = { scope: 'sensor' as const, kind, to, ...(q.sensor ? { key: q.sensor } : {}), ...(q.district ? { district: q.district } : {}), ...(q.field ? { field: q.field } : {}) };
    let rows: Aggregate[] | ReturnType<typeof rollupDays>;
    if (q.period === '1d') {
      const hours = await ctx.store.aggregates({ ...filter, period: '1h', from, limit: MAX_ROLLUP_ROWS + 1 });
      if (hours.length > MAX_ROLLUP_ROWS) throw new ApiError('BAD_PARAMETER', { parameter: 'from', detail: 'too many hourly rows to fold into days: narrow from/to or add sensor/district/field', detailZh: '資料量過大：請縮小區間或指定 sensor/district/field' });
      // LA6: a day that has not ended is partial.
      rows = rollupDays(hours).filter((a) => a.start >= c.ts).map((a) => (a.start + DAY_MS > ctx.now() ? { ...a, partial: true } : a));
    } else {
      rows = await ctx.store.aggregates({ ...filter, period: q.period, from: Math.max(from, c.ts), limit: q.limit + c.skip + 1 });
    }
    let skip = c.skip;
    let i = 0;
    while (skip > 0 && i < rows.length && rows[i]!.start === c.ts) { i++; skip--; }
    const page = rows.slice(i, i + q.limit).filter((a) => ctx.registry.sensor(a.key)).map(publicAggregate);
    const more = rows.length > i + q.limit;
    let next: string | null = null;
    if (more) {
      const lastStart = rows[i + q.limit - 1]!.start;
      let n = 0;
      for (let j = i; j < i + q.limit; j++) if (rows[j]!.start === lastStart) n++;
      const nextSkip = n + (lastStart === c.ts ? c.skip : 0);
      next = link(ctx, request.url.split('?')[0]!, { ...q, from: toTaipeiIso(from), to: toTaipeiIso(to), cursor: encodeCursor(lastStart, nextSkip) });
      void reply.header('link', `<${next}>; rel="next"`);
    }
    void reply.header('cache-control', to < ctx.now() - 3_600_000 ? 'public, max-age=3600' : 'public, max-age=60');
    if (q.format === 'csv') return sendCsv(reply, `${kind}-${q.period}`, aggregatesCsv(ctx, page, q.bom && q.cursor === undefined));
    if (q.format === 'geojson') {
      void reply.type(GEOJSON_TYPE);
      return featureCollection(page.map((a) => feature(ctx, ctx.registry.sensor(a.sensorId)!, `${a.sensorId}/${a.field}/${a.period}@${a.startMs}`, { kind, ...a })), { license: LICENSE, next });
    }
    return {
      dataset: datasetId(kind), period: q.period, from: toTaipeiIso(from), to: toTaipeiIso(to), license: LICENSE,
      ...(q.period === '1d' ? { note: '每日統計由每小時統計於查詢時合併（平均值以筆數加權）/ daily windows are folded from hourly aggregates at query time (count-weighted mean), Taipei calendar days' } : {}),
      count: page.length, items: page, next,
    };
  });

  // FE1–FE4 (issue 9): the public water-level feed's time-to-threshold per river station.
  const FloodQ = Type.Object({ windowMinutes: Type.Integer({ minimum: 10, maximum: 360, default: 60, description: '趨勢視窗（分鐘）/ trend window (minutes)' }) }, { additionalProperties: false });
  app.get<{ Querystring: Static<typeof FloodQ> }>('/open-data/v1/feeds/water-level/flood-eta', {
    schema: { tags: [OD_TAG.name], summary: '河川水位站到達下一警戒的預估時間 / Flood ETA per river station', querystring: FloodQ },
  }, async (request, reply) => {
    const windowMs = request.query.windowMinutes * 60_000;
    const now = ctx.now();
    const items = [];
    for (const s of ctx.registry.sensors()) {
      if (!warningLevelsOf(s)) continue;
      const eta = stationFloodEta(s, await ctx.store.readings({ sensorId: s.id, from: now - windowMs, to: now + 1, limit: 5000 }), { windowMs });
      if (eta) items.push({ ...eta, name: s.name });
    }
    void reply.header('cache-control', 'public, max-age=60');
    return { license: LICENSE, generatedAt: toTaipeiIso(now), windowMinutes: request.query.windowMinutes, count: items.length, items };
  });
};
