import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { toTaipeiIso } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { CSV_CONTENT_TYPE, readingsCsv } from '../csv.ts';
import { TAGS } from '../docs.ts';
import { ApiError } from '../errors.ts';
import { readingItem, sensorRef, unitsOf } from '../present.ts';
import { decodeTsCursor, encodeTsCursor, link, resolveRange } from '../query.ts';
import { CursorParam, DistrictView, ErrorBody, ERROR_RESPONSES, Flags, License, LICENSE, LimitParam, Localized, NextLink, StringEnum, TimeParam, Units, Values } from '../schemas.ts';

const Params = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: '感測器 id / sensor id' }) });

const querySchema = (ctx: ApiContext) =>
  Type.Object(
    {
      from: Type.Optional(TimeParam('起（含）/ from, inclusive; default: to − 24 h')),
      to: Type.Optional(TimeParam('迄（不含）/ to, exclusive; default: now')),
      limit: LimitParam(ctx.limits.readingsDefaultLimit, ctx.limits.readingsMaxLimit),
      cursor: Type.Optional(CursorParam),
      format: StringEnum(['json', 'csv'] as const, { default: 'json', description: '回應格式 / response format' }),
    },
    { additionalProperties: false },
  );

const ReadingsBody = Type.Object({
  sensor: Type.Object({ id: Type.String(), kind: Type.String(), name: Localized, district: DistrictView }),
  from: Type.String(),
  to: Type.String(),
  units: Units,
  license: License,
  count: Type.Integer(),
  items: Type.Array(Type.Object({ ts: Type.String(), tsMs: Type.Number(), values: Values, flags: Flags })),
  next: NextLink,
});

/**
 * GET /api/v1/sensors/:id/readings — history of one sensor in [from, to), oldest first,
 * paged by cursor, as JSON or CSV. `next` (and the `Link` header, for CSV) always pins
 * explicit from/to: paging a default "last 24 h" must not slide while a client follows it.
 */
export const readingRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const Query = querySchema(ctx);
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/api/v1/sensors/:id/readings',
    {
      schema: {
        tags: [TAGS.readings.name],
        summary: '單一感測器歷史量測值 / Readings of one sensor',
        description: `區間上限 ${ctx.limits.maxRangeDays} 天；format=csv 時以 UTF-8（含 BOM）輸出，欄名含單位。/ At most ${ctx.limits.maxRangeDays} days per request; format=csv gives UTF-8 (with BOM) CSV with units in the header.`,
        params: Params,
        querystring: Query,
        response: {
          200: { description: 'JSON or CSV', content: { 'application/json': { schema: ReadingsBody }, 'text/csv': { schema: Type.String() } } },
          404: ErrorBody,
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const sensor = ctx.registry.sensor(request.params.id);
      if (!sensor) throw new ApiError('SENSOR_NOT_FOUND', { parameter: 'id', value: request.params.id });
      const { limit, cursor, format } = request.query;
      const { from, to } = resolveRange(ctx, request.query.from, request.query.to);
      const after = cursor === undefined ? undefined : decodeTsCursor(cursor);
      // One row more than asked tells whether another page exists, without an empty last page.
      const rows = await ctx.store.readings({ sensorId: sensor.id, from, to, limit: limit + 1, order: 'asc', ...(after !== undefined ? { after } : {}) });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      const path = `/api/v1/sensors/${encodeURIComponent(sensor.id)}/readings`;
      const next = rows.length > limit && last
        ? link(ctx, path, { from: toTaipeiIso(from), to: toTaipeiIso(to), limit, format, cursor: encodeTsCursor(last.ts) })
        : null;
      void reply.header('link', [...(next ? [`<${next}>; rel="next"`] : []), `<${LICENSE.url}>; rel="license"`].join(', '));
      // A range that ended a while ago can no longer change (late data aside), so it may be cached long.
      void reply.header('cache-control', to < ctx.now() - 3_600_000 ? 'public, max-age=3600' : 'public, max-age=15');

      if (format === 'csv') {
        void reply.type(CSV_CONTENT_TYPE).header('content-disposition', `inline; filename="${sensor.id}.csv"`);
        // BOM on the first page only, so pages appended to one file do not carry stray BOMs.
        return readingsCsv(sensor, page, cursor === undefined);
      }
      return {
        sensor: sensorRef(sensor),
        from: toTaipeiIso(from),
        to: toTaipeiIso(to),
        units: unitsOf(sensor.kind),
        license: LICENSE,
        count: page.length,
        items: page.map(readingItem),
        next,
      };
    },
  );
};
