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
 * B15 an integration principal (registry `integrations:`) subscribes only inside its `read` patterns and
 *     publishes only where its `publish` patterns grant, always under integrations/{id}/ (never sensors/…)
 * B16 disconnectPrincipal(id) closes every live session of a principal at once (rotated/revoked
 *     credential, disabled, deleted: RG1); the next CONNECT is checked against the live registry
 * B13 the optional public WebSocket listener admits anonymous readers, who may subscribe only to the
 *     filters the exporter allows (public/…) and publish nothing; a CONNECT with any credentials is refused
 *     there with code 5 (devices use the device listeners, B37)
 * B30 connection bookkeeping: a client id is held only by a live connection (CONNECT+FIN, quick disconnects
 *     and takeovers leave nothing behind); another registered principal's own id is refused with code 2
 * B31 every session that got CONNACK 0 is reported up exactly once and down exactly once, a takeover's
 *     old session down before the new one up (broker/connections.ts)
 * B32 a Will with QoS 3, an empty or wildcard topic, or a bad UTF-8 topic closes the connection without CONNACK
 * B33 ill-formed UTF-8 or U+0000 in a PUBLISH topic, a SUBSCRIBE filter or the client id closes the connection
 * B34 keep-alive: any value is accepted (never the reserved CONNACK 6); 0 or above mqtt.keepaliveLimitSeconds
 *     is served as the limit, a silent connection is closed after 1.5 × that
 * B35 failed logins back off per identity and per address (bounded tables, counted, logged); a known-good
 *     secret still passes (broker/login-throttle.ts)
 * B36 scrypt runs through a gate of mqtt.hashConcurrency (default 1) with a bounded queue, verified secrets
 *     are cached, so a login storm cannot take the thread pool the journal's fsync needs
 * B37 listeners: plain TCP (loopback-only or off when TLS is on), MQTT over TLS 1.2+ (8883), device
 *     WebSocket (WSS with TLS) — all with the same authentication and ACLs; certificates reload on SIGHUP
 * B38 mutual TLS: a client certificate that verifies against mqtt tls.clientCaFile and is not in tls.crlFile
 *     names its principal by SAN (DNS/URI) or CN; a username, if sent, must match; the CRL reloads on SIGHUP
 * B39 violations by peers that never authenticated are counted; dead letters from them are sampled
 *     (token bucket), never one row per connection
 * B40 deliveries never exceed the QoS granted to the matching subscription (retained ones included)
 * B41 a PUBLISH deeper than mqtt.maxTopicLevels under the principal's own prefix is acknowledged and
 *     dead-lettered BAD_TOPIC; a deeper SUBSCRIBE filter gets 0x80, the other filters stand
 * B42 unacknowledged QoS 1 deliveries re-sent after a reconnect carry DUP = 1 (§4.4)
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Transform } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { createConnectHooks } from './authenticate.ts';
import { authorizeForward } from './authorize-forward.ts';
import { createAuthorizePublish } from './authorize-publish.ts';
import { createAuthorizeSubscribe } from './authorize-subscribe.ts';
import { createConnectionBook, type ConnectionBook } from './connections.ts';
import type { BrokerRejection, Principal } from './contract.ts';
import { GuardedSocket } from './guarded-socket.ts';
import { listenTcp, listenTls, listenWebSocket, type Accepted, type Listener } from './listeners.ts';
import { CredentialChecker, DEFAULT_CHECKER } from './login-throttle.ts';
import { createBrokerMetrics } from './metrics.ts';
import type { BrokerOptions } from './options.ts';
import { PacketSizeGuard, type GuardViolation } from './packet-size-guard.ts';
import type { Sessions } from './session.ts';
import { certificateNames, readTlsOptions } from './tls.ts';
import { TokenBucket } from './token-bucket.ts';

export type { BrokerLimits, BrokerOptions, BrokerTlsOptions, DeviceWebSocketOptions, PublicSubscriptionEvent, PublicWebSocketOptions } from './options.ts';
export type { BrokerRejection, InboundHandler, InboundMessage, Principal } from './contract.ts';
export { DISCARD_TOPIC } from './authorize-publish.ts';
export { readTlsOptions, type TlsFiles } from './tls.ts';

