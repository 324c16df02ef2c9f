import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { latestItem } from '../present.ts';
import { checkDistrict } from '../query.ts';
import { DistrictParam, DistrictView, ERROR_RESPONSES, Flags, KindParam, License, LICENSE, Localized, Units, Values } from '../schemas.ts';

const LatestItem = Type.Object({
  sensorId: Type.String(),
  sensorName: Localized,
  kind: Type.String(),
  district: DistrictView,
  ts: Type.String({ description: 'ISO 8601 +08:00' }),
  tsMs: Type.Number({ description: 'epoch ms' }),
  values: Values,
  units: Units,
  flags: Flags,
  stale: Type.Boolean({ description: '超過預期回報間隔數倍未更新（非即時資料）/ older than a few expected intervals: not live data' }),
});

const Query = Type.Object(
  { kind: Type.Optional(KindParam), district: Type.Optional(DistrictParam) },
  { additionalProperties: false },
);

/**
 * GET /api/v1/latest — the newest reading of every sensor, the view the public asks for
 * most (parking availability, flood depth). Served from the store's latest-per-sensor
 * query, which adapters keep fast (ANCHORS: FROST's "latest per Thing" times out).
 */
export const latestRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/latest',
    {
      schema: {
        tags: [TAGS.readings.name],
        summary: '各感測器最新量測值 / Latest reading per sensor',
        querystring: Query,
        response: { 200: Type.Object({ count: Type.Integer(), license: License, items: Type.Array(LatestItem) }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { kind, district } = request.query;
      checkDistrict(ctx, district);
      const readings = await ctx.store.latest({ ...(kind ? { kind } : {}), ...(district ? { district } : {}) });
      const now = ctx.now();
      const items = [];
      for (const r of readings) {
        // A sensor removed from the registry is no longer published, even if the store still has its data.
        const s = ctx.registry.sensor(r.sensorId);
        if (!s) continue;
        const stale = now - r.ts > s.intervalSeconds * 1000 * ctx.limits.staleAfterIntervals;
        items.push(latestItem(r, s, stale));
      }
      items.sort((a, b) => (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0));
      // Sensors report every 1–10 minutes; 15 s of caching lets a CDN absorb polling without hiding a new value for long.
      void reply.header('cache-control', 'public, max-age=15');
      return { count: items.length, license: LICENSE, items };
    },
  );
};
