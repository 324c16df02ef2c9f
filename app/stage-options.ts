import path from 'node:path';
import type { AlertsOptions } from '../alerts/index.ts';
import { authenticateStaff, publication, verifyToken } from '../alerts/index.ts';
import type { BrokerOptions } from '../broker/index.ts';
import type { AdminRoutesOptions, ApiOptions, ConsoleOptions, openData } from '../exporter/index.ts';
import type { IngestOptions } from '../ingest/index.ts';
import type { SimulationOptions } from '../simulators/index.ts';
import type { App } from './app.ts';
import { apiHttps, brokerTransport } from './broker-transport.ts';

/**
 * What the composition root hands each stage it builds. The callbacks read the app's fields
 * when they run, so a stage may name one that a later unit builds (the broker publishes
 * alerts; the alert service is built first).
 */
export function ingestOptions(app: App): IngestOptions {
  const { config, logger, metrics } = app;
  return {
    registry: app.registry,
    journal: app.journal,
    policy: {
      maxFutureSkewMs: config.ingest.maxFutureSkewSeconds * 1000,
      maxPastSkewMs: config.ingest.maxPastSkewSeconds * 1000,
      rejectOlderThanMs: config.ingest.rejectOlderThanDays * 86_400_000,
    },
    deadLetterPayloadBytes: config.ingest.deadLetterPayloadBytes,
    onDeadLetter: (d) => app.writer.addDeadLetter(d),
    notify: (topic, payload) => void app.broker.publish(topic, payload, { qos: 0 }).catch(() => undefined),
    logger,
    metrics,
  };
}

export function alertsOptions(app: App, ruleFiles: readonly string[], baseUrl: string): AlertsOptions {
  const { config, logger, metrics } = app;
  const smtp = config.alerts.smtp;
  return {
    ruleFiles: [...ruleFiles],
    ...(config.alerts.contactsFile ? { contactsFile: config.alerts.contactsFile } : {}),
    ...(config.alerts.aqiTableFile ? { aqiTableFile: config.alerts.aqiTableFile } : {}),
    ...(smtp ? { smtp: { host: smtp.host, port: smtp.port, from: smtp.from, ...(smtp.secure !== undefined ? { secure: smtp.secure } : {}), ...(smtp.requireTLS !== undefined ? { requireTLS: smtp.requireTLS } : {}), ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}) } } : {}),
    stateDir: path.join(config.dataDir, 'alerts'),
    baseUrl,
    sensors: () => app.registry.sensors(),
    districtName: (code) => app.registry.district(code)?.name,
    mqttPublish: (topic, payload, retain) => app.broker.publish(topic, payload, { qos: 1, retain }),
    persist: (changes) => app.writer.addAlertChanges(changes),
    logger: logger.child({ component: 'alerts' }),
    metrics,
  };
}

export function brokerOptions(app: App, publicMqtt: openData.PublicMqtt, staMqtt: openData.StaMqtt): BrokerOptions {
  const { config, logger, metrics } = app;
  return {
    ...brokerTransport(config), // issue 12: plain/TLS/device WebSocket listeners, failed-login defence
    registry: app.registry,
    limits: config.mqtt,
    ...(config.mqtt.publicWsPort >= 0 ? { publicWebSocket: { host: config.bind, port: config.mqtt.publicWsPort, path: '/mqtt', maySubscribe: (f: string) => publicMqtt.anonymousMaySubscribe(f) || (config.openData.enabled && staMqtt.maySubscribe(f)), onSubscriptions: (e) => staMqtt.onSubscriptions(e) } } : {}),
    onInbound: app.ingest.handle,
    onRejected: (r) => app.ingest.rejectFromBroker(r),
    staffAuth: (username, password) => authenticateStaff(app.alerts.store, username, password),
    // Connection-level liveness (Last Will / disconnect) is its own alert, separate from data freshness.
    onConnection: (principal, _clientId, up) => {
      const affected = principal.type === 'sensor' ? [app.registry.sensor(principal.id)] : principal.type === 'gateway' ? [...app.registry.sensors()].filter((s) => s.gateway === principal.id) : [];
      for (const s of affected) if (s) void app.alerts.service.onConnection(s, up, Date.now());
    },
    logger,
    metrics,
  };
}