export interface BrokerPorts {
  /** Plain TCP port; absent when plain TCP is off (port -1). */
  port?: number;
  tlsPort?: number;
  deviceWsPort?: number;
  /** The public WebSocket listener's port when one is configured. */
  wsPort?: number;
}

export interface CivicBroker {
  start(): Promise<BrokerPorts & { port: number }>;
  /** Stops accepting, closes every client (Wills fire), closes aedes. */
  stop(): Promise<void>;
  /** Pipeline-internal publish (alerts/…, T3 rejection notices); bypasses the ACL. */
  publish(topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** B37/B38: re-reads the TLS certificate, key, client CA and CRL files (SIGHUP). A bad file keeps the old ones. */
  reloadTls(): void;
  readonly connectedClients: number;
  /** Live connections that got CONNACK 0 (B30); equals connectedClients unless bookkeeping drifted. */
  readonly liveConnections: number;
  /** B16: closes every live session of principal `id` (of `type`, when given); returns how many. */
  disconnectPrincipal(id: string, type?: Principal['type']): number;
  /** Live sessions counted by principal type (`civicstream status`). */
  connections(): Record<Principal['type'], number>;
}

/** aedes' own ceiling (its bundled trie throws beyond it); our limit is applied in the hooks (B41). */
const AEDES_MAX_TOPIC_LEVELS = 100;

export function createBroker(opts: BrokerOptions): CivicBroker {
  const log = opts.logger.child({ module: 'broker' });
  const { registry, limits } = opts;
  const sessions: Sessions = new WeakMap();
  const streams = new Set<Duplex>();
  const listeners: Listener[] = [];
  const tlsListeners: Listener[] = [];
  let aedes: Aedes | undefined;
  let book: ConnectionBook | undefined;
  const publicStreams = new WeakSet<object>();
  const certNames = new WeakMap<object, string[]>();
  const addresses = new WeakMap<object, string>();
  const metrics = createBrokerMetrics(opts.metrics, () => aedes?.connectedClients ?? 0);
  const credentials = new CredentialChecker({ ...DEFAULT_CHECKER, ...opts.loginThrottle });
  // B39: dead letters from peers that never authenticated are sampled.
  const unauthRate = opts.unauthenticatedDeadLettersPerSecond ?? 1;
  const unauthBucket = new TokenBucket(unauthRate, Math.max(1, unauthRate), performance.now());

  const reject = (r: BrokerRejection): void => {
    metrics.rejected.inc({ reason: r.reason });
    log.debug({ reason: r.reason, topic: r.topic, clientId: r.clientId }, r.message);
    try {
      opts.onRejected(r);
    } catch (err) {
      log.error({ err }, 'onRejected handler threw');
    }
  };

  function accept(a: Accepted, isPublic: boolean): void {
    const broker = aedes;
    const bookkeeping = book;
    if (!broker || !bookkeeping) return void a.stream.destroy(); // accepted while stopping
    streams.add(a.stream);
    a.stream.once('close', () => streams.delete(a.stream));
    let client: Client | undefined;
    const onViolation = (v: GuardViolation): void => {
      const clientId = client?.id ?? '';
      if (v.kind === 'malformed') {
        log.info({ clientId, remote: a.remoteAddress }, `malformed MQTT header: ${v.detail}`);
        return;
      }
      const principal = client ? sessions.get(client)?.principal : undefined;
      if (!principal) {
        // B39: nobody to attribute it to; count every one, dead-letter a sample.
        if (!unauthBucket.take(performance.now())) return void metrics.unauthenticated.inc({ outcome: 'dropped' });
        metrics.unauthenticated.inc({ outcome: 'sampled' });
      }
      reject({
        reason: 'OVERSIZED',
        message: `packet of ${v.packetBytes} bytes exceeds the ${limits.maxPacketBytes}-byte limit${principal ? '' : ' (unauthenticated peer; sampled)'}`,
        topic: v.topic,
        clientId,
        ...(principal?.type === 'sensor' ? { sensorId: principal.id } : {}),
        payloadBytes: v.packetBytes,
      });
    };
    const guarded = new GuardedSocket(a.stream, new PacketSizeGuard(limits.maxPacketBytes), onViolation, a.remoteAddress);
    if (isPublic) publicStreams.add(guarded);
    if (a.remoteAddress) addresses.set(guarded, a.remoteAddress);
    if (a.tls) certNames.set(guarded, certificateNames(a.tls));
    client = broker.handle(guarded);
    bookkeeping.adopt(guarded, client);
  }

  /** B38: the first certificate name that is a registered principal (else the first name, to be refused by name). */
  const certificateIdentity = (client: Client): string | undefined => {
    const names = certNames.get(client.conn);
    if (!names || names.length === 0) return undefined;
    return names.find((n) => registry.sensor(n) !== undefined || registry.gateway(n) !== undefined) ?? names[0];
  };

  return {
    async start() {
      const hooks = createConnectHooks({
        registry,
        credentials,
        addressOf: (c) => addresses.get(c.conn) ?? 'unknown',
        certificateIdentity,
        sessions,
        limits,
        metrics,
        logger: log,
        ownerOf: (id) => book?.ownerOf(id),
        isPublicConnection: (c) => publicStreams.has(c.conn),
        ...(opts.staffAuth ? { staffAuth: opts.staffAuth } : {}),
      });
      const broker = await Aedes.createBroker({
        ...hooks,
        authorizePublish: createAuthorizePublish({ registry, sessions, onInbound: opts.onInbound, reject, metrics, logger: log, maxThrottleMs: limits.maxThrottleMs, maxTopicLevels: limits.maxTopicLevels }),
        authorizeSubscribe: createAuthorizeSubscribe(registry, sessions, log, opts.publicWebSocket?.maySubscribe, limits.maxTopicLevels),
        authorizeForward,
        maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
        drainTimeout: limits.drainTimeoutMs,
        connectTimeout: limits.connectTimeoutMs,
        // B34: the limit is applied in preConnect; aedes' own check answers with the reserved code 6.
        keepaliveLimit: 0,
      });
      aedes = broker;
      book = createConnectionBook(broker, sessions, (principal: Principal, clientId: string, up: boolean) => {
        if (!opts.onConnection) return;
        try {
          opts.onConnection(principal, clientId, up);
        } catch (err) {
          log.error({ err }, 'onConnection handler threw');
        }
      });
      // B42 (§4.4): what the session store re-sends on reconnect was sent before (it has a packet id): DUP = 1.
      const persistence = (broker as unknown as { persistence: unknown }).persistence as { outgoingStream(c: Client): NodeJS.ReadableStream };
      const outgoingStream = persistence.outgoingStream.bind(persistence);
      persistence.outgoingStream = (c: Client) =>
        outgoingStream(c).pipe(
          new Transform({
            objectMode: true,
            transform(p: { messageId?: number; dup?: boolean }, _enc, cb) {
              cb(null, p.messageId ? Object.assign(Object.create(Object.getPrototypeOf(p) as object) as object, p, { dup: true }) : p);
            },
          }),
        );
      // B43: public readers' granted subscriptions, for publishers that publish only what is read.
      const onSubs = opts.publicWebSocket?.onSubscriptions;
      if (onSubs) {
        const tell = (e: Parameters<typeof onSubs>[0]) => {
          try { onSubs(e); } catch (err) { log.error({ err }, 'onSubscriptions handler threw'); }
        };
        broker.on('subscribe', (subs, client) => {
          if (!client || !publicStreams.has(client.conn)) return;
          // aedes marks a refused filter with granted QoS 0x80 (MQTT 3.1.1 §3.9.3).
          const filters = subs.filter((x) => (x.qos as number) !== 128).map((x) => x.topic);
          if (filters.length) tell({ type: 'subscribe', reader: client, filters });
        });
        broker.on('unsubscribe', (filters, client) => {
          if (client && publicStreams.has(client.conn)) tell({ type: 'unsubscribe', reader: client, filters });
        });
        broker.on('clientDisconnect', (client) => {
          if (publicStreams.has(client.conn)) tell({ type: 'gone', reader: client });
        });
      }
      broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
      broker.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));

      const ports: BrokerPorts = {};
      if (opts.port >= 0) {
        const l = await listenTcp(opts.host, opts.port, (a) => accept(a, false));
        listeners.push(l);
        ports.port = l.port;
        log.info({ host: opts.host, port: l.port }, 'MQTT broker listening');
      }
      const tlsOptions = opts.tls ? readTlsOptions(opts.tls) : undefined;
      if (opts.tls && tlsOptions) {
        const l = await listenTls(opts.tls.host, opts.tls.port, tlsOptions, (a) => accept(a, false));
        listeners.push(l);
        tlsListeners.push(l);
        ports.tlsPort = l.port;
        log.info({ host: opts.tls.host, port: l.port, mutualTls: tlsOptions.requestCert }, 'MQTT over TLS listening');
      }
      if (opts.deviceWebSocket) {
        const d = opts.deviceWebSocket;
        const l = await listenWebSocket({ host: d.host, port: d.port, path: d.path, maxPayload: limits.maxPacketBytes, ...(tlsOptions ? { tls: tlsOptions } : {}) }, (a) => accept(a, false));
        listeners.push(l);
        if (tlsOptions) tlsListeners.push(l);
        ports.deviceWsPort = l.port;
        log.info({ host: d.host, port: l.port, path: d.path, tls: tlsOptions !== undefined }, 'device MQTT-over-WebSocket listening');
      }
      if (opts.publicWebSocket) {
        const pw = opts.publicWebSocket;
        const l = await listenWebSocket({ host: pw.host, port: pw.port, path: pw.path, maxPayload: limits.maxPacketBytes }, (a) => accept(a, true));
        listeners.push(l);
        ports.wsPort = l.port;
        log.info({ host: pw.host, port: l.port, path: pw.path }, 'public MQTT-over-WebSocket listening');
      }
      return { ...ports, port: ports.port ?? ports.tlsPort ?? ports.deviceWsPort ?? -1 };
    },

