/**
 * The MQTT front door: aedes with our hooks, behind the TCP, TLS and WebSocket listeners and a packet-size guard.
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
 * B44 the sensor the publish ACL resolved travels with the message (InboundMessage.sensor): one
 *     registry lookup per reading; a message held for its rate budget is looked up again
 */
import type { Aedes } from 'aedes';
import { createAcceptor } from './acceptor.ts';
import type { ConnectionBook } from './connections.ts';
import type { Principal } from './contract.ts';
import { createAedes } from './create-aedes.ts';
import type { Listener } from './listener.ts';
import { CredentialChecker, DEFAULT_CHECKER } from './login-throttle.ts';
import { createBrokerMetrics } from './metrics.ts';
import { openListeners, type BrokerPorts } from './open-listeners.ts';
import { closeSessionsOf, countSessionsByType } from './principal-sessions.ts';
import type { BrokerOptions } from './options.ts';
import type { Sessions } from './session.ts';
import { createReject } from './reject.ts';
import { readTlsOptions, reloadTlsListeners } from './tls.ts';

export type { BrokerLimits, BrokerOptions, BrokerTlsOptions, DeviceWebSocketOptions, PublicSubscriptionEvent, PublicWebSocketOptions } from './options.ts';
export type { BrokerRejection, InboundHandler, InboundMessage, Principal } from './contract.ts';
export type { BrokerPorts } from './open-listeners.ts';
export { DISCARD_TOPIC } from './authorize-publish.ts';
export { readTlsOptions, type TlsFiles } from './tls.ts';

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

/**
 * The broker factory: aedes with our hooks (create-aedes.ts) behind the listeners the options
 * ask for (open-listeners.ts: tcp-listener.ts, websocket-listener.ts), every connection through
 * the packet-size guard (acceptor.ts).
 */
export function createBroker(opts: BrokerOptions): CivicBroker {
  const log = opts.logger.child({ module: 'broker' });
  const sessions: Sessions = new WeakMap();
  let aedes: Aedes | undefined;
  let book: ConnectionBook | undefined;
  let listeners: Listener[] = [];
  let tlsListeners: Listener[] = [];
  const metrics = createBrokerMetrics(opts.metrics, () => aedes?.connectedClients ?? 0);
  const credentials = new CredentialChecker({ ...DEFAULT_CHECKER, ...opts.loginThrottle });
  const reject = createReject(opts.onRejected, metrics, log);
  const unauthenticatedDeadLettersPerSecond = opts.unauthenticatedDeadLettersPerSecond ?? 1;
  const acceptor = createAcceptor({ registry: opts.registry, limits: opts.limits, sessions, metrics, log, reject, unauthenticatedDeadLettersPerSecond, running: () => (aedes && book ? { aedes, book } : undefined) });

  return {
    async start() {
      ({ aedes, book } = await createAedes({ opts, sessions, credentials, metrics, log, reject, acceptor }));
      const { all, tls, ports } = await openListeners(opts, opts.tls ? readTlsOptions(opts.tls) : undefined, acceptor.accept, log);
      [listeners, tlsListeners] = [all, tls];
      return { ...ports, port: ports.port ?? ports.tlsPort ?? ports.deviceWsPort ?? -1 };
    },

    async stop() {
      const broker = aedes;
      aedes = undefined;
      if (!broker) return;
      const closed = Promise.all(listeners.map((l) => l.close()));
      [listeners, tlsListeners] = [[], []];
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      // Connections that never sent CONNECT are not aedes clients; close them too.
      for (const stream of acceptor.streams) stream.destroy();
      await closed;
    },

    publish(topic, payload, o = {}) {
      const broker = aedes;
      if (!broker) return Promise.reject(new Error('broker is not started'));
      const packet = { cmd: 'publish' as const, topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: o.qos ?? 0, retain: o.retain ?? false, dup: false };
      return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
    },

    reloadTls() {
      if (opts.tls) reloadTlsListeners(opts.tls, tlsListeners, log);
    },

    disconnectPrincipal(id, type) {
      const n = book ? closeSessionsOf(book, sessions, id, type) : 0;
      if (n) log.info({ principal: id, sessions: n }, 'sessions closed: credential revoked or changed');
      return n;
    },

    connections: () => countSessionsByType(book, sessions),
    get connectedClients() {
      return aedes?.connectedClients ?? 0;
    },
    get liveConnections() {
      return book?.size ?? 0;
    },
  };
}