/** The API with every route group createApi registers: public, open data, console, staff and (given its options) admin. */
export function apiOptions(app: App, bulkDir: string, baseUrl: string, admin: AdminRoutesOptions): ApiOptions {
  const { config, logger, metrics } = app;
  const https = apiHttps(config); // issue 12: HTTPS for the API when tls is configured
  // OD-S10: the STA MQTT endpoint serverSettings names, once the public WebSocket listener is bound.
  const wsPort = app.listening?.wsPort;
  // AL9/AL10: one publication policy for the staff list and the open-data gate (drills are Exercise).
  const published = publication(app.alerts.engine, (id) => app.registry.sensor(id));
  const staMqttUrl = wsPort === undefined ? undefined : (config.openData.staMqttUrl ?? `ws://${URL.canParse(baseUrl) ? new URL(baseUrl).hostname : '127.0.0.1'}:${wsPort}/mqtt`);
  return {
    host: config.bind,
    port: config.http.port,
    ...(https ? { https } : {}),
    store: app.store,
    registry: app.registry,
    health: () => app.health(),
    metrics,
    sensorStatus: (id) => app.ingest.sensorStatus(id),
    alertMeta: published.meta, // AL9: staff see public/capStatus on every alert
    logger,
    // AL9/OD-P1/OD-P2/OD-P5: staff-only routes check tokens (one guard); every route family has a rate limit.
    verifyStaff: (token) => verifyToken(app.alerts.store, token),
    rateLimit: config.http.rateLimitMax > 0 ? { max: config.http.rateLimitMax, windowMs: config.http.rateLimitWindowSeconds * 1000 } : false,
    portSetting: 'http.port (CIVIC_HTTP_PORT)',
    console: consoleOptions(app, baseUrl),
    staff: { service: app.alerts.service, reloadRules: () => app.alerts.reloadRules() },
    admin,
    ...(config.http.publicBaseUrl ? { publicBaseUrl: config.http.publicBaseUrl } : {}),
    ...(config.openData.enabled
      ? {
          openData: {
            subscribe: (listener) => {
              const sub = app.ingest.readings$.subscribe(({ reading }) => listener(reading));
              return () => sub.unsubscribe();
            },
            bulkDir,
            ...(staMqttUrl ? { staMqtt: { endpoints: [staMqttUrl] } } : {}),
            // CAP gate (AL9): only rules marked public, only status Actual, with each rule's CAP content (OD-A2).
            alertPolicy: published, // AL10: drill sensors' alerts are Exercise
            cap: { expiresMinutes: config.openData.capExpiresMinutes },
            publisher: {
              agency: { 'zh-TW': config.openData.agencyZh, en: config.openData.agencyEn }, contactName: config.openData.contactName, contactEmail: config.openData.contactEmail,
              // OD-A2: sender and homepage from configuration, else derived from the public base URL (never a placeholder domain).
              contactPhone: config.openData.contactPhone,
              url: config.openData.homepage ?? baseUrl,
              capSender: config.openData.capSender ?? (URL.canParse(baseUrl) ? new URL(baseUrl).hostname : 'civicstream'),
            },
          },
        }
      : {}),
  };
}

function consoleOptions(app: App, baseUrl: string): ConsoleOptions {
  const { config } = app;
  return {
    dataDir: config.dataDir,
    ...config.console,
    secureCookie: baseUrl.startsWith('https:'),
    audit: (r) => app.alerts.store.addAudit(r),
    districts: () => app.registry.districts(),
    staffActive: (n) => {
      const recs = [...app.alerts.store.tokens.values()].filter((r) => r.name === n);
      return recs.length === 0 || recs.some((r) => !r.revoked);
    },
  };
}

export function simulationOptions(app: App, mqttPort: number, credentials: SimulationOptions['credentials']): SimulationOptions {
  const { config, logger } = app;
  const s = config.simulate;
  return {
    mqttUrl: `mqtt://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${mqttPort}`,
    registry: app.registry,
    credentials,
    speed: s.speed,
    seed: s.seed,
    qos: s.qos,
    faults: { malformedRate: s.malformedRate, silentSensors: s.silentSensors, spikeRate: s.spikeRate, stuckSensors: s.stuckSensors },
    logger: logger.child({ component: 'simulator' }),
  };
}
