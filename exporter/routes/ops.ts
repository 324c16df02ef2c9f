import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Registry as MetricsRegistry } from 'prom-client';
import { TAGS } from '../docs.ts';
import type { HealthReport, HealthSource } from '../health.ts';

export interface OpsOptions {
  readonly health: HealthSource;
  readonly metrics: MetricsRegistry;
}

const Component = Type.Object(
  { ok: Type.Boolean(), detail: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]),
  components: Type.Record(Type.String(), Component),
  // HZ2: what is degraded now and since when.
  degraded: Type.Optional(Type.Array(Type.Object({ component: Type.String(), since: Type.String(), detail: Type.Optional(Type.String()) }))),
});

// A probe or scraper must never see a cached answer: both describe this instant.
const NO_STORE = 'no-store';

/** Health check and Prometheus scrape endpoint (city IT staff, load balancers, Prometheus). */
export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: [TAGS.ops.name],
        summary: '健康檢查 / Health check',
        description: '狀態為 ok 或 degraded 時回 200，down 時回 503。/ 200 when ok or degraded (still serving), 503 when down.',
        response: { 200: HealthBody, 503: HealthBody },
      },
    },
    async (request, reply) => {
      let report: HealthReport;
      try {
        report = await opts.health();
      } catch (err) {
        // A failing health source is itself a fact about health: report down rather than 500.
        request.log.error({ err }, 'health source failed');
        report = { status: 'down', components: { health: { ok: false, detail: (err as Error).message } } };
      }
      void reply.header('cache-control', NO_STORE).code(report.status === 'down' ? 503 : 200);
      return report;
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: [TAGS.ops.name],
        summary: 'Prometheus 指標 / Prometheus metrics',
        description: 'Prometheus 文字格式 / Prometheus text exposition format',
        response: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) => {
      const text = await opts.metrics.metrics();
      void reply.header('cache-control', NO_STORE).type(opts.metrics.contentType);
      return text;
    },
  );
};
