import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Sensor } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { sensorView } from '../present.ts';
import { checkDistrict, decodeIdCursor, encodeIdCursor, link } from '../query.ts';
import { CursorParam, DistrictParam, DistrictView, ERROR_RESPONSES, KindParam, LimitParam, Localized, NextLink } from '../schemas.ts';

const SensorStatusView = Type.Object({
  ts: Type.String(),
  online: Type.Optional(Type.Boolean()),
  batteryLevel: Type.Optional(Type.Number()),
  firmwareVersion: Type.Optional(Type.String()),
});

/** Public sensor description. Deliberately no secretHash and no gateway: the response schema is an allow-list too. */
export const SensorView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Localized,
  district: DistrictView,
  location: Type.Object({ lat: Type.Number(), lon: Type.Number() }, { description: 'WGS84' }),
  intervalSeconds: Type.Integer({ description: '預期回報間隔（秒）/ expected seconds between readings' }),
  params: Type.Record(Type.String(), Type.Unknown()),
  tags: Type.Array(Type.String()),
  status: Type.Optional(SensorStatusView),
});

const querySchema = (ctx: ApiContext) =>
  Type.Object(
    {
      kind: Type.Optional(KindParam),
      district: Type.Optional(DistrictParam),
      limit: LimitParam(ctx.limits.sensorsDefaultLimit, ctx.limits.sensorsMaxLimit),
      cursor: Type.Optional(CursorParam),
    },
    { additionalProperties: false },
  );

/**
 * GET /api/v1/sensors — the registry, paged by sensor id. The registry is read-only once
 * loaded, so it is sorted once here and each page is a binary search plus a short scan.
 */
export const sensorRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const sorted: Sensor[] = [...ctx.registry.sensors()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const Query = querySchema(ctx);

  /** Index of the first sensor whose id sorts after `id`. */
  const after = (id: string): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as Sensor).id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/sensors',
    {
      schema: {
        tags: [TAGS.sensors.name],
        summary: '感測器清單 / List sensors',
        description: '依 id 排序分頁；不含任何憑證資料。/ Paged in id order; never includes credentials.',
        querystring: Query,
        response: { 200: Type.Object({ count: Type.Integer(), items: Type.Array(SensorView), next: NextLink }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { kind, district, limit, cursor } = request.query;
      checkDistrict(ctx, district);
      const items = [];
      let i = cursor === undefined ? 0 : after(decodeIdCursor(cursor));
      let more = false;
      for (; i < sorted.length; i++) {
        const s = sorted[i] as Sensor;
        if ((kind && s.kind !== kind) || (district && s.district.code !== district)) continue;
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push(sensorView(s, ctx.sensorStatus?.(s.id)));
      }
      const last = items[items.length - 1];
      const next = more && last ? link(ctx, '/api/v1/sensors', { kind, district, limit, cursor: encodeIdCursor(last.id) }) : null;
      // The registry changes only on restart; a minute of caching spares it from polling clients.
      void reply.header('cache-control', ctx.sensorStatus ? 'public, max-age=10' : 'public, max-age=60');
      return { count: items.length, items, next };
    },
  );
};
