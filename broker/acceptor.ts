import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import type { Registry } from '../registry/index.ts';
import type { ConnectionBook } from './connections.ts';
import type { BrokerRejection } from './contract.ts';
import { GuardedSocket } from './guarded-socket.ts';
import type { Accepted } from './listener.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { BrokerLimits } from './options.ts';
import { PacketSizeGuard, type GuardViolation } from './packet-size-guard.ts';
import type { Sessions } from './session.ts';
import { certificateNames } from './tls.ts';
import { TokenBucket } from './token-bucket.ts';

export interface AcceptorOptions {
  readonly registry: Registry;
  readonly limits: BrokerLimits;
  readonly sessions: Sessions;
  readonly metrics: BrokerMetrics;
  readonly log: Logger;
  readonly reject: (r: BrokerRejection) => void;
  /** B39: dead letters from peers that never authenticated, per second (burst the same). */
  readonly unauthenticatedDeadLettersPerSecond: number;
  /** The running aedes and its bookkeeping; undefined while stopped (a connection is then destroyed). */
  readonly running: () => { aedes: Aedes; book: ConnectionBook } | undefined;
}

/** Every listener's connections go through `accept`; the hooks ask it what it learnt of each. */
export interface Acceptor {
  accept(a: Accepted, isPublic: boolean): void;
  /** Streams accepted and not closed yet (stop destroys those that never became aedes clients). */
  readonly streams: ReadonlySet<Duplex>;
  addressOf(client: Client): string;
  /** B13: the connection came in on the public WebSocket listener. */
  isPublicConnection(client: Client): boolean;
  /** B38: the first certificate name that is a registered principal (else the first name, to be refused by name). */
  certificateIdentity(client: Client): string | undefined;
}

/**
 * One accepted connection: the packet-size guard in front of aedes (B8), with oversized
 * packets of unauthenticated peers counted and sampled into dead letters (B39).
 */
export function createAcceptor(o: AcceptorOptions): Acceptor {
  const { limits, sessions, metrics, log } = o;
  const streams = new Set<Duplex>();
  const publicStreams = new WeakSet<object>();
  const certNames = new WeakMap<object, string[]>();
  const addresses = new WeakMap<object, string>();
  const unauthBucket = new TokenBucket(o.unauthenticatedDeadLettersPerSecond, Math.max(1, o.unauthenticatedDeadLettersPerSecond), performance.now());

  function accept(a: Accepted, isPublic: boolean): void {
    const running = o.running();
    if (!running) return void a.stream.destroy(); // accepted while stopping
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
      o.reject({
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
    client = running.aedes.handle(guarded);
    running.book.adopt(guarded, client);
  }

  return {
    accept,
    streams,
    addressOf: (c) => addresses.get(c.conn) ?? 'unknown',
    isPublicConnection: (c) => publicStreams.has(c.conn),
    certificateIdentity(client) {
      const names = certNames.get(client.conn);
      if (!names || names.length === 0) return undefined;
      return names.find((n) => o.registry.sensor(n) !== undefined || o.registry.gateway(n) !== undefined) ?? names[0];
    },
  };
}
