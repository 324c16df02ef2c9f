import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { SensorStatus } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Store } from '../storage/index.ts';
import { DEFAULT_LIMITS, type ApiContext, type ApiLimits } from './context.ts';
import { registerDocs } from './docs.ts';
import { installErrorHandling } from './error-handler.ts';
import type { HealthSource } from './health.ts';
import { installHttpMetrics } from './http-metrics.ts';
import { DEFAULT_RATE_LIMIT, installRateLimit, type RateLimitOptions } from './rate-limit.ts';
import type { VerifyStaff } from './staff/auth.ts';
import { aggregateRoutes } from './routes/aggregates.ts';
import { alertRoutes } from './routes/alerts.ts';
import { floodEtaRoutes } from './routes/flood-eta.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { latestRoutes } from './routes/latest.ts';
import { opsRoutes } from './routes/ops.ts';
import { readingRoutes } from './routes/readings.ts';
import { sensorRoutes } from './routes/sensors.ts';
import { qualityRoutes } from './routes/quality.ts';
import { createOpenDataPlugin, type OpenDataOptions } from './open-data/index.ts';
import { listenOrExplain } from './listen.ts';
import { consolePlugin, type ConsoleOptions } from './console/index.ts';
import { staffRoutes, type StaffRoutesOptions } from './staff/index.ts';
import { adminRoutes, type AdminRoutesOptions } from './admin/index.ts';

export type { HealthComponent, HealthReport, HealthSource, DegradedComponent } from './health.ts';
export { HealthTracker } from './health.ts';
export { API_ERRORS, ApiError, type ApiErrorCode } from './errors.ts';
export { DEFAULT_LIMITS, type ApiLimits } from './context.ts';
export { DEFAULT_RATE_LIMIT, routeFamily, type RateLimitOptions } from './rate-limit.ts';
export { bearerToken, staffGuard, type VerifyStaff } from './staff/auth.ts';
export { listenOrExplain, PortInUseError } from './listen.ts';
export type { StaffRoutesOptions } from './staff/index.ts';
export { AuditLog, type AdminRoutesOptions } from './admin/index.ts';
export { PasswordFile, MIN_PASSWORD, type ConsoleOptions, type ConsoleRole } from './console/index.ts';

/** Version of the /api/v1 contract shown in the OpenAPI document (not the package version). */
export const API_VERSION = '1.0.0';
export * as openData from './open-data/index.ts';

export interface ApiOptions {
  /** Bind address (the config default is loopback). */
  host: string;
  /** 0 = a free port (tests). */
  port: number;
  store: Store;
  registry: Registry;
  /** The composition root gathers broker/journal/store status. */
  health: HealthSource;
  metrics: MetricsRegistry;
  /** Latest device status (status topic / Last Will), when the pipeline tracks it. */
  sensorStatus?: (id: string) => SensorStatus | undefined;
  logger: Logger;
  /** e.g. https://data.city.gov.tw — makes `next` links absolute and fills OpenAPI `servers`. */
  publicBaseUrl?: string;
  /** Overrides of DEFAULT_LIMITS from the validated config. */
  limits?: Partial<ApiLimits>;
  /** Clock for range defaults and staleness; Date.now unless a test pins time. */
  now?: () => number;
  /** HTTPS (issue 12): key and certificate; absent = plain HTTP. */
  https?: { key: Buffer; cert: Buffer; minVersion?: 'TLSv1.2' | 'TLSv1.3' };
  /** The rule facts (public, CAP status) on every item of GET /api/v1/alerts (AL9). */
  alertMeta?: ApiContext['alertMeta'];
  /** The public open-data feeds (catalogue, REST, SensorThings, CAP, live, bulk); absent = not served. */
  openData?: Omit<OpenDataOptions, 'store' | 'registry' | 'logger' | 'metrics' | 'now' | 'baseUrl'>;
  /** Staff token check for every staff-only route (alert list, dead letters); absent = they answer 401 (AL9, OD-P1). */
  verifyStaff?: VerifyStaff;
  /** Per-client, per-route-family request budget (OD-P2); false = none (benchmarks only). */
  rateLimit?: false | RateLimitOptions;
  /** Config setting named in the error when the HTTP port is busy (OD-P5). */
  portSetting?: string;
  /** The staff console (pages and its session API, CO1–CO6), at the root scope so its session hook sees the staff and admin routes; absent = not served. */
  console?: ConsoleOptions;
  /** The staff API under /api/v1/staff (SA1–SA5); absent = not served. */
  staff?: StaffRoutesOptions;
  /** The admin API under /api/v1/admin (AD1–AD6); absent = not served. */
  admin?: AdminRoutesOptions;
}

