import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { stationFloodEta, warningLevelsOf } from '../../alerts/index.ts';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { ApiError } from '../errors.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

export const FloodEtaQuery = Type.Object(
  { windowMinutes: Type.Integer({ minimum: 10, maximum: 360, default: 60, description: '趨勢視窗（分鐘）/ trend window in minutes (FE1)' }) },
  { additionalProperties: false },
);

const LevelEta = Type.Object({ level: Type.String(), value: Type.Number(), etaMinutes: Type.Integer(), at: Type.String() });
export const FloodEtaView = Type.Object({
  sensorId: Type.String(),
  currentLevel: Type.Number(),
  observedAt: Type.String(),
  trendPerHour: Type.Optional(Type.Number({ description: 'm/h（Theil–Sen）' })),
  rising: Type.Boolean(),
  next: Type.Optional(LevelEta),
  toLevel1: Type.Optional(LevelEta),
  windowMinutes: Type.Integer(),
  samples: Type.Integer(),
});

/** GET /api/v1/sensors/{id}/flood-eta — time to the next warning level and to level 1 for a river station (FE1–FE4). */
export const floodEtaRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get<{ Params: { id: string }; Querystring: Static<typeof FloodEtaQuery> }>(
    '/api/v1/sensors/:id/flood-eta',
    {
      schema: {
        tags: [TAGS.sensors.name],
        summary: '河川水位站到達警戒的預估時間 / Flood ETA of a river station',
        params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
        querystring: FloodEtaQuery,
        response: { 200: FloodEtaView, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const s = ctx.registry.sensor(request.params.id);
      if (!s) throw new ApiError('SENSOR_NOT_FOUND', { value: request.params.id });
      if (!warningLevelsOf(s)) throw new ApiError('BAD_PARAMETER', { parameter: 'id', detail: `${s.id} is not a river station with warning levels`, detailZh: `${s.id} 不是設有警戒水位的河川水位站` });
      const windowMs = request.query.windowMinutes * 60_000;
      const now = ctx.now();
      const readings = await ctx.store.readings({ sensorId: s.id, from: now - windowMs, to: now + 1, limit: 5000 });
      const eta = stationFloodEta(s, readings, { windowMs });
      if (!eta) throw new ApiError('SENSOR_NOT_FOUND', { value: `${s.id} (no readings in the last ${request.query.windowMinutes} min)` });
      void reply.header('cache-control', 'public, max-age=30');
      return eta;
    },
  );
};
