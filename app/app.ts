import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { Gauge, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { createBroker, type CivicBroker } from '../broker/index.ts';
import { apiHttps, brokerTransport } from './broker-transport.ts';
import { Ingest, Journal } from '../ingest/index.ts';
import { Registry } from '../registry/index.ts';
import { HealthTracker, consolePlugin, createApi, staffRoutes, listenOrExplain, openData, type ApiServer, type HealthReport } from '../exporter/index.ts';
import { toTaipeiIso } from '../domain/index.ts';
import { createSimulation, loadCredentials, type Simulation } from '../simulators/index.ts';
import type { Store } from '../storage/index.ts';
import { StoreWriter } from '../storage/index.ts';
import { createStores } from './stores.ts';
import type { InfluxStore } from '../storage/index.ts';
import { registryPath, type Config } from './config.ts';
import { AnalyticsPipeline } from '../analytics/index.ts';
import { connectAnalytics } from './analytics-sinks.ts';
import { credentialsPath, seedRegistry } from './seed.ts';
import { createAlerts, authenticateStaff, publication, verifyToken, type Alerts } from '../alerts/index.ts';
import { fileURLToPath } from 'node:url';
import { wireAdmin } from './admin.ts';

/** The alert rules shipped with the project (used when alerts.ruleFiles is empty). */
export const DEFAULT_RULES = fileURLToPath(new URL('../config/rules.default.yaml', import.meta.url));

export interface AppInfo {
  readonly mqttPort: number;
  /** Public MQTT-over-WebSocket port (anonymous, read-only public/…), when enabled. */
  readonly wsPort?: number;
  /** Issue 12: MQTT over TLS and device WebSocket ports, when configured. */
  readonly tlsPort?: number;
  readonly deviceWsPort?: number;
  readonly httpPort: number;
  readonly url: string;
}

/**
 * The one composition root (STYLE.md habit 10): builds broker, ingest, analytics,
 * storage, exporter and simulators, and owns the start/stop order that makes
 * "acknowledged = stored" hold across restarts (ARCHITECTURE.md "Start and stop").
 */
export class App {
  readonly metrics = new MetricsRegistry();
  registry!: Registry;
  store!: Store;
  writer!: StoreWriter;
  journal!: Journal;
  ingest!: Ingest;
  broker!: CivicBroker;
  api!: ApiServer;
  processor!: AnalyticsPipeline;
  simulation: Simulation | undefined;
  influx: InfluxStore | undefined;
  alerts!: Alerts;
  private readonly healthTracker = new HealthTracker(toTaipeiIso);
  private lastHealthSample = { at: 0, seq: 0, writeSum: 0, writeCount: 0 };
  private lastMetaAt = 0;
  private dailyExport: { stop(): void } | undefined;
  private publicFeed: { unsubscribe(): void } | undefined;
  private tick: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** The live registry's writer and the admin API (RG1–RG3, AD1–AD6). */
  admin: Awaited<ReturnType<typeof wireAdmin>> | undefined;

  constructor(
    readonly config: Readonly<Config>,
    readonly logger: Logger,
  ) {}

  async start(): Promise<AppInfo> {
    const { config, logger, metrics } = this;
    collectDefaultMetrics({ register: metrics, prefix: 'civic_process_' });
    await mkdir(config.dataDir, { recursive: true });
    const registryFile = registryPath(config);
    await seedRegistry(registryFile, config.dataDir, logger);
    this.registry = await Registry.load(registryFile);

    const stores = createStores(config, logger, metrics);
    this.store = stores.store;
    this.influx = stores.influx;
    await this.store.open();
    this.writer = new StoreWriter({ store: this.store, maxBatch: config.storage.maxBatch, logger, metrics, retry: { initialMs: 200, maxMs: 10_000 } });
    this.journal = Journal.open({ dir: path.join(config.dataDir, 'journal'), segmentBytes: config.journal.segmentBytes, fsync: config.journal.fsync, logger, metrics });
    this.ingest = new Ingest({
      registry: this.registry,
      journal: this.journal,
      policy: {
        maxFutureSkewMs: config.ingest.maxFutureSkewSeconds * 1000,
        maxPastSkewMs: config.ingest.maxPastSkewSeconds * 1000,
        rejectOlderThanMs: config.ingest.rejectOlderThanDays * 86_400_000,
      },
      deadLetterPayloadBytes: config.ingest.deadLetterPayloadBytes,
      onDeadLetter: (d) => this.writer.addDeadLetter(d),
      notify: (topic, payload) => void this.broker.publish(topic, payload, { qos: 0 }).catch(() => undefined),
      logger,
      metrics,
    });
    const baseUrl = config.http.publicBaseUrl ?? `http://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${config.http.port}`;
    const smtp = config.alerts.smtp;
    this.alerts = await createAlerts({
      ruleFiles: config.alerts.ruleFiles.length ? config.alerts.ruleFiles : [DEFAULT_RULES],
      ...(config.alerts.contactsFile ? { contactsFile: config.alerts.contactsFile } : {}),
      ...(config.alerts.aqiTableFile ? { aqiTableFile: config.alerts.aqiTableFile } : {}),
      ...(smtp ? { smtp: { host: smtp.host, port: smtp.port, from: smtp.from, ...(smtp.secure !== undefined ? { secure: smtp.secure } : {}), ...(smtp.requireTLS !== undefined ? { requireTLS: smtp.requireTLS } : {}), ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}) } } : {}),
      stateDir: path.join(config.dataDir, 'alerts'),
      baseUrl,
      sensors: () => this.registry.sensors(),
      districtName: (code) => this.registry.district(code)?.name,
      mqttPublish: (topic, payload, retain) => this.broker.publish(topic, payload, { qos: 1, retain }),
      persist: (changes) => this.writer.addAlertChanges(changes),
      logger: logger.child({ component: 'alerts' }),
      metrics,
    });
    // Public read-only topics public/{kind}/{sensorId} for map apps (open data, issue 5).
    const publicMqtt = openData.createPublicMqtt({ registry: this.registry, metrics, publish: (topic, payload, retain) => void this.broker.publish(topic, payload, { qos: 0, retain }).catch(() => undefined) });
    this.broker = createBroker({
      ...brokerTransport(config), // issue 12: plain/TLS/device WebSocket listeners, failed-login defence
      registry: this.registry,
      limits: config.mqtt,
      ...(config.mqtt.publicWsPort >= 0 ? { publicWebSocket: { host: config.bind, port: config.mqtt.publicWsPort, path: '/mqtt', maySubscribe: (f: string) => publicMqtt.anonymousMaySubscribe(f) } } : {}),
      onInbound: this.ingest.handle,
      onRejected: (r) => this.ingest.rejectFromBroker(r),
      staffAuth: (username, password) => authenticateStaff(this.alerts.store, username, password),
      // Connection-level liveness (Last Will / disconnect) is its own alert, separate from data freshness.
      onConnection: (principal, _clientId, up) => {
        const affected = principal.type === 'sensor' ? [this.registry.sensor(principal.id)] : principal.type === 'gateway' ? [...this.registry.sensors()].filter((s) => s.gateway === principal.id) : [];
        for (const s of affected) if (s) void this.alerts.service.onConnection(s, up, Date.now());
      },
      logger,
      metrics,
    });
    this.processor = new AnalyticsPipeline({
      sensorOf: (id) => this.registry.sensor(id),
      source: this.writer,
      allowedLatenessMs: config.analytics.allowedLatenessSeconds * 1000,
      lateHorizonMs: config.analytics.lateHorizonDays * 86_400_000,
      ...(this.journal.checkpointMeta.watermarkMs !== undefined ? { resumeWatermarkMs: this.journal.checkpointMeta.watermarkMs } : {}),
      logger,
      metrics,
    });
    // The alert service's state file is the source of truth for open alerts: it restores the engine.
    await this.alerts.service.restore();
    connectAnalytics(this.processor, this.ingest.readings$, { writer: this.writer, alerts: this.alerts.service });

    // Recovery: everything after the checkpoint is replayed through the same path
    // before the broker accepts new messages (ARCHITECTURE.md "Durability").
    const replayed = this.ingest.replay();
    if (replayed) logger.info({ replayed, from: this.journal.checkpointed + 1 }, 'journal replayed');
    await this.runTick();

    const journal = this.journal;
    new Gauge({ name: 'civic_journal_lag', help: 'journal records not yet stored and released (last appended − checkpoint)', registers: [metrics], collect() { this.set(journal.lastSeq - journal.checkpointed); } });

    // OD-P5: a busy port stops the start with the setting to change, not a raw stack.
    const bindSetting = (port: number) => (port === config.mqtt.publicWsPort ? 'mqtt.publicWsPort (CIVIC_WS_PORT, -1 = off)' : 'mqtt.port (CIVIC_MQTT_PORT)');
    const { port: mqttPort, wsPort, tlsPort, deviceWsPort } = await listenOrExplain(() => this.broker.start(), bindSetting, config.bind, config.mqtt.port);
    if (config.openData.enabled) this.publicFeed = this.ingest.readings$.subscribe((r) => publicMqtt.onReading(r));
    const bulkDir = path.join(config.dataDir, 'open-data');
    const https = apiHttps(config); // issue 12: HTTPS for the API when tls is configured
    this.api = createApi({
      host: config.bind,
      port: config.http.port,
      ...(https ? { https } : {}),
      store: this.store,
      registry: this.registry,
      health: () => this.health(),
      metrics,
      sensorStatus: (id) => this.ingest.sensorStatus(id),
      alertMeta: publication(this.alerts.engine).meta, // AL9: staff see public/capStatus on every alert
      logger,
      // AL9/OD-P1/OD-P2/OD-P5: staff-only routes check tokens (one guard); every route family has a rate limit.
      verifyStaff: (token) => verifyToken(this.alerts.store, token),
      rateLimit: config.http.rateLimitMax > 0 ? { max: config.http.rateLimitMax, windowMs: config.http.rateLimitWindowSeconds * 1000 } : false,
      portSetting: 'http.port (CIVIC_HTTP_PORT)',
      ...(config.http.publicBaseUrl ? { publicBaseUrl: config.http.publicBaseUrl } : {}),
      ...(config.openData.enabled
        ? {
            openData: {
              subscribe: (listener) => {
                const sub = this.ingest.readings$.subscribe(listener);
                return () => sub.unsubscribe();
              },
              bulkDir,
              // CAP gate (AL9): only rules marked public, only status Actual, with each rule's CAP content (OD-A2).
              alertPolicy: publication(this.alerts.engine),
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
    });
    await this.api.app.register(consolePlugin({ dataDir: config.dataDir, ...config.console, secureCookie: baseUrl.startsWith('https:'), audit: (r) => this.alerts.store.addAudit(r), districts: () => this.registry.districts(), staffActive: (n) => {
      const recs = [...this.alerts.store.tokens.values()].filter((r) => r.name === n);
      return recs.length === 0 || recs.some((r) => !r.revoked);
    } }));
    await this.api.app.register(staffRoutes, { prefix: '/api/v1/staff', service: this.alerts.service, reloadRules: () => this.alerts.reloadRules() });
    this.admin = await wireAdmin(this, registryFile, config.alerts.ruleFiles.length ? config.alerts.ruleFiles : [DEFAULT_RULES]);
    const { port: httpPort, url } = await this.api.start();
    await this.admin.announce(url);
    await this.alerts.service.republish();
    this.tick = setInterval(() => void this.runTick(), config.analytics.tickMs);
    if (config.openData.enabled) {
      this.dailyExport = openData.scheduleDailyExport({
        logger,
        minuteOfDay: config.openData.dailyExportMinute,
        run: (date) => openData.exportDay({ store: this.store, registry: this.registry, dir: bulkDir, date, logger, bom: config.openData.bulkCsvBom, baseUrl }),
      });
    }

    if (config.simulate.enabled) {
      const s = config.simulate;
      this.simulation = createSimulation({
        mqttUrl: `mqtt://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${mqttPort}`,
        registry: this.registry,
        credentials: await loadCredentials(config.dataDir),
        speed: s.speed,
        seed: s.seed,
        qos: s.qos,
        faults: { malformedRate: s.malformedRate, silentSensors: s.silentSensors, spikeRate: s.spikeRate, stuckSensors: s.stuckSensors },
        logger: logger.child({ component: 'simulator' }),
      });
      await this.simulation.start();
      logger.info({ credentials: credentialsPath(config.dataDir) }, 'simulators running');
    }
    logger.info({ mqttPort, wsPort, httpPort, url, sensors: this.registry.size }, 'civicstream is running');
    return { mqttPort, httpPort, url, ...(wsPort !== undefined ? { wsPort } : {}), ...(tlsPort !== undefined ? { tlsPort } : {}), ...(deviceWsPort !== undefined ? { deviceWsPort } : {}) };
  }

  /** Re-reads the rule files (SIGHUP or the admin API) without losing alert state; a bad file keeps the old rules. */
  /** Issue 12 (B37/B38): SIGHUP re-reads the TLS certificate, key, client CA and CRL for MQTT and HTTPS. */
  reloadTls(): void {
    this.broker.reloadTls();
    const https = apiHttps(this.config);
    if (https && this.api) (this.api.app.server as unknown as { setSecureContext?: (o: object) => void }).setSecureContext?.(https);
  }

  async reloadRules(source: string): Promise<void> {
    const rules = await this.alerts.reloadRules();
    await this.alerts.service.reloadRules(rules, source);
  }

  /**
   * The single clock tick: close windows, run time-based rules, flush store batches,
   * then advance the journal checkpoint to what is both stored and no longer held in
   * an open aggregation window. Ticks never overlap.
   */
  runTick(): Promise<void> {
    this.ticking = this.ticking.then(async () => {
      try {
        const now = Date.now();
        this.processor.onTick(now);
        this.alerts.service.tick(now);
        // Taken together before the flush: the watermark that goes with this retention point (W7).
        const retained = this.processor.retainedFromSeq() - 1;
        const watermarkMs = this.processor.watermarkMs;
        await this.writer.flush();
        // AL3: nor past what the alert engine's snapshot on disk has evaluated.
        const safe = Math.min(this.writer.committedSeq, retained, this.alerts.service.snapshotSeq);
        this.journal.checkpoint(safe, Number.isFinite(watermarkMs) ? { watermarkMs } : {});
        this.journal.persistCheckpoint();
        if (this.influx) await this.sampleForInflux(Date.now());
      } catch (err) {
        this.logger.error({ err }, 'tick failed; retried at the next tick');
      }
    });
    return this.ticking;
  }

  /**
   * For the Grafana dashboards: registry metadata (`sensor_meta`) at start and daily, and a
   * pipeline health sample (`pipeline`) every 10 s — both driven by the clock tick.
   */
  private async sampleForInflux(now: number): Promise<void> {
    const influx = this.influx as InfluxStore;
    if (now - this.lastMetaAt >= 86_400_000) {
      this.lastMetaAt = now;
      await influx.writeSensorMeta(this.registry.sensors(), now);
    }
    const last = this.lastHealthSample;
    if (now - last.at < 10_000) return;
    const seq = this.journal.lastSeq;
    const rejected = (await this.metrics.getSingleMetric('civic_ingest_rejected_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
    const status = influx.status();
    // Mean InfluxDB write latency since the previous sample, from the write histogram.
    const writes = (await this.metrics.getSingleMetric('civic_influx_write_seconds')?.get())?.values ?? [];
    const total = (suffix: string) => writes.filter((v) => (v as { metricName?: string }).metricName?.endsWith(suffix)).reduce((n, v) => n + v.value, 0);
    const writeSum = total('_sum');
    const writeCount = total('_count');
    const dCount = writeCount - last.writeCount;
    await influx.writePipelineHealth(
      {
        ingest_rate: last.at ? ((seq - last.seq) * 1000) / (now - last.at) : 0,
        rejected_total: rejected,
        journal_lag: seq - this.journal.checkpointed,
        store_backlog: this.writer.pending + status.backlogLines,
        ...(dCount > 0 ? { influx_write_ms: ((writeSum - last.writeSum) * 1000) / dCount } : {}),
      },
      now,
    );
    this.lastHealthSample = { at: now, seq, writeSum, writeCount };
  }

  async health(): Promise<HealthReport> {
    const storeHealth = await this.store.health().catch((err: Error) => ({ ok: false, adapter: this.store.name, detail: err.message }));
    const store = { ...storeHealth };
    const journal = { ok: true, lastSeq: this.journal.lastSeq, checkpoint: this.journal.checkpointed, lag: this.journal.lastSeq - this.journal.checkpointed, diskBytes: this.journal.diskBytes() };
    const broker = { ok: !!this.broker, connectedClients: this.broker.connectedClients };
    const writer = { ok: true, pending: this.writer.pending, committedSeq: this.writer.committedSeq };
    const components: HealthReport['components'] = { broker, journal, store, writer };
    if (this.influx) {
      const s = this.influx.status();
      components.influxdb = { ok: s.backlogLines === 0 && !s.failing, backlogLines: s.backlogLines, backlogBytes: s.backlogBytes, queuedLines: s.queuedLines, ...(s.lastError ? { detail: s.lastError, lastErrorAt: s.lastErrorAt } : {}), ...(s.lastSuccessAt ? { lastSuccessAt: s.lastSuccessAt } : {}) };
    }
    // A store outage degrades (readings stay safe in the journal or the InfluxDB spool); it does not take us down.
    const degraded = Object.values(components).some((c) => !c.ok);
    return this.healthTracker.observe({ status: degraded ? 'degraded' : 'ok', components }, Date.now());
  }

  /**
   * Graceful stop (SIGTERM/SIGINT): stop the simulators and the broker (no new
   * messages; in-flight ones finish their group commit), then flush and close the
   * store and the journal. Nothing acknowledged is lost: it is stored, or it stays in
   * the journal after the checkpoint and is replayed at the next start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.tick) clearInterval(this.tick);
      this.dailyExport?.stop();
      this.publicFeed?.unsubscribe();
      await this.simulation?.stop().catch((err: Error) => this.logger.warn({ err }, 'simulator stop'));
      await this.broker?.stop();
      await this.api?.stop();
      await this.admin?.close().catch((err: Error) => this.logger.warn({ err }, 'admin close failed'));
      await this.alerts?.close().catch((err: Error) => this.logger.warn({ err }, 'alert service close failed'));
      await this.runTick();
      this.ingest?.complete();
      // A store that is down must not keep the journal open: what is unwritten stays after the
      // checkpoint and is replayed at the next start.
      await this.writer?.flush().catch((err: Error) => this.logger.warn({ err }, 'final store flush failed; the journal keeps the unwritten readings'));
      this.writer?.stop();
      await this.journal?.close();
      await this.store?.close().catch((err: Error) => this.logger.warn({ err }, 'store close failed'));
      this.logger.info('civicstream stopped');
    })();
    return this.stopping;
  }
}
