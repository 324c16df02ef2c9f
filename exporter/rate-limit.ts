import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RateLimitOptions {
  /** Requests per client address per window, counted separately for each route family. */
  readonly max: number;
  readonly windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = Object.freeze({ max: 600, windowMs: 60_000 });

/**
 * The route family a request belongs to (OD-P2). Each family has its own budget per client,
 * so a map app polling SensorThings does not use up its REST quota, and a flood of /api/v1
 * requests cannot starve open-data readers on the same address.
 */
export function routeFamily(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  if (path.startsWith('/api/v1/staff')) return 'staff';
  if (path.startsWith('/api/')) return 'api';
  if (path.startsWith('/open-data')) return 'open-data';
  if (path.startsWith('/sta')) return 'sta';
  if (path.startsWith('/docs')) return 'docs';
  return 'ops';
}

/**
 * One limiter for the whole HTTP surface, keyed by client address and route family (OD-P2).
 * 429 answers carry Retry-After (RFC 6585 §4) and X-RateLimit-*; the body is the catalogue's
 * RATE_LIMITED error (rendered by the root error handler).
 */
export function installRateLimit(app: FastifyInstance, o: RateLimitOptions): void {
  void app.register(rateLimit, {
    max: o.max,
    timeWindow: o.windowMs,
    keyGenerator: (req: FastifyRequest) => `${req.ip} ${routeFamily(req.url)}`,
    errorResponseBuilder: (req, c) => Object.assign(new Error(`${c.max} requests per ${c.after} for ${routeFamily(req.url)} routes; retry after ${Math.ceil(c.ttl / 1000)} s`), { statusCode: 429, code: 'RATE_LIMITED' }),
  });
}
