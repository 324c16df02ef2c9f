import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { Gauge, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import { createBroker, type BrokerPorts, type CivicBroker } from '../broker/index.ts';
import { apiHttps } from './broker-transport.ts';
import { Ingest, Journal } from '../ingest/index.ts';
import { Registry } from '../registry/index.ts';
import { HealthTracker, createApi, listenOrExplain, openData, type ApiServer, type HealthReport } from '../exporter/index.ts';
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
import { createAlerts, type Alerts } from '../alerts/index.ts';
import { fileURLToPath } from 'node:url';
import { openAdmin } from './admin.ts';
import { alertsOptions, apiOptions, brokerOptions, ingestOptions, simulationOptions } from './stage-options.ts';
import { Units, type Unit } from './units.ts';

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
  private publicMqtt: openData.PublicMqtt | undefined;
  private staMqtt: openData.StaMqtt | undefined;
  private ports!: BrokerPorts & { port: number };
  /** The bound MQTT ports once the listeners unit has started (the API's STA MQTT endpoint needs them). */
  get listening(): (BrokerPorts & { port: number }) | undefined {
    return this.ports as (BrokerPorts & { port: number }) | undefined;
  }
  private http!: { httpPort: number; url: string };
  private readonly units: Units;
  /** The live registry's writer and the admin API (RG1–RG3, AD1–AD6). */
  admin: Awaited<ReturnType<typeof openAdmin>> | undefined;

  constructor(
    readonly config: Readonly<Config>,
    readonly logger: Logger,
  ) {
    // SU3: a unit that fails to stop is logged; the units started before it still stop.
    this.units = new Units(this.unitList(), ({ unit, error }) => logger.warn({ err: error, unit }, `${unit}: stop failed`));
  }

  /** SU1, SU2: starts the units in order; a unit that fails stops the ones already started, in reverse. */
  async start(): Promise<AppInfo> {
    await this.units.start();
    const { port: mqttPort, wsPort, tlsPort, deviceWsPort } = this.ports;
    const { httpPort, url } = this.http;
    this.logger.info({ mqttPort, wsPort, httpPort, url, sensors: this.registry.size }, 'civicstream is running');
    return { mqttPort, httpPort, url, ...(wsPort !== undefined ? { wsPort } : {}), ...(tlsPort !== undefined ? { tlsPort } : {}), ...(deviceWsPort !== undefined ? { deviceWsPort } : {}) };
  }

  /**
   * The start order (ARCHITECTURE.md "Start and stop"); stop is its exact reverse (SU1), so
   * nothing is closed before the last thing that writes to it: the broker and the HTTP API
   * stop before the last tick, the last tick before the alert service, the readings stream and
   * the store writer, the writer before the journal and the store (SU4).
   */
  private unitList(): Unit[] {
    const { config } = this;
    const ruleFiles = config.alerts.ruleFiles.length ? config.alerts.ruleFiles : [DEFAULT_RULES];
    const bulkDir = path.join(config.dataDir, 'open-data');
    const baseUrl = config.http.publicBaseUrl ?? `http://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${config.http.port}`;
    return [...this.stateUnits(ruleFiles, baseUrl), ...this.pipelineUnits(baseUrl), ...this.serviceUnits(ruleFiles, bulkDir, baseUrl)];
  }

  /** Registry, store, journal, store writer, alert service, ingest: what holds state on disk. */
  private stateUnits(ruleFiles: readonly string[], baseUrl: string): Unit[] {
    const { config, logger, metrics } = this;
    return [
      {
        name: 'registry',
        start: async () => {
          collectDefaultMetrics({ register: metrics, prefix: 'civic_process_' });
          await mkdir(config.dataDir, { recursive: true });
          await seedRegistry(registryPath(config), config.dataDir, logger);
          this.registry = await Registry.load(registryPath(config));
        },
      },
      {
        name: 'store',
        start: async () => {
          ({ store: this.store, influx: this.influx } = createStores(config, logger, metrics));
          await this.store.open();
        },
        stop: () => this.store.close(),
      },
      {
        name: 'journal',
        start: () => void (this.journal = Journal.open({ dir: path.join(config.dataDir, 'journal'), segmentBytes: config.journal.segmentBytes, fsync: config.journal.fsync, logger, metrics })),
        stop: () => this.journal.close(),
      },
      {
        name: 'store writer',
        start: () => void (this.writer = new StoreWriter({ store: this.store, maxBatch: config.storage.maxBatch, logger, metrics, retry: { initialMs: 200, maxMs: 10_000 } })),
        // A store that is down must not keep the journal open: what is unwritten stays after the
        // checkpoint and is replayed at the next start.
        stop: async () => {
          await this.writer.flush().catch((err: Error) => logger.warn({ err }, 'final store flush failed; the journal keeps the unwritten readings'));
          this.writer.stop();
        },
      },
      {
        name: 'alerts',
        start: async () => void (this.alerts = await createAlerts(alertsOptions(this, ruleFiles, baseUrl))),
        stop: () => this.alerts.close(),
      },
      {
        name: 'ingest',
        start: () => void (this.ingest = new Ingest(ingestOptions(this))),
        // readings$ completes: the processor writes its partial windows (W8).
        stop: () => this.ingest.complete(),
      },
    ];
  }

  /** The broker, the processor with the journal replay and first tick, the MQTT listeners. */
  private pipelineUnits(baseUrl: string): Unit[] {
    const { config, metrics } = this;
    return [
      {
        name: 'broker',
        start: () => {
          // Public read-only topics public/{kind}/{sensorId} for map apps (open data, issue 5).
          const publish = (topic: string, payload: Buffer | string, retain: boolean): void => void this.broker.publish(topic, payload, { qos: 0, retain }).catch(() => undefined);
          this.publicMqtt = openData.createPublicMqtt({ registry: this.registry, metrics, publish });
          // OD-S10: SensorThings MQTT topics v1.1/Datastreams('id')/Observations on the same listener, published only while read (B43).
          this.staMqtt = openData.createStaMqtt({ registry: this.registry, metrics, baseUrl, publish });
          this.broker = createBroker(brokerOptions(this, this.publicMqtt, this.staMqtt));
        },
      },
      {
        name: 'pipeline',
        start: () => this.startPipeline(),
        // The last tick (checkpoint computed before partial windows are flushed): after the broker and
        // the HTTP API, before the alert service, the readings stream and the writer it writes to (SU4).
        stop: () => this.runTick(),
      },
      {
        name: 'mqtt listeners',
        start: async () => {
          // OD-P5: a busy port stops the start with the setting to change, not a raw stack.
          const bindSetting = (port: number) => (port === config.mqtt.publicWsPort ? 'mqtt.publicWsPort (CIVIC_WS_PORT, -1 = off)' : 'mqtt.port (CIVIC_MQTT_PORT)');
          // A failed start is this unit's own cleanup (SU2): the listeners already bound close.
          this.ports = await listenOrExplain(() => this.broker.start(), bindSetting, config.bind, config.mqtt.port).catch(async (err: unknown) => {
            await this.broker.stop();
            throw err;
          });
        },
        stop: () => this.broker.stop(),
      },
      {
        name: 'public MQTT feed',
        start: () => {
          const [publicMqtt, staMqtt] = [this.publicMqtt, this.staMqtt];
          if (config.openData.enabled && publicMqtt && staMqtt)
            this.publicFeed = this.ingest.readings$.subscribe(({ reading, sensor }) => {
              publicMqtt.onReading(reading, sensor);
              staMqtt.onReading(reading);
            });
        },
        stop: () => this.publicFeed?.unsubscribe(),
      },
    ];
  }

  /** The processor on the readings stream, restored alert state, the journal replay and the first tick. */
  private async startPipeline(): Promise<void> {
    const { config, logger, metrics } = this;
    this.processor = new AnalyticsPipeline({
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
  }

  /** The HTTP API (with the console, staff and admin routes), retained alert state, the clock, jobs, simulators. */
  private serviceUnits(ruleFiles: readonly string[], bulkDir: string, baseUrl: string): Unit[] {
    const { config, logger } = this;
    return [
      {
        name: 'api',
        start: async () => {
          this.admin = await openAdmin(this, registryPath(config), ruleFiles);
          // createApi registers every route group itself (public, open data, console, staff, admin).
          this.api = createApi(apiOptions(this, bulkDir, baseUrl, this.admin.routes));
          // A plugin that fails to load fails this unit, which undoes its own start (SU2).
          await this.api.loaded().catch(async (err: unknown) => {
            await this.api.stop().catch(() => undefined);
            await this.admin?.close();
            this.admin = undefined;
            throw err;
          });
        },
        // HTTP closes first, then the registry writer and audit log behind the admin API.
        stop: async () => {
          try {
            await this.api.stop();
          } finally {
            await this.admin?.close();
          }
        },
      },
      {
        name: 'http listener',
        start: async () => {
          const { port: httpPort, url } = await this.api.start();
          this.http = { httpPort, url };
          await this.admin?.announce(url);
        },
      },
      { name: 'retained alert state', start: () => this.alerts.service.republish() },
      {
        name: 'clock',
        start: () => void (this.tick = setInterval(() => void this.runTick(), config.analytics.tickMs)),
        stop: () => clearInterval(this.tick),
      },
      {
        name: 'daily export',
        start: () => {
          if (!config.openData.enabled) return;
          const run = (date: string) => openData.exportDay({ store: this.store, registry: this.registry, dir: bulkDir, date, logger, bom: config.openData.bulkCsvBom, baseUrl });
          this.dailyExport = openData.scheduleDailyExport({ logger, minuteOfDay: config.openData.dailyExportMinute, run });
        },
        stop: () => this.dailyExport?.stop(),
      },
      {
        name: 'simulators',
        start: async () => {
          if (!config.simulate.enabled) return;
          this.simulation = createSimulation(simulationOptions(this, this.ports.port, await loadCredentials(config.dataDir)));
          await this.simulation.start();
          logger.info({ credentials: credentialsPath(config.dataDir) }, 'simulators running');
        },
        stop: () => this.simulation?.stop(),
      },
    ];
  }

  /** Issue 12 (B37/B38): SIGHUP re-reads the TLS certificate, key, client CA and CRL for MQTT and HTTPS. */
  reloadTls(): void {
    this.broker.reloadTls();
    const https = apiHttps(this.config);
    if (https && this.api) (this.api.app.server as unknown as { setSecureContext?: (o: object) => void }).setSecureContext?.(https);
  }

  /** Re-reads the rule files (SIGHUP or the admin API) without losing alert state; a bad file keeps the old rules. */
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
        // J7: not awaited, so a slow disk never holds the next tick; writes coalesce, stop waits for them.
        this.journal.persistCheckpoint().catch((err: Error) => this.logger.error({ err }, 'journal checkpoint write failed; retried at the next tick'));
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
   * Graceful stop (SIGTERM/SIGINT): the units stop in exactly the reverse of their start
   * order (SU1): simulators, HTTP and the broker first (no new messages; in-flight ones
   * finish their group commit), then the last tick, the alert service, the store writer,
   * the journal and the store. Nothing acknowledged is lost: it is stored, or it stays in
   * the journal after the checkpoint and is replayed at the next start. A unit whose stop
   * fails is logged and the others still stop (SU3).
   */
  stop(): Promise<void> {
    this.stopping ??= this.units.stop().then((failed) => this.logger.info(failed.length ? { failed: failed.map((f) => f.unit) } : {}, 'civicstream stopped'));
    return this.stopping;
  }
}
