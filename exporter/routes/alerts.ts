import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AlertState } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { alertItem } from '../present.ts';
import { checkDistrict, parseList } from '../query.ts';
import { DistrictParam, ERROR_RESPONSES, KindParam, LimitParam, Localized } from '../schemas.ts';

const STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved'];

const querySchema = (ctx: ApiContext) =>
  Type.Object(
    {
      state: Type.Optional(Type.String({ maxLength: 64, description: '以逗號分隔的狀態 / comma-separated states: open, acknowledged, resolved (default: all)' })),
      kind: Type.Optional(KindParam),
      district: Type.Optional(DistrictParam),
      limit: LimitParam(ctx.limits.listDefaultLimit, ctx.limits.listMaxLimit),
    },
    { additionalProperties: false },
  );

const AlertItem = Type.Object({
  id: Type.String(),
  ruleId: Type.String(),
  subject: Type.String({ description: '感測器 id 或群組鍵 / sensor id or group key' }),
  kind: Type.String(),
  district: Type.String(),
  severity: Type.String({ description: 'advisory | warning | critical' }),
  state: Type.String({ description: 'open | acknowledged | resolved' }),
  openedAt: Type.String(),
  updatedAt: Type.String(),
  resolvedAt: Type.Optional(Type.String()),
  field: Type.String(),
  value: Type.Number(),
  threshold: Type.Number(),
  unit: Type.Optional(Type.String()),
  message: Localized,
});

/**
 * GET /api/v1/alerts — operator alarms as stored (latest state per alert id, storage S3).
 * These are not the public CAP feed (MISSION: only `Actual` alerts may reach the public);
 * they are never cached because an acknowledgement must show at once.
 */
export const alertRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const Query = querySchema(ctx);
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/alerts',
    {
      schema: {
        tags: [TAGS.alerts.name],
        summary: '警報 / Alerts',
        querystring: Query,
        response: { 200: Type.Object({ count: Type.Integer(), items: Type.Array(AlertItem) }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { kind, district, limit } = request.query;
      const states = parseList('state', request.query.state, STATES);
      checkDistrict(ctx, district);
      const alerts = await ctx.store.alerts({
        limit,
        ...(states ? { states } : {}),
        ...(kind ? { kind } : {}),
        ...(district ? { district } : {}),
      });
      void reply.header('cache-control', 'no-store');
      return { count: alerts.length, items: alerts.map(alertItem) };
    },
  );
};
