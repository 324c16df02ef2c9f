import { Transform } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { Acceptor } from './acceptor.ts';
import { createConnectHooks } from './authenticate.ts';
import { authorizeForward } from './authorize-forward.ts';
import { createAuthorizePublish } from './authorize-publish.ts';
import { createAuthorizeSubscribe } from './authorize-subscribe.ts';
import { createConnectionBook, type ConnectionBook } from './connections.ts';
import type { BrokerRejection, Principal } from './contract.ts';
import type { CredentialChecker } from './login-throttle.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { BrokerOptions } from './options.ts';
import { reportPublicSubscriptions } from './public-subscriptions.ts';
import type { Sessions } from './session.ts';

/** aedes' own ceiling (its bundled trie throws beyond it); our limit is applied in the hooks (B41). */
const AEDES_MAX_TOPIC_LEVELS = 100;

export interface AedesDeps {
  readonly opts: BrokerOptions;
  readonly sessions: Sessions;
  readonly credentials: CredentialChecker;
  readonly metrics: BrokerMetrics;
  readonly log: Logger;
  readonly reject: (r: BrokerRejection) => void;
  readonly acceptor: Pick<Acceptor, 'addressOf' | 'isPublicConnection' | 'certificateIdentity'>;
}

/**
 * The aedes instance with our hooks (authentication B1–B3/B14/B32–B38, publish and subscribe
 * ACLs, forwarding B11/B40) and its connection bookkeeping (B30, B31), which reports every
 * session up and down to `opts.onConnection`.
 */
export async function createAedes(d: AedesDeps): Promise<{ aedes: Aedes; book: ConnectionBook }> {
  const { opts, sessions, metrics, log, reject } = d;
  const { registry, limits } = opts;
  let book: ConnectionBook | undefined;
  const hooks = createConnectHooks({
    registry,
    credentials: d.credentials,
    addressOf: d.acceptor.addressOf,
    certificateIdentity: d.acceptor.certificateIdentity,
    sessions,
    limits,
    metrics,
    logger: log,
    ownerOf: (id) => book?.ownerOf(id),
    isPublicConnection: d.acceptor.isPublicConnection,
    ...(opts.staffAuth ? { staffAuth: opts.staffAuth } : {}),
  });
  const aedes = await Aedes.createBroker({
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
  book = createConnectionBook(aedes, sessions, (principal: Principal, clientId: string, up: boolean) => {
    if (!opts.onConnection) return;
    try {
      opts.onConnection(principal, clientId, up);
    } catch (err) {
      log.error({ err }, 'onConnection handler threw');
    }
  });
  // B42 (§4.4): what the session store re-sends on reconnect was sent before (it has a packet id): DUP = 1.
  const persistence = (aedes as unknown as { persistence: unknown }).persistence as { outgoingStream(c: Client): NodeJS.ReadableStream };
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
  if (opts.publicWebSocket?.onSubscriptions) reportPublicSubscriptions(aedes, d.acceptor, opts.publicWebSocket.onSubscriptions, log);
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));
  return { aedes, book };
}