    async stop() {
      const broker = aedes;
      aedes = undefined;
      if (!broker) return;
      const all = listeners.splice(0);
      tlsListeners.splice(0);
      const closed = Promise.all(all.map((l) => l.close()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      // Connections that never sent CONNECT are not aedes clients; close them too.
      for (const stream of streams) stream.destroy();
      await closed;
    },

    publish(topic, payload, o = {}) {
      const broker = aedes;
      if (!broker) return Promise.reject(new Error('broker is not started'));
      const packet = { cmd: 'publish' as const, topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: o.qos ?? 0, retain: o.retain ?? false, dup: false };
      return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
    },

    reloadTls() {
      if (!opts.tls) return;
      let next: ReturnType<typeof readTlsOptions>;
      try {
        next = readTlsOptions(opts.tls);
      } catch (err) {
        log.error({ err }, 'TLS reload refused; the old certificates stay in force');
        return;
      }
      for (const l of tlsListeners) l.setSecureContext(next);
      log.info({ listeners: tlsListeners.length }, 'TLS certificates, client CA and CRL reloaded');
    },

    disconnectPrincipal(id, type) {
      let n = 0;
      for (const client of [...(book?.clients() ?? [])]) {
        const p = sessions.get(client)?.principal;
        if (!p || p.id !== id || (type !== undefined && p.type !== type)) continue;
        client.close();
        n++;
      }
      if (n) log.info({ principal: id, sessions: n }, 'sessions closed: credential revoked or changed');
      return n;
    },

    connections() {
      const out: Record<Principal['type'], number> = { sensor: 0, gateway: 0, staff: 0, integration: 0, public: 0 };
      for (const client of book?.clients() ?? []) {
        const p = sessions.get(client)?.principal;
        if (p) out[p.type]++;
      }
      return out;
    },

    get connectedClients() {
      return aedes?.connectedClients ?? 0;
    },
    get liveConnections() {
      return book?.size ?? 0;
    },
  };
}
