/**
 * The MQTT front door: aedes with our hooks, behind a TCP server and a packet-size guard.
 *
 * Broker rules (cited where enforced and in test/broker/):
 * B1  CONNECT needs credentials: no username → CONNACK 5, unknown user / wrong secret → 4 (MQTT 3.1.1 §3.2.2.3)
 * B2  client id must be non-empty and not held by another principal's live connection → 2 (§3.1.3.1)
 * B3  a Will may only be on the principal's own T2 status topic (a gateway: one of its sensors') → 5
 * B4  a sensor publishes only under sensors/{ownKind}/{ownId}/; anything else (other sensors, alerts/, $SYS/,
 *     public/) → NOT_AUTHORIZED and the connection is closed (§3.3.5)
 * B5  a gateway publishes only for sensors registered with it; an unregistered id → UNKNOWN_SENSOR, acknowledged, dropped
 * B6  own prefix but not T1/T2 (incl. T3 rejections) → BAD_TOPIC, acknowledged, dropped
 * B7  per-connection token bucket (sensor / gateway budgets): QoS 0 over budget → RATE_LIMITED, dropped;
 *     QoS 1/2 over budget → delayed (backpressure), never acknowledged-and-dropped; a backlog beyond
 *     maxThrottleMs of budget → RATE_LIMITED and the connection is closed without acknowledging
 * B8  packets larger than maxPacketBytes close the connection before their body is read → OVERSIZED
 * B9  QoS 1 PUBACK is sent only after onInbound's done (acknowledged = durable)
 * B10 subscriptions only inside an owned sensor's subtree sensors/{kind}/{id}/…; others get SUBACK 0x80
 * B11 nothing under `$` is forwarded to devices
 * B12 every socket has TCP_NODELAY (aedes' default server adds ~40 ms: Nagle + delayed ACK)
 * B14 staff log in with their name and API token (checked by staffAuth, stored as a hash); they may only
 *     subscribe to alerts/… and publish nothing
 * B13 the optional public WebSocket listener admits anonymous readers, who may subscribe only to the
 *     filters the exporter allows (public/…) and publish nothing; credentials work there as on TCP
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { Aedes, type Client } from 'aedes';
import { VerifiedSecretCache } from '../registry/index.ts';
import { createConnectHooks } from './authenticate.ts';
import { authorizeForward } from './authorize-forward.ts';
import { createAuthorizePublish } from './authorize-publish.ts';
import { createAuthorizeSubscribe } from './authorize-subscribe.ts';
import type { BrokerRejection, Principal } from './contract.ts';
import { GuardedSocket } from './guarded-socket.ts';
import { createBrokerMetrics } from './metrics.ts';
import type { BrokerOptions } from './options.ts';
import { PacketSizeGuard, type GuardViolation } from './packet-size-guard.ts';
import type { Sessions } from './session.ts';

export type { BrokerLimits, BrokerOptions, PublicWebSocketOptions } from './options.ts';
export type { BrokerRejection, InboundHandler, InboundMessage, Principal } from './contract.ts';
export { DISCARD_TOPIC } from './authorize-publish.ts';

export interface CivicBroker {
  /** `wsPort` is the public WebSocket listener's port when one is configured. */
  start(): Promise<{ port: number; wsPort?: number }>;
  /** Stops accepting, closes every client (Wills fire), closes aedes. */
  stop(): Promise<void>;
  /** Pipeline-internal publish (alerts/…, T3 rejection notices); bypasses the ACL. */
  publish(topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  readonly connectedClients: number;
}

