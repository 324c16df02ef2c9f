import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { KINDS, kindOf, numericFields, type SensorKind } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { ApiError } from '../errors.ts';
import { aggregateItem } from '../present.ts';
import { checkDistrict, resolveRange } from '../query.ts';
import { DistrictParam, ERROR_RESPONSES, KindParam, License, LICENSE, LimitParam, Localized, StringEnum, TimeParam } from '../schemas.ts';

const querySchema = (ctx: ApiContext) =>
  Type.Object(
    {
      scope: StringEnum(['sensor', 'district'] as const, { default: 'sensor', description: '統計對象 / per sensor or per district' }),
      period: StringEnum(['1m', '1h'] as const, { default: '1h', description: '統計區間 / window length' }),
      key: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: '感測器 id 或行政區代碼 / sensor id (scope=sensor) or district code (scope=district)' })),
      kind: Type.Optional(KindParam),
      district: Type.Optional(DistrictParam),
      field: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: '欄位名稱 / field name, e.g. pm25' })),
      from: Type.Optional(TimeParam('起（含）/ from, inclusive; default: to − 24 h')),
      to: Type.Optional(TimeParam('迄（不含）/ to, exclusive; default: now')),
      limit: LimitParam(ctx.limits.listDefaultLimit, ctx.limits.listMaxLimit),
    },
    { additionalProperties: false },
  );

const AggregateItem = Type.Object({
  scope: Type.String(),
  key: Type.String(),
  name: Type.Optional(Localized),
  kind: Type.String(),
  district: Type.String(),
  period: Type.String(),
  start: Type.String({ description: '區間起點 ISO 8601 +08:00 / window start' }),
  startMs: Type.Number(),
  field: Type.String(),
  unit: Type.Optional(Type.String()),
  count: Type.Integer(),
  complete: Type.Boolean({ description: '區間已結束且完整 / the window had closed when computed (false: partial)' }),
  mean: Type.Number(),
  min: Type.Number(),
  max: Type.Number(),
  last: Type.Number(),
});

/** A field filter must name a numeric field of the kind, or the answer would be silently empty. */
function checkField(field: string | undefined, kind: SensorKind | undefined): void {
  if (field === undefined) return;
  const kinds = kind ? [kind] : (Object.keys(KINDS) as SensorKind[]);
  const allowed = [...new Set(kinds.flatMap((k) => numericFields(kindOf(k))))];
  if (!allowed.includes(field)) throw new ApiError('UNKNOWN_FIELD', { parameter: 'field', value: field, ...(kind ? { kind } : {}), allowed });
}

/** GET /api/v1/aggregates — per-minute / per-hour count, mean, min, max, last (ANCHORS: FROST users ask for interval averages). */
export const aggregateRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const Query = querySchema(ctx);
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/aggregates',
    {
      schema: {
        tags: [TAGS.aggregates.name],
        summary: '統計值 / Aggregates',
        querystring: Query,
        response: {
          200: Type.Object({ count: Type.Integer(), truncated: Type.Boolean({ description: '超過 limit 時為 true / true when more than limit matched' }), license: License, items: Type.Array(AggregateItem) }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { scope, period, key, district, field, limit } = request.query;
      let kind = request.query.kind;
      checkDistrict(ctx, district);
      if (key !== undefined && scope === 'sensor') {
        const s = ctx.registry.sensor(key);
        if (!s) throw new ApiError('UNKNOWN_SENSOR_PARAM', { parameter: 'key', value: key });
        kind ??= s.kind;
      }
      if (key !== undefined && scope === 'district') checkDistrict(ctx, key, 'key');
      checkField(field, kind);
      const { from, to } = resolveRange(ctx, request.query.from, request.query.to);
      const rows = await ctx.store.aggregates({
        scope, period, from, to, limit: limit + 1,
        ...(key !== undefined ? { key } : {}),
        ...(kind !== undefined ? { kind } : {}),
        ...(district !== undefined ? { district } : {}),
        ...(field !== undefined ? { field } : {}),
      });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      page.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
      const items = page.map((a) => aggregateItem(a, a.scope === 'sensor' ? ctx.registry.sensor(a.key)?.name : ctx.registry.district(a.key)?.name));
      void reply.header('cache-control', 'public, max-age=60');
      return { count: items.length, truncated: rows.length > limit, license: LICENSE, items };
    },
  );
};
