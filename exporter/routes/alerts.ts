import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AlertState } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { alertItem } from '../present.ts';
import { staffGuard } from '../staff/auth.ts';
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
  public: Type.Boolean({ description: '規則是否公開發布 / the rule is published to the public feeds' }),
  capStatus: Type.String({ description: 'CAP 狀態 / CAP status: Actual, Exercise, System, Test, Draft (only Actual + public reach public feeds)' }),
});

/**
 * GET /api/v1/alerts — operator alarms as stored (latest state per alert id, storage S3).
 * AL9 Staff only: every alert of every rule, drills included, so it needs a staff token
 * (`Authorization: Bearer <token>`, any role; 401 otherwise). Each item says whether its
 * rule is `public` and its `capStatus`, so a drill is never mistaken for a real alert.
 * The public reads the CAP/Atom feeds, which pass only Actual alerts of public rules.
 * Never cached: an acknowledgement must show at once.
 */
export const alertRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const Query = querySchema(ctx);
  // onRequest: an anonymous caller learns nothing, not even which query parameters are valid.
  app.addHook('onRequest', async (_req, reply) => void reply.header('cache-control', 'no-store'));
  app.addHook('onRequest', staffGuard(ctx.verifyStaff, 'viewer'));
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/alerts',
    {
      schema: {
        tags: [TAGS.alerts.name],
        summary: '警報 / Alerts',
        querystring: Query,
        response: { 200: Type.Object({ count: Type.Integer(), items: Type.Array(AlertItem) }), 401: ERROR_RESPONSES[400], ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { kind, district, limit } = request.query;
      const states = parseList('state', request.query.state, STATES);
      checkDistrict(ctx, district);
      const alerts = await ctx.store.alerts({
        limit,
        ...(states ? { states } : {}),
        ...(kind ? { kind } : {}),
        ...(district ? { district } : {}),
      });
      const meta = ctx.alertMeta ?? (() => ({ public: false, capStatus: 'Actual' }));
      return { count: alerts.length, items: alerts.map((a) => ({ ...alertItem(a), ...meta(a) })) };
    },
  );
};
