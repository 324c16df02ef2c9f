import compress from '@fastify/compress';
import cors from '@fastify/cors';
import etag from '@fastify/etag';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import { routeFamily } from '../rate-limit.ts';
import { bulkRoutes } from './bulk/routes.ts';
import { capRoutes } from './cap/routes.ts';
import { catalogueRoutes } from './catalogue.ts';
import { installLastModified } from './conditional.ts';
import { buildContext, DEFAULT_HTTP, type OpenDataOptions } from './context.ts';
import { feedRoutes } from './feeds.ts';
import { liveRoutes } from './live.ts';
import { staRoutes } from './sta/routes.ts';

export { DEFAULT_ALERT_POLICY, DEFAULT_HTTP, DEFAULT_OPEN_DATA_LIMITS, DEFAULT_PUBLISHER, buildContext } from './context.ts';
export type { AlertPolicy, CapStatus, HttpOptions, OdContext, OpenDataLimits, OpenDataOptions, Publisher, ReadingListener, SubscribeReadings } from './context.ts';
export type { PrivacyOptions } from './privacy.ts';
export { createPublicMqtt, PUBLIC_PREFIX, type PublicMqtt, type PublicMqttOptions, type PublishFn } from './public-mqtt.ts';
export { exportDay, type ExportDayOptions } from './bulk/dump.ts';
export { scheduleDailyExport, taipeiDate, type DailyJobOptions } from './bulk/schedule.ts';
export { OD_TAG } from './feeds.ts';
export { STA_ROOT } from './sta/routes.ts';
export { createStaMqtt, STA_MQTT_CONFORMANCE, topicOf as staTopicOf, type StaMqtt, type StaMqttOptions, type StaSubscriptionEvent } from './sta/mqtt.ts';

/**
 * The open-data exporter as one encapsulated Fastify plugin (issue 5): catalogue, REST feeds,
 * SensorThings API, CAP alerts, live SSE and bulk files, with their own CORS, rate limit,
 * compression and conditional-request handling, which apply to these routes only (the
 * operator routes of the main API keep their own policy). Register it after the OpenAPI
 * generator so its routes appear at /docs.
 */
export function createOpenDataPlugin(options: OpenDataOptions): FastifyPluginAsync {
  const ctx = buildContext(options);
  const http = { ...DEFAULT_HTTP, ...options.http };
  return async function openData(app) {
    if (http.cors) {
      // Open data is read by browser map apps on any origin; only GET/HEAD, no credentials.
      await app.register(cors, { origin: http.cors === '*' ? '*' : [...http.cors], methods: ['GET', 'HEAD'], exposedHeaders: ['ETag', 'Last-Modified', 'Link', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'], maxAge: 86_400 });
    }
    if (http.rateLimit) {
      // Per client address; Retry-After tells well-behaved pollers when to come back (RFC 6585 §4).
      await app.register(rateLimit, {
        max: http.rateLimit.max,
        timeWindow: http.rateLimit.windowMs,
        // OD-P2: /open-data and /sta are separate families with separate budgets.
        keyGenerator: (req) => `${req.ip} ${routeFamily(req.url)}`,
        // An Error with statusCode and code: the root error handler renders it as { error: { code: 'RATE_LIMITED', … } }.
        errorResponseBuilder: (_req, c) => Object.assign(new Error(`rate limit of ${c.max} requests per ${c.after} exceeded; retry after ${Math.ceil(c.ttl / 1000)} s`), { statusCode: 429, code: 'RATE_LIMITED' }),
      });
    }
    if (http.compress) await app.register(compress, { encodings: ['br', 'gzip'], threshold: 1024 });
    if (http.etag) await app.register(etag, { weak: true });
    installLastModified(app);
    await app.register(feedRoutes, { ctx });
    await app.register(catalogueRoutes, { ctx });
    await app.register(staRoutes, { ctx });
    await app.register(capRoutes, { ctx });
    await app.register(liveRoutes, { ctx });
    await app.register(bulkRoutes, { ctx });
  };
}
