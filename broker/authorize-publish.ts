import type { Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from '../registry/index.ts';
import { checkIntegrationPublish, checkPublish } from './acl.ts';
import type { BrokerRejection, InboundHandler, Principal } from './contract.ts';
import type { BrokerMetrics } from './metrics.ts';
import { badMqttString, topicLevels } from './protocol-checks.ts';
import type { Sessions } from './session.ts';

export interface PublishDeps {
  readonly registry: Registry;
  readonly sessions: Sessions;
  readonly onInbound: InboundHandler;
  readonly reject: (r: BrokerRejection) => void;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
  /** Longest a QoS 1 message may be held for the rate limit before the connection is closed instead. */
  readonly maxThrottleMs: number;
  /** B41: deeper topics are refused with a reason (aedes itself is given its ceiling of 100). */
  readonly maxTopicLevels: number;
}

type AuthorizePublish = (client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void) => void;

/**
 * Where acknowledged-but-refused messages go. aedes has no "PUBACK without routing"
 * outcome: an authorised packet is always routed. Rewriting it to a `$` topic nobody
 * may subscribe to (B10) and that `#` never matches (MQTT 3.1.1 §4.7.2) turns
 * routing into a no-op, and clearing retain keeps it out of the retained store.
 */
export const DISCARD_TOPIC = '$civic/discarded';
const EMPTY = Buffer.alloc(0);

function discard(packet: PublishPacket): void {
  packet.topic = DISCARD_TOPIC;
  packet.payload = EMPTY;
  packet.retain = false;
}

/** authorizePublish (rules B4–B7, B9). */
export function createAuthorizePublish(deps: PublishDeps): AuthorizePublish {
  return function authorizePublish(client, packet, cb) {
    const session = client ? deps.sessions.get(client) : undefined;
    // client is null only for a Will left by another broker node of a cluster; we cannot attribute it.
    if (client === null || session === undefined) {
      deps.logger.warn({ topic: packet.topic }, 'publish without an authenticated session refused');
      return cb(new Error('no authenticated session'));
    }
    const { principal } = session;
    const topic = packet.topic;
    // B33 (§1.5.3, §4.7.3): an ill-formed UTF-8 or NUL topic name is a protocol violation: closed, never acknowledged.
    const badTopic = badMqttString(topic);
    if (badTopic !== undefined) {
      deps.logger.info({ clientId: client.id }, `PUBLISH topic ${badTopic}; connection closed`);
      return cb(new Error(`topic ${badTopic}`));
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (principal.type === 'public') {
      // B13: anonymous public readers publish nothing.
      deps.reject({ reason: 'NOT_AUTHORIZED', message: 'anonymous public clients may not publish', topic, clientId: client.id, payload, payloadBytes: payload.length });
      return cb(new Error('anonymous public clients may not publish'));
    }
    if (principal.type === 'integration') {
      // B15: only its granted patterns under integrations/{id}/; routed to subscribers, never to ingest.
      if (!checkIntegrationPublish(principal.id, topic, deps.registry)) {
        deps.reject({ reason: 'NOT_AUTHORIZED', message: `integration ${principal.id} may not publish on ${topic}`, topic, clientId: client.id, payload, payloadBytes: payload.length });
        return cb(new Error('not authorized'));
      }
      if (!client.closed && !session.bucket.take(performance.now())) {
        deps.reject({ reason: 'RATE_LIMITED', message: `integration ${principal.id} exceeds its publish rate`, topic, clientId: client.id, payloadBytes: payload.length });
        discard(packet);
      }
      return cb(null);
    }
    const levels = topicLevels(topic);
    const tooDeep = levels > deps.maxTopicLevels;
    const checked = checkPublish(principal, topic, deps.registry);
    // B41: too deep but under the principal's own prefix → BAD_TOPIC, acknowledged and dead-lettered like B6;
    // elsewhere the B4 refusal stands.
    const verdict: ReturnType<typeof checkPublish> = tooDeep && checked.ok ? { ok: false, reason: 'BAD_TOPIC', message: `${levels} topic levels exceed mqtt.maxTopicLevels ${deps.maxTopicLevels}`, sensorId: checked.parsed.sensorId } : tooDeep && !checked.ok && checked.reason !== 'NOT_AUTHORIZED' ? { ...checked, message: `${checked.message} (${levels} topic levels exceed mqtt.maxTopicLevels ${deps.maxTopicLevels})` } : checked;
    if (!verdict.ok && verdict.reason === 'NOT_AUTHORIZED') {
      // B4: MQTT 3.1.1 §3.3.5 lets the server close the connection; aedes does so on error.
      deps.reject({ reason: 'NOT_AUTHORIZED', message: verdict.message, topic, clientId: client.id, sensorId: verdict.sensorId ?? principal.id, payload, payloadBytes: payload.length });
      return cb(new Error(verdict.message));
    }
    // B7: the Will is published after the connection closed (client.closed), it is never rate-limited.
    if (!client.closed) {
      const sensorId = verdict.ok ? verdict.parsed.sensorId : verdict.sensorId;
      if (packet.qos === 0) {
        // QoS 0 promises nothing: over the budget it is dropped, counted and dead-lettered.
        if (!session.bucket.take(performance.now())) {
          deps.reject({ reason: 'RATE_LIMITED', message: `${principal.type} ${principal.id} exceeds its publish rate`, topic, clientId: client.id, sensorId, payloadBytes: payload.length });
          discard(packet);
          return cb(null);
        }
      } else {
        // QoS 1/2 is never acknowledged-and-dropped: over the budget it is delayed. aedes reads
        // the connection's next chunk only after every packet of this one has called back, so
        // holding the callback is TCP backpressure and the sender slows to its budget.
        const waitMs = session.bucket.reserve(performance.now());
        if (waitMs > deps.maxThrottleMs) {
          // Far beyond its budget: refuse without acknowledging (the device resends after reconnecting).
          deps.reject({ reason: 'RATE_LIMITED', message: `${principal.type} ${principal.id} exceeds its publish rate by more than ${deps.maxThrottleMs} ms of budget; connection closed`, topic, clientId: client.id, sensorId, payloadBytes: payload.length });
          return cb(new Error('publish rate limit exceeded'));
        }
        if (waitMs > 0) {
          deps.metrics.throttled.inc();
          setTimeout(() => authorised(client, packet, verdict, principal, topic, payload, cb, false), waitMs);
          return;
        }
      }
    }
    authorised(client, packet, verdict, principal, topic, payload, cb, true);
  };

  function authorised(client: Client, packet: PublishPacket, verdict: ReturnType<typeof checkPublish>, principal: Principal, topic: string, payload: Buffer, cb: (err?: Error | null) => void, fresh: boolean): void {
    if (!verdict.ok) {
      // B5/B6: acknowledged so the device does not resend forever, reported, dropped.
      deps.reject({ reason: verdict.reason, message: verdict.message, topic, clientId: client.id, sensorId: verdict.sensorId, payload, payloadBytes: payload.length });
      discard(packet);
      return cb(null);
    }
    deps.metrics.inbound.inc();
    // B9: aedes writes PUBACK (QoS 1) / PUBREC (QoS 2) only after this callback, so
    // waiting for `done` means "acknowledged" implies "durable". done(err) closes the connection.
    let called = false;
    const done = (err?: Error): void => {
      if (called) return;
      called = true;
      cb(err ?? null);
    };
    try {
      deps.onInbound({ topic, parsed: verdict.parsed, payload, clientId: client.id, principal, qos: packet.qos, receivedAt: Date.now(), sensor: fresh ? verdict.sensor : undefined }, done);
    } catch (err) {
      deps.logger.error({ err, topic }, 'inbound handler threw');
      done(err as Error);
    }
  }
}
