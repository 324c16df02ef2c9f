import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Reuses a metric already on the registry so two APIs (tests, restarts) can share one registry. */
function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Request count and latency per route template. The label is the route pattern
 * (`/api/v1/sensors/:id/readings`), never the raw URL, so sensor ids and query strings
 * cannot blow up the series count; unmatched paths share one label.
 */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = getOrCreate(registry, 'civic_http_requests_total', () =>
    new Counter({
      name: 'civic_http_requests_total',
      help: 'HTTP requests answered by the exporter, by route template, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
  );
  const duration = getOrCreate(registry, 'civic_http_request_duration_seconds', () =>
    new Histogram({
      name: 'civic_http_request_duration_seconds',
      help: 'Exporter response time by route template',
      labelNames: ['route'] as const,
      // From a cached latest answer (~ms) to a month-long CSV page (~s).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    duration.observe({ route }, reply.elapsedTime / 1000);
  });
}