export function createBroker(opts: BrokerOptions): CivicBroker {
  const log = opts.logger.child({ module: 'broker' });
  const { registry, limits } = opts;
  const sessions: Sessions = new WeakMap();
  const liveClients = new Map<string, Client>();
  const sockets = new Set<Socket>();
  let aedes: Aedes | undefined;
  let server: Server | undefined;
  let wsHttp: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  let wsPort: number | undefined;
  const publicStreams = new WeakSet<object>();
  const metrics = createBrokerMetrics(opts.metrics, () => aedes?.connectedClients ?? 0);

  const reject = (r: BrokerRejection): void => {
    metrics.rejected.inc({ reason: r.reason });
    log.debug({ reason: r.reason, topic: r.topic, clientId: r.clientId }, r.message);
    try {
      opts.onRejected(r);
    } catch (err) {
      log.error({ err }, 'onRejected handler threw');
    }
  };
  const connection = (client: Client, connected: boolean): void => {
    const principal = sessions.get(client)?.principal;
    if (principal && opts.onConnection) opts.onConnection(principal, client.id, connected);
  };
  const ownerOf = (clientId: string): Principal | undefined => {
    const client = liveClients.get(clientId);
    return client ? sessions.get(client)?.principal : undefined;
  };

  function accept(socket: Socket): void {
    const broker = aedes;
    if (!broker) return void socket.destroy(); // accepted while stopping
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let client: Client | undefined;
    const onViolation = (v: GuardViolation): void => {
      const clientId = client?.id ?? '';
      if (v.kind === 'malformed') {
        log.info({ clientId, remote: socket.remoteAddress }, `malformed MQTT header: ${v.detail}`);
        return;
      }
      const principal = client ? sessions.get(client)?.principal : undefined;
      reject({
        reason: 'OVERSIZED',
        message: `packet of ${v.packetBytes} bytes exceeds the ${limits.maxPacketBytes}-byte limit`,
        topic: v.topic,
        clientId,
        ...(principal?.type === 'sensor' ? { sensorId: principal.id } : {}),
        payloadBytes: v.packetBytes,
      });
    };
    client = broker.handle(new GuardedSocket(socket, new PacketSizeGuard(limits.maxPacketBytes), onViolation));
  }

  return {
    async start() {
      const hooks = createConnectHooks({ registry, secrets: new VerifiedSecretCache(), sessions, limits, metrics, logger: log, ownerOf, isPublicConnection: (c) => publicStreams.has(c.conn), ...(opts.staffAuth ? { staffAuth: opts.staffAuth } : {}) });
      aedes = await Aedes.createBroker({
        ...hooks,
        authorizePublish: createAuthorizePublish({ registry, sessions, onInbound: opts.onInbound, reject, metrics, logger: log, maxThrottleMs: limits.maxThrottleMs }),
        authorizeSubscribe: createAuthorizeSubscribe(registry, sessions, log, opts.publicWebSocket?.maySubscribe),
        authorizeForward,
        maxTopicLevels: limits.maxTopicLevels,
        drainTimeout: limits.drainTimeoutMs,
        connectTimeout: limits.connectTimeoutMs,
        keepaliveLimit: limits.keepaliveLimitSeconds,
      });
      aedes.on('clientReady', (client) => {
        liveClients.set(client.id, client);
        connection(client, true);
      });
      aedes.on('clientDisconnect', (client) => {
        if (liveClients.get(client.id) === client) liveClients.delete(client.id);
        connection(client, false);
      });
      aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
      aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));
      const srv = createServer({ noDelay: true }, accept); // B12
      server = srv;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(opts.port, opts.host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      log.info({ host: opts.host, port }, 'MQTT broker listening');
      if (opts.publicWebSocket) {
        const pw = opts.publicWebSocket;
        const http = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
        // maxPayload bounds one WebSocket message like maxPacketBytes bounds a TCP packet (B8).
        const ws = new WebSocketServer({ server: http, path: pw.path, maxPayload: limits.maxPacketBytes });
        // ws re-emits the HTTP server's errors; a busy port is reported by the listen promise below (OD-P5), not as an uncaught exception.
        ws.on('error', (err) => log.debug({ err: err.message }, 'public WebSocket server error'));
        ws.on('connection', (socket) => {
          const stream: Duplex = createWebSocketStream(socket);
          stream.on('error', () => stream.destroy());
          publicStreams.add(stream);
          aedes?.handle(stream);
        });
        await new Promise<void>((resolve, reject) => {
          http.once('error', reject);
          http.listen(pw.port, pw.host, () => resolve());
        });
        wsHttp = http;
        wss = ws;
        const a = http.address();
        wsPort = typeof a === 'object' && a ? a.port : pw.port;
        log.info({ host: pw.host, port: wsPort, path: pw.path }, 'public MQTT-over-WebSocket listening');
      }
      return { port, ...(wsPort !== undefined ? { wsPort } : {}) };
    },

    async stop() {
      const srv = server;
      const broker = aedes;
      server = undefined;
      aedes = undefined;
      if (!srv || !broker) return;
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      if (wss && wsHttp) {
        for (const c of wss.clients) c.terminate();
        const h = wsHttp;
        await new Promise<void>((resolve) => wss?.close(() => resolve()));
        await new Promise<void>((resolve) => h.close(() => resolve()));
        wss = undefined;
        wsHttp = undefined;
      }
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      // Sockets that never sent CONNECT are not aedes clients; close them too.
      for (const socket of sockets) socket.destroy();
      await closed;
    },

    publish(topic, payload, o = {}) {
      const broker = aedes;
      if (!broker) return Promise.reject(new Error('broker is not started'));
      const packet = { cmd: 'publish' as const, topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: o.qos ?? 0, retain: o.retain ?? false, dup: false };
      return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
    },

    get connectedClients() {
      return aedes?.connectedClients ?? 0;
    },
  };
}