export interface ApiServer {
  /** Resolves once every route plugin has loaded: a plugin that fails to load rejects here, before anything listens. */
  loaded(): Promise<void>;
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
  readonly app: FastifyInstance;
}

/**
 * Builds the HTTP API: one Fastify instance, the error shape and metrics hooks at the root,
 * the OpenAPI generator, then one encapsulated plugin per route group (the public routes,
 * open data, then the console, staff and admin APIs when their options are given). Every
 * route plugin is registered here; the composition root only passes options. Nothing listens
 * until start(); `app.inject()` works without it.
 */
export function createApi(o: ApiOptions): ApiServer {
  const baseUrl = (o.publicBaseUrl ?? '').replace(/\/+$/, '');
  const ctx: ApiContext = Object.freeze({
    store: o.store,
    registry: o.registry,
    ...(o.sensorStatus ? { sensorStatus: o.sensorStatus } : {}),
    limits: Object.freeze({ ...DEFAULT_LIMITS, ...o.limits }),
    baseUrl,
    now: o.now ?? Date.now,
    ...(o.alertMeta ? { alertMeta: o.alertMeta } : {}),
    ...(o.verifyStaff ? { verifyStaff: o.verifyStaff } : {}),
  });

  const app = Fastify({
    ...(o.https ? { https: o.https } : {}),
    // pino's Logger generic is narrower than Fastify's logger type; it is the same object Fastify expects.
    loggerInstance: o.logger.child({ component: 'exporter' }) as FastifyBaseLogger,
    // Per-request info logs would dominate the log at open-data call rates; the request metrics cover them.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    // Fastify's default removeAdditional would silently drop unknown query parameters; we want a 400 naming them.
    ajv: { customOptions: { removeAdditional: false } },
    // Request size and time limits (issue 5 §7): the API takes no bodies beyond small queries.
    requestTimeout: 30_000,
    connectionTimeout: 10_000,
    bodyLimit: 16_384,
  });

  installErrorHandling(app);
  installHttpMetrics(app, o.metrics);
  const limit = o.rateLimit === undefined ? DEFAULT_RATE_LIMIT : o.rateLimit;
  if (limit) installRateLimit(app, limit);
  // Registered without awaiting: avvio loads plugins in order, so the OpenAPI generator's
  // onRoute hook is in place before any route plugin runs, and inject()/listen() await it all.
  registerDocs(app, API_VERSION, o.publicBaseUrl ? baseUrl : undefined);
  void app.register(opsRoutes, { health: o.health, metrics: o.metrics });
  void app.register(sensorRoutes, { ctx });
  void app.register(latestRoutes, { ctx });
  void app.register(readingRoutes, { ctx });
  void app.register(aggregateRoutes, { ctx });
  void app.register(alertRoutes, { ctx });
  void app.register(floodEtaRoutes, { ctx });
  void app.register(deadLetterRoutes, { ctx });
  void app.register(qualityRoutes, { ctx, openData: o.openData !== undefined });
  if (o.openData) {
    // The root limiter (OD-P2) already counts /open-data and /sta per family; a second one inside would halve the budget.
    void app.register(createOpenDataPlugin({ store: o.store, registry: o.registry, logger: o.logger, metrics: o.metrics, now: ctx.now, ...(o.publicBaseUrl ? { baseUrl } : {}), ...o.openData, http: { ...o.openData.http, rateLimit: false } }));
  }
  // The console sits at the root scope (skip-override): its session hook covers the staff and admin routes too.
  if (o.console) void app.register(consolePlugin(o.console));
  if (o.staff) void app.register(staffRoutes, { prefix: '/api/v1/staff', ...o.staff });
  if (o.admin) void app.register(adminRoutes, { prefix: '/api/v1/admin', ...o.admin });

  return {
    app,
    async loaded() {
      await app.after();
    },
    async start() {
      await listenOrExplain(() => app.listen({ host: o.host, port: o.port }), o.portSetting ?? 'http.port', o.host, o.port);
      const port = (app.server.address() as AddressInfo).port;
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      // The address actually listened on (publicBaseUrl may be a proxy in front of it).
      return { port, url: `${o.https ? 'https' : 'http'}://${host}:${port}` };
    },
    async stop() {
      await app.close();
    },
  };
}
