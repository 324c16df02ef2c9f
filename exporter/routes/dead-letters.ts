import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { REJECT_CATALOGUE, SENSOR_ID_PATTERN, toTaipeiIso, type DeadLetter, type RejectReason } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { staffGuard } from '../staff/auth.ts';
import { TAGS } from '../docs.ts';
import { ERROR_RESPONSES, LimitParam, Localized, StringEnum } from '../schemas.ts';

/*
 * Dead letters are operational data for city IT staff: raw payloads, client ids and topics
 * may reveal device details a vendor did not mean to publish. OD-P1: both routes need a
 * staff token (`Authorization: Bearer …`, role viewer or above); without one they answer 401.
 */

const REASONS = Object.keys(REJECT_CATALOGUE) as RejectReason[];

const querySchema = (ctx: ApiContext) =>
  Type.Object(
    {
      reason: Type.Optional(StringEnum(REASONS, { description: '拒收原因代碼 / reject reason code' })),
      sensor: Type.Optional(Type.String({ pattern: SENSOR_ID_PATTERN.source, description: '感測器 id / sensor id' })),
      limit: LimitParam(ctx.limits.listDefaultLimit, ctx.limits.listMaxLimit),
    },
    { additionalProperties: false },
  );

const DeadLetterItem = Type.Object({
  at: Type.String(),
  reason: Type.String(),
  reasonText: Localized,
  message: Type.String(),
  topic: Type.String(),
  clientId: Type.String(),
  sensorId: Type.Optional(Type.String()),
  payload: Type.String({ description: '原始內容（UTF-8，已截斷）/ raw payload as UTF-8, bounded' }),
  payloadBytes: Type.Integer({ description: '原始內容位元組數 / size of the original payload' }),
  payloadTruncated: Type.Boolean(),
});

function deadLetterItem(d: DeadLetter, maxChars: number) {
  const truncated = d.payload.length > maxChars;
  return {
    at: toTaipeiIso(d.at),
    reason: d.reason,
    reasonText: REJECT_CATALOGUE[d.reason],
    message: d.message,
    topic: d.topic,
    clientId: d.clientId,
    ...(d.sensorId !== undefined ? { sensorId: d.sensorId } : {}),
    payload: truncated ? d.payload.slice(0, maxChars) : d.payload,
    payloadBytes: d.payloadBytes,
    // The ingest bound cuts payloads too, so compare against the original size as well.
    payloadTruncated: truncated || Buffer.byteLength(d.payload, 'utf8') < d.payloadBytes,
  };
}

/** GET /api/v1/dead-letters and /counts — why messages were rejected (EMQX users asked for visible drop counters). */
export const deadLetterRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const Query = querySchema(ctx);
  // onRequest, not preHandler: an anonymous caller learns nothing, not even which query parameters are valid.
  app.addHook('onRequest', staffGuard(ctx.verifyStaff, 'viewer'));
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/dead-letters',
    {
      schema: {
        tags: [TAGS.deadLetters.name],
        summary: '被拒收訊息 / Dead letters',
        description: '僅供市府資訊人員使用，需 viewer 以上權杖 / For city IT staff only: Authorization: Bearer <staff token>, role viewer or above.',
        querystring: Query,
        response: { 200: Type.Object({ count: Type.Integer(), items: Type.Array(DeadLetterItem) }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { reason, sensor, limit } = request.query;
      const rows = await ctx.store.deadLetters({ limit, ...(reason ? { reason } : {}), ...(sensor ? { sensorId: sensor } : {}) });
      void reply.header('cache-control', 'private, no-store');
      return { count: rows.length, items: rows.map((d) => deadLetterItem(d, ctx.limits.deadLetterPayloadChars)) };
    },
  );

  app.get(
    '/api/v1/dead-letters/counts',
    {
      schema: {
        tags: [TAGS.deadLetters.name],
        summary: '各原因拒收數 / Dead letters counted per reason',
        description: '需 viewer 以上權杖 / staff token, role viewer or above.',
        querystring: Type.Object({}, { additionalProperties: false }),
        response: {
          200: Type.Object({ total: Type.Integer(), counts: Type.Record(Type.String(), Type.Integer()) }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (_request, reply) => {
      const stored = await ctx.store.deadLetterCounts();
      // Every catalogue reason appears, zero included, so dashboards get a stable shape.
      const counts: Record<string, number> = {};
      let total = 0;
      for (const r of REASONS) {
        counts[r] = stored[r] ?? 0;
        total += counts[r];
      }
      void reply.header('cache-control', 'private, no-store');
      return { total, counts };
    },
  );
};
