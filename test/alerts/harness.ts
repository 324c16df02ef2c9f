import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes, type Client } from 'aedes';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { Registry as MetricsRegistry } from 'prom-client';
import { createAlerts, type Alerts } from '../../alerts/index.ts';
import { authenticateStaff, staffMaySubscribe, type StaffPrincipal } from '../../alerts/mqtt-acl.ts';
import { verifyWebhook } from '../../alerts/delivery/webhook.ts';
import { parseSensorTopic, type Reading, type Sensor } from '../../domain/index.ts';
import { staffRoutes } from '../../exporter/staff/index.ts';

/**
 * In-process harness for the alert end-to-end tests, built only from parts this
 * folder owns plus real servers: an aedes broker whose hooks apply the staff ACL
 * (alerts/mqtt-acl.ts: staff read-only on alerts/#) and accept the test sensors, the
 * alert runtime (createAlerts: engine, state store, delivery), the staff API plugin on a
 * real Fastify listener, a real SMTP server (smtp-server) and a real webhook receiver
 * that verifies the HMAC signature. The app's own broker (broker/) has no staff
 * principals yet; the lead wires the same ACL there (see the report).
 */
export const SENSOR_SECRET = 'harness-sensor-secret';
export const LOAD_GATEWAY = 'load-gateway';
export const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789abcdef';

export interface Harness {
  alerts: Alerts;
  mqttUrl: string;
  apiUrl: string;
  mails: { to: string[]; data: string; at: number }[];
  hooks: { body: any; verified: boolean; at: number }[];
  dataDir: string;
  /** Restart only the alert runtime (same state dir), as a process restart would. */
  restartAlerts(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(o: { sensors: Sensor[]; rulesFile: string; contactsYaml: (webhookUrl: string) => string; dataDir?: string; tickMs?: number }): Promise<Harness> {
  const dataDir = o.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'civic-alerts-e2e-')));
  const logger = pino({ level: 'silent' });
  const byId = new Map(o.sensors.map((s) => [s.id, s]));

  // Real SMTP server.
  const mails: Harness['mails'] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data, at: Date.now() });
        cb();
      });
    },
  });
  const smtpPort = await new Promise<number>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as AddressInfo).port)));

  // Real webhook receiver verifying WH1/WH2.
  const hooks: Harness['hooks'] = [];
  const receiver: HttpServer = createHttpServer((req: IncomingMessage, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const v = verifyWebhook(WEBHOOK_SECRET, req.headers, raw, Date.now());
      hooks.push({ body: JSON.parse(raw), verified: v.ok, at: Date.now() });
      res.statusCode = v.ok ? 204 : 401;
      res.end();
    });
  });
  const hookPort = await new Promise<number>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve((receiver.address() as AddressInfo).port)));
  const contactsFile = path.join(dataDir, 'contacts.yaml');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(contactsFile, o.contactsYaml(`http://127.0.0.1:${hookPort}/hook`));

  // Broker with the staff ACL.
  const principals = new WeakMap<Client, StaffPrincipal | { type: 'sensor'; id: string }>();
  let alerts: Alerts;
  let seq = 1;
  const lastTs = new Map<string, number>();
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, cb) {
      const staff = authenticateStaff(alerts.store, username, password);
      if (staff) {
        principals.set(client, staff);
        return cb(null, true);
      }
      // A load-generating gateway may publish for any registered sensor (benchmarks).
      if (username === LOAD_GATEWAY && password?.toString() === SENSOR_SECRET) {
        principals.set(client, { type: 'sensor', id: LOAD_GATEWAY });
        return cb(null, true);
      }
      if (username && byId.has(username) && password?.toString() === SENSOR_SECRET) {
        principals.set(client, { type: 'sensor', id: username });
        return cb(null, true);
      }
      cb(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as never, false);
    },
    authorizePublish(client, packet, cb) {
      const p = client ? principals.get(client) : undefined;
      const t = parseSensorTopic(packet.topic);
      // MQ3: staff never publish; sensors only their own topics.
      if (!p || p.type === 'staff' || !t || (t.sensorId !== p.id && p.id !== LOAD_GATEWAY)) return cb(new Error('not authorized'));
      cb(null);
    },
    authorizeSubscribe(client, sub, cb) {
      const p = principals.get(client);
      cb(null, p?.type === 'staff' && staffMaySubscribe(sub.topic) ? sub : null); // MQ2
    },
    published(packet, client, cb) {
      cb();
      if (!client) return;
      const t = parseSensorTopic(packet.topic);
      const sensor = t && byId.get(t.sensorId);
      if (!t || !sensor || t.channel !== 'telemetry') return;
      const values = JSON.parse(packet.payload.toString()) as Record<string, number>;
      // Event time = receive time, kept strictly increasing per sensor: two readings in the
      // same millisecond would otherwise look like a replay to AE4 and be skipped.
      const now = Math.max(Date.now(), (lastTs.get(sensor.id) ?? 0) + 1);
      lastTs.set(sensor.id, now);
      const r: Reading = { seq: seq++, sensorId: sensor.id, kind: sensor.kind, district: sensor.district.code, ts: now, receivedAt: now, flags: 0, values };
      alerts.service.onReading(r, sensor);
    },
  });
  const mqttServer: Server = createServer({ noDelay: true }, (s) => broker.handle(s));
  const mqttPort = await new Promise<number>((resolve) => mqttServer.listen(0, '127.0.0.1', () => resolve((mqttServer.address() as AddressInfo).port)));
  const mqttPublish = (topic: string, payload: string, retain: boolean) =>
    new Promise<void>((resolve, reject) => broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve())));

  let api: FastifyInstance;
  let apiUrl = '';
  let tick: NodeJS.Timeout;
  const boot = async (port: number): Promise<void> => {
    alerts = await createAlerts({
      ruleFiles: [o.rulesFile],
      contactsFile,
      stateDir: path.join(dataDir, 'alerts'),
      smtp: { host: '127.0.0.1', port: smtpPort, ignoreTLS: true, from: 'alerts@civicstream.example' },
      baseUrl: 'http://127.0.0.1:' + port,
      sensors: () => o.sensors,
      districtName: (code) => o.sensors.find((s) => s.district.code === code)?.district.name,
      mqttPublish,
      retry: { maxAttempts: 3, baseMs: 20, maxMs: 100 },
      logger,
      metrics: new MetricsRegistry(),
    });
    await alerts.service.restore();
    alerts.service.republish();
    api = Fastify({ forceCloseConnections: true });
    await api.register(staffRoutes, { prefix: '/api/v1/staff', service: alerts.service, reloadRules: () => alerts.reloadRules() });
    await api.listen({ port, host: '127.0.0.1' });
    apiUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    tick = setInterval(() => {
      const now = Date.now();
      alerts.service.tick(now);
    }, o.tickMs ?? 50);
  };
  const halt = async (): Promise<void> => {
    clearInterval(tick);
    alerts.sse.close();
    await api.close();
    await alerts.close();
  };
  await boot(0);
  const h: Harness = {
    get alerts() {
      return alerts;
    },
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    get apiUrl() {
      return apiUrl;
    },
    mails,
    hooks,
    dataDir,
    async restartAlerts() {
      const port = Number(new URL(apiUrl).port);
      await halt();
      await boot(port);
    },
    async stop() {
      await halt();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => mqttServer.close(() => resolve()));
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
