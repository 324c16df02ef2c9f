import type { Client, Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from '../registry/index.ts';
import { maySubscribe } from './acl.ts';
import { badMqttString, topicLevels } from './protocol-checks.ts';
import type { Sessions } from './session.ts';

type AuthorizeSubscribe = (client: Client, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void) => void;

/**
 * authorizeSubscribe (rule B10). A refused filter gets return code 0x80 in SUBACK
 * (MQTT 3.1.1 §3.9.3) rather than a disconnect: the device learns which filter was
 * refused and its other subscriptions in the same packet still work.
 */
export function createAuthorizeSubscribe(registry: Registry, sessions: Sessions, logger: Logger, publicMaySubscribe: (filter: string) => boolean = () => false, maxTopicLevels = 100): AuthorizeSubscribe {
  return function authorizeSubscribe(client, sub, cb) {
    // B33: an ill-formed UTF-8 / NUL filter is a protocol violation (§1.5.3): the connection is closed.
    const bad = badMqttString(sub.topic);
    if (bad !== undefined) return cb(new Error(`subscription filter ${bad}`));
    // B41: a filter deeper than mqtt.maxTopicLevels gets 0x80 like any refused filter; the others in the packet stand.
    if (topicLevels(sub.topic) > maxTopicLevels) {
      logger.info({ clientId: client.id, filter: sub.topic }, 'subscription refused: too many topic levels');
      return cb(null, null);
    }
    const session = sessions.get(client);
    // B13: anonymous public readers get the public filters only.
    const allowed = session === undefined ? false : session.principal.type === 'public' ? publicMaySubscribe(sub.topic) : maySubscribe(session.principal, sub.topic, registry);
    if (allowed) return cb(null, sub);
    logger.info({ clientId: client.id, filter: sub.topic }, 'subscription refused');
    cb(null, null);
  };
}
