import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { isDrillSensor, toTaipeiIso, type SensorKind } from '../../domain/index.ts';
import type { ApiContext } from '../context.ts';
import { TAGS } from '../docs.ts';
import { ApiError } from '../errors.ts';
import { ERROR_RESPONSES, KindParam, License, LICENSE } from '../schemas.ts';

const HOUR = 3_600_000;

/**
 * DQ1 Quality figures are computed from what was stored, late readings included:
 *     completeness = stored readings ÷ readings expected from the sensor's interval over
 *     the range (capped at 1); uptime = hours of the range with at least one reading ÷
 *     hours of the range; latency = device time → receive time (p50, p95) over readings
 *     that carried a usable device time; late = readings stored with LATE.
 * DQ2 Per feed (kind): completeness = Σ stored ÷ Σ expected over the kind's registered
 *     sensors; uptime = mean over those sensors; latency = median of the sensors' p50.
 */
const METHOD = {
  'zh-TW': '完整率 = 已儲存筆數 ÷ 依回報間隔應收筆數（含遲到資料，上限 1）；上線率 = 有資料的小時數 ÷ 區間小時數；延遲 = 裝置時間至接收時間（p50、p95，僅計有裝置時間者）',
  en: 'completeness = stored readings ÷ readings expected from the interval (late readings included, capped at 1); uptime = hours with at least one reading ÷ hours in the range; latency = device time → receive time (p50, p95, readings with a device time only)',
};

const Query = Type.Object({
  hours: Type.Integer({ minimum: 1, maximum: 720, default: 24, description: '統計區間（小時，至現在）/ range in hours, ending now' }),
  kind: Type.Optional(KindParam),
}, { additionalProperties: false });

const Num = Type.Union([Type.Number(), Type.Null()]);
const SensorQuality = Type.Object({
  sensorId: Type.String(), kind: Type.String(), district: Type.String(),
  expected: Type.Integer(), stored: Type.Integer(), late: Type.Integer(),
  completeness: Num, uptime: Num, latencyP50Ms: Num, latencyP95Ms: Num,
});
const FeedQuality = Type.Object({
  kind: Type.String(), sensors: Type.Integer(), expected: Type.Integer(), stored: Type.Integer(), late: Type.Integer(),
  completeness: Num, uptime: Num, latencyP50Ms: Num,
});
const Body = Type.Object({
  from: Type.String(), to: Type.String(), license: License,
  method: Type.Object({ 'zh-TW': Type.String(), en: Type.String() }),
  feeds: Type.Array(FeedQuality), sensors: Type.Array(SensorQuality),
});

const round = (x: number) => Math.round(x * 10_000) / 10_000;
function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** GET /api/v1/quality and /open-data/v1/quality: completeness, uptime and latency per sensor and per feed (DQ1, DQ2). */
export const qualityRoutes: FastifyPluginAsync<{ ctx: ApiContext; openData: boolean }> = async (app, { ctx, openData }) => {
  const handler = async (request: { query: Static<typeof Query> }, reply: { header(k: string, v: string): unknown }) => {
    const { hours, kind } = request.query;
    if (!ctx.store.readingQuality) throw new ApiError('BAD_PARAMETER', { parameter: 'hours', detail: 'quality figures need the embedded store', detailZh: '品質統計需要內嵌資料庫' });
    const to = ctx.now();
    const from = to - hours * HOUR;
    const rows = new Map((await ctx.store.readingQuality({ from, to })).map((r) => [r.sensorId, r]));
    const sensors: Static<typeof SensorQuality>[] = [];
    const feeds = new Map<SensorKind, { sensors: number; expected: number; stored: number; late: number; uptime: number[]; p50: number[] }>();
    for (const s of ctx.registry.sensors()) {
      if (kind && s.kind !== kind) continue;
      const r = rows.get(s.id);
      const expected = Math.floor((to - from) / (s.intervalSeconds * 1000));
      const stored = r?.count ?? 0;
      const uptime = round((r?.hoursWithData ?? 0) / hours);
      sensors.push({
        sensorId: s.id, kind: s.kind, district: s.district.code, expected, stored, late: r?.late ?? 0,
        completeness: expected > 0 ? round(Math.min(1, stored / expected)) : null, uptime: Math.min(1, uptime),
        latencyP50Ms: r?.latencyP50Ms ?? null, latencyP95Ms: r?.latencyP95Ms ?? null,
      });
      if (isDrillSensor(s)) continue; // AL10: a drill sensor is listed, not counted in its feed
      let f = feeds.get(s.kind);
      if (!f) feeds.set(s.kind, (f = { sensors: 0, expected: 0, stored: 0, late: 0, uptime: [], p50: [] }));
      f.sensors++;
      f.expected += expected;
      f.stored += Math.min(stored, expected);
      f.late += r?.late ?? 0;
      f.uptime.push(Math.min(1, uptime));
      if (r?.latencyP50Ms != null) f.p50.push(r.latencyP50Ms);
    }
    void reply.header('cache-control', 'public, max-age=60');
    return {
      from: toTaipeiIso(from), to: toTaipeiIso(to), license: LICENSE, method: METHOD,
      feeds: [...feeds].map(([k, f]) => ({
        kind: k, sensors: f.sensors, expected: f.expected, stored: f.stored, late: f.late,
        completeness: f.expected > 0 ? round(f.stored / f.expected) : null,
        uptime: f.uptime.length ? round(f.uptime.reduce((a, b) => a + b, 0) / f.uptime.length) : null,
        latencyP50Ms: median(f.p50),
      })),
      sensors,
    };
  };
  const schema = (tags: string[]) => ({ tags, summary: '資料品質：完整率、上線率、延遲 / Data quality: completeness, uptime, latency per sensor and feed', querystring: Query, response: { 200: Body, ...ERROR_RESPONSES } });
  app.get<{ Querystring: Static<typeof Query> }>('/api/v1/quality', { schema: schema([TAGS.aggregates.name]) }, handler);
  if (openData) app.get<{ Querystring: Static<typeof Query> }>('/open-data/v1/quality', { schema: schema(['open-data']) }, handler);
};
