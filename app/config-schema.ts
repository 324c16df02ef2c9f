import { Type, type Static } from '@sinclair/typebox';

/**
 * The whole configuration as one schema: every field has a default and a unit in its
 * description. Loaded once (file, then CIVIC_* environment overrides), validated with
 * every error reported at once, then frozen (STYLE.md habit 5).
 */
const Port = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

export const ConfigSchema = Type.Object(
  {
    /** Directory for the journal, embedded store, seeded registry and exports. */
    dataDir: Type.String({ default: './data', description: 'data directory (journal, store, registry, exports)' }),
    /** Registry YAML; default `<dataDir>/registry.yaml`, seeded from config/registry.demo.yaml on first start. */
    registry: Type.Optional(Type.String({ description: 'sensor registry YAML path' })),
    bind: Type.String({ default: '127.0.0.1', description: 'address the MQTT and HTTP listeners bind to (0.0.0.0 for sensors on the network)' }),
    mqtt: Type.Object(
      {
        port: Port(1883, 'MQTT TCP port'),
        maxPacketBytes: Type.Integer({ minimum: 256, default: 65_536, description: 'bytes; larger MQTT packets close the connection' }),
        maxTopicLevels: Type.Integer({ minimum: 4, maximum: 100, default: 8, description: 'levels; deeper topics are refused' }),
        drainTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'ms a stuck subscriber may block before it is disconnected' }),
        connectTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'ms to wait for CONNECT' }),
        keepaliveLimitSeconds: Type.Integer({ minimum: 0, default: 1_200, description: 's; largest keep-alive a client may ask for (0 = any)' }),
        sensorRatePerSecond: Type.Number({ minimum: 0.01, default: 5, description: 'messages/s a sensor connection may sustain' }),
        sensorBurst: Type.Integer({ minimum: 1, default: 50, description: 'messages a sensor may send in a burst' }),
        gatewayRatePerSecond: Type.Number({ minimum: 0.01, default: 2_000, description: 'messages/s a gateway connection may sustain' }),
        gatewayBurst: Type.Integer({ minimum: 1, default: 20_000, description: 'messages a gateway may send in a burst' }),
        publicWsPort: Type.Integer({ minimum: -1, maximum: 65535, default: 9001, description: 'port of the public MQTT-over-WebSocket listener (anonymous read-only public/…); -1 = off' }),
        maxThrottleMs: Type.Integer({ minimum: 0, default: 30_000, description: 'ms; QoS 1 messages over the rate are delayed (backpressure), and a client owing more than this much budget is disconnected instead' }),
        // Issue 12 (B30–B42): listeners, TLS, failed-login defence.
        plainTcp: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('loopback'), Type.Literal('off')], { default: 'auto', description: "plain MQTT on mqtt.port: 'on' = on `bind`, 'loopback' = 127.0.0.1 only, 'off'; 'auto' = 'loopback' when tls is configured, else 'on'" }),
        tlsPort: Port(8883, 'MQTT over TLS port (only when tls is configured)'),
        deviceWsPort: Type.Integer({ minimum: -1, maximum: 65535, default: -1, description: 'port of the authenticated device MQTT-over-WebSocket listener (WSS when tls is configured), path /mqtt; -1 = off' }),
        loginFreeFailures: Type.Integer({ minimum: 1, default: 5, description: 'wrong secrets per identity or address before backoff starts' }),
        loginBaseLockMs: Type.Integer({ minimum: 1, default: 1_000, description: 'ms; first lock after loginFreeFailures, doubling per further failure' }),
        loginMaxLockMs: Type.Integer({ minimum: 1, default: 300_000, description: 'ms; longest lock' }),
        loginTableEntries: Type.Integer({ minimum: 100, default: 10_000, description: 'identities (and, separately, addresses) tracked for failed logins; oldest evicted' }),
        hashConcurrency: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'scrypt checks at once (of libuv’s 4 threads, which the journal’s fsync also uses)' }),
        maxHashQueue: Type.Integer({ minimum: 0, default: 256, description: 'CONNECTs waiting for a secret check; beyond it CONNACK 3 (retry later)' }),
        unauthenticatedDeadLettersPerSecond: Type.Number({ minimum: 0.01, default: 1, description: 'dead letters/s from peers that never authenticated (the rest are only counted)' }),
      },
      { default: {} },
    ),
    /** Issue 12: TLS for MQTT (mqtt.tlsPort, device WSS) and HTTPS for the API; reloaded on SIGHUP. */
    tls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ description: 'server certificate chain (PEM)' }),
          keyFile: Type.String({ description: 'server private key (PEM)' }),
          clientCaFile: Type.Optional(Type.String({ description: 'CA (PEM) that issues device client certificates; set = mutual TLS (identity by SAN or CN)' })),
          crlFile: Type.Optional(Type.String({ description: 'CRL (PEM) of that CA; re-read on SIGHUP' })),
          https: Type.Boolean({ default: true, description: 'serve the HTTP API over HTTPS with the same certificate' }),
        },
        { additionalProperties: false },
      ),
    ),
    http: Type.Object(
      {
        port: Port(8080, 'HTTP API port'),
        publicBaseUrl: Type.Optional(Type.String({ description: 'base URL used in links (default http://<bind>:<port>)' })),
        rateLimitMax: Type.Integer({ minimum: 0, default: 600, description: 'requests per client address per window and route family (/api, /api/v1/staff, /open-data, /sta, /docs, ops); 0 = no limit (benchmarks only)' }),
        rateLimitWindowSeconds: Type.Integer({ minimum: 1, default: 60, description: 's; the rate-limit window' }),
      },
      { default: {} },
    ),
    alerts: Type.Object(
      {
        ruleFiles: Type.Array(Type.String(), { default: [], description: 'alert rule YAML files; empty = the shipped config/rules.default.yaml' }),
        contactsFile: Type.Optional(Type.String({ description: 'contacts and subscriptions YAML (routing to e-mail and webhooks); see config/contacts.example.yaml' })),
        aqiTableFile: Type.Optional(Type.String({ description: 'AQI breakpoint table JSON overriding the shipped alerts/aqi/moenv-2025.json (same format; AQ6)' })),
        smtp: Type.Optional(
          Type.Object(
            {
              host: Type.String(),
              port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
              secure: Type.Optional(Type.Boolean({ description: 'TLS from the start (port 465)' })),
              requireTLS: Type.Optional(Type.Boolean({ description: 'require STARTTLS' })),
              user: Type.Optional(Type.String()),
              pass: Type.Optional(Type.String()),
              from: Type.String({ description: 'sender address' }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { default: {} },
    ),
    console: Type.Object(
      {
        basemapUrl: Type.Optional(Type.String({ description: 'map background tile URL template ({z}/{x}/{y}, or WMTS {TileMatrix}/{TileRow}/{TileCol}); absent = no basemap, works offline' })),
        basemapAttribution: Type.Optional(Type.String({ description: 'credit line shown on the map for the basemap' })),
        sessionIdleMinutes: Type.Integer({ minimum: 1, default: 30, description: 'staff console session idle expiry (minutes)' }),
        sessionMaxHours: Type.Number({ exclusiveMinimum: 0, default: 12, description: 'staff console session absolute expiry (hours, one duty shift)' }),
      },
      { default: {} },
    ),
    openData: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'serve the public open-data feeds (catalogue, REST, SensorThings, CAP, live, bulk)' }),
        dailyExportMinute: Type.Integer({ minimum: 0, maximum: 1439, default: 30, description: 'minutes after local midnight when the previous day is dumped' }),
        agencyZh: Type.String({ default: '桃園市政府', description: 'publishing agency (zh-TW)' }),
        agencyEn: Type.String({ default: 'Taoyuan City Government' }),
        contactName: Type.String({ default: 'civicstream open data' }),
        contactEmail: Type.String({ default: 'opendata@example.gov.tw' }),
        contactPhone: Type.String({ default: '', description: 'contact phone (data.gov.tw 聯絡人電話, CAP <contact>)' }),
        homepage: Type.Optional(Type.String({ description: 'publisher home page (catalogue, Atom author); default the public base URL' })),
        capSender: Type.Optional(Type.String({ description: 'CAP <sender> (a domain or mail address unique to the publisher); default the host of the public base URL' })),
        capExpiresMinutes: Type.Integer({ minimum: 1, maximum: 10_080, default: 360, description: 'min; CAP <expires> after <effective> when a rule sets no cap.expiresMinutes' }),
        staMqttUrl: Type.Optional(Type.String({ description: 'public URL of the MQTT-over-WebSocket listener as readers reach it, listed in the SensorThings serverSettings (OD-S10); default ws://<public host>:<mqtt.publicWsPort>/mqtt' })),
        bulkCsvBom: Type.Boolean({ default: true, description: 'UTF-8 BOM at the start of the daily bulk CSV files (Excel on zh-TW Windows needs it; DuckDB, pandas and Spark skip it)' }),
      },
      { default: {} },
    ),
    ingest: Type.Object(
      {
        maxFutureSkewSeconds: Type.Integer({ minimum: 0, default: 300, description: 's a device clock may run ahead; beyond it receive time is used (flag CLOCK_SKEW)' }),
        maxPastSkewSeconds: Type.Integer({ minimum: 0, default: 604_800, description: 's a device time may lag (buffered uploads, a week of gateway outage); beyond it receive time is used (flag CLOCK_SKEW)' }),
        rejectOlderThanDays: Type.Integer({ minimum: 1, default: 30, description: 'days; older device times are dead-lettered (TIMESTAMP_RANGE)' }),
        deadLetterPayloadBytes: Type.Integer({ minimum: 64, default: 4_096, description: 'bytes of raw payload kept in a dead letter' }),
      },
      { default: {} },
    ),
    journal: Type.Object(
      {
        segmentBytes: Type.Integer({ minimum: 65_536, default: 64 * 1024 * 1024, description: 'bytes per journal segment file' }),
        fsync: Type.Boolean({ default: true, description: 'fdatasync each group commit before acknowledging (turn off only for benchmarks of the bare cost)' }),
      },
      { default: {} },
    ),
    analytics: Type.Object(
      {
        allowedLatenessSeconds: Type.Integer({ minimum: 0, default: 60, description: 's behind real time a window stays open for late readings' }),
        tickMs: Type.Integer({ minimum: 50, default: 1_000, description: 'ms between clock ticks (window close, store flush, checkpoint)' }),
        lateHorizonDays: Type.Number({ minimum: 0, default: 7, description: 'days; late readings up to this old are re-aggregated into their windows (LA2)' }),
      },
      { default: {} },
    ),
    storage: Type.Object(
      {
        adapter: Type.Union([Type.Literal('duckdb'), Type.Literal('influxdb'), Type.Literal('both')], { default: 'duckdb', description: 'embedded DuckDB, InfluxDB, or both (InfluxDB for history/Grafana, DuckDB for the API)' }),
        maxBatch: Type.Integer({ minimum: 1, default: 5_000, description: 'readings per store write batch' }),
        influxdb: Type.Object(
          {
            url: Type.String({ default: 'http://127.0.0.1:8086' }),
            api: Type.Union([Type.Literal('v1'), Type.Literal('v2')], { default: 'v1', description: 'v1: /write + /query (1.x, 2.x via DBRP, 3.x); v2: /api/v2/write' }),
            database: Type.String({ default: 'civicstream' }),
            username: Type.Optional(Type.String()),
            password: Type.Optional(Type.String()),
            org: Type.Optional(Type.String()),
            bucket: Type.Optional(Type.String()),
            token: Type.Optional(Type.String()),
            retention: Type.Object(
              {
                raw: Type.String({ default: '30d' }),
                agg1m: Type.String({ default: '365d' }),
                agg1h: Type.String({ default: 'INF' }),
              },
              { default: {} },
            ),
          },
          { default: {} },
        ),
      },
      { default: {} },
    ),
    simulate: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'run the built-in simulators with `start`' }),
        speed: Type.Number({ exclusiveMinimum: 0, default: 1, description: 'simulated seconds per real second' }),
        seed: Type.Integer({ default: 20_181_001 }),
        qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 1 }),
        malformedRate: Type.Number({ minimum: 0, maximum: 1, default: 0.002, description: 'share of simulated messages sent malformed (fault injection)' }),
        spikeRate: Type.Number({ minimum: 0, maximum: 1, default: 0.001 }),
        silentSensors: Type.Integer({ minimum: 0, default: 1 }),
        stuckSensors: Type.Integer({ minimum: 0, default: 1 }),
      },
      { default: {} },
    ),
    log: Type.Object(
      { level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }) },
      { default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/**
 * Environment overrides: variable → config path. Documented in README "Configuration".
 * Values are parsed as JSON where that yields a number/boolean, otherwise taken as strings.
 */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  CIVIC_DATA_DIR: 'dataDir',
  CIVIC_REGISTRY: 'registry',
  CIVIC_BIND: 'bind',
  CIVIC_MQTT_PORT: 'mqtt.port',
  CIVIC_HTTP_PORT: 'http.port',
  CIVIC_WS_PORT: 'mqtt.publicWsPort',
  CIVIC_MQTT_TLS_PORT: 'mqtt.tlsPort',
  CIVIC_DEVICE_WS_PORT: 'mqtt.deviceWsPort',
  CIVIC_MQTT_PLAIN: 'mqtt.plainTcp',
  CIVIC_TLS_CERT: 'tls.certFile',
  CIVIC_TLS_KEY: 'tls.keyFile',
  CIVIC_TLS_CLIENT_CA: 'tls.clientCaFile',
  CIVIC_TLS_CRL: 'tls.crlFile',
  CIVIC_OPEN_DATA: 'openData.enabled',
  CIVIC_CONTACTS: 'alerts.contactsFile',
  CIVIC_SMTP_HOST: 'alerts.smtp.host',
  CIVIC_SMTP_PORT: 'alerts.smtp.port',
  CIVIC_SMTP_FROM: 'alerts.smtp.from',
  CIVIC_SMTP_USER: 'alerts.smtp.user',
  CIVIC_SMTP_PASSWORD: 'alerts.smtp.pass',
  CIVIC_PUBLIC_URL: 'http.publicBaseUrl',
  CIVIC_BASEMAP_URL: 'console.basemapUrl',
  CIVIC_SIMULATE: 'simulate.enabled',
  CIVIC_SIM_SPEED: 'simulate.speed',
  CIVIC_SIM_SEED: 'simulate.seed',
  CIVIC_STORE: 'storage.adapter',
  CIVIC_INFLUX_URL: 'storage.influxdb.url',
  CIVIC_INFLUX_API: 'storage.influxdb.api',
  CIVIC_INFLUX_DB: 'storage.influxdb.database',
  CIVIC_INFLUX_USER: 'storage.influxdb.username',
  CIVIC_INFLUX_PASSWORD: 'storage.influxdb.password',
  CIVIC_INFLUX_ORG: 'storage.influxdb.org',
  CIVIC_INFLUX_BUCKET: 'storage.influxdb.bucket',
  CIVIC_INFLUX_TOKEN: 'storage.influxdb.token',
  CIVIC_JOURNAL_FSYNC: 'journal.fsync',
  CIVIC_LOG_LEVEL: 'log.level',
};
