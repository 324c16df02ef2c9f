import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import type { Logger } from 'pino';
import type { Registry, VerifiedSecretCache } from '../registry/index.ts';
import { isOwnStatusTopic } from './acl.ts';
import type { Principal } from './contract.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { BrokerLimits } from './options.ts';
import { newSession, type Sessions } from './session.ts';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3 (Table 3.1). */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export interface AuthDeps {
  readonly registry: Registry;
  readonly secrets: VerifiedSecretCache;
  readonly sessions: Sessions;
  readonly limits: BrokerLimits;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
  /** Principal of the live connection holding `clientId`, if any (B2). */
  readonly ownerOf: (clientId: string) => Principal | undefined;
  /** True when the client came through the public WebSocket listener (B13). */
  readonly isPublicConnection: (client: Client) => boolean;
  /** Staff token check (B14); absent = no staff logins. */
  readonly staffAuth?: (username: string, password: Buffer) => { id: string } | undefined;
}

type PreConnect = (client: Client, packet: ConnectPacket, cb: (err: Error | null, ok: boolean) => void) => void;
type Authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, cb: (err: AuthenticateError | null, ok: boolean | null) => void) => void;

function refusal(code: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/**
 * preConnect + authenticate (rules B1–B3). aedes replaces an empty client id with a
 * generated one before `authenticate` runs, so preConnect keeps the CONNECT packet
 * for authenticate to see what the client really sent (client id, Will).
 */
export function createConnectHooks(deps: AuthDeps): { preConnect: PreConnect; authenticate: Authenticate } {
  const connects = new WeakMap<Client, ConnectPacket>();

  const preConnect: PreConnect = (client, packet, cb) => {
    connects.set(client, packet);
    cb(null, true);
  };

  const authenticate: Authenticate = (client, username, password, cb) => {
    const packet = connects.get(client);
    connects.delete(client);
    const refuse = (code: 2 | 3 | 4 | 5, why: string): void => {
      deps.metrics.connections.inc({ result: 'refused' });
      deps.logger.info({ username, clientId: packet?.clientId, code }, `MQTT connection refused: ${why}`);
      cb(refusal(code, why), false);
    };
    if ((username === undefined || username === '') && deps.isPublicConnection(client)) {
      // B13: the public WebSocket listener admits anonymous readers; they can only subscribe to public/…
      if (packet?.will) return refuse(NOT_AUTHORIZED, 'anonymous clients may not set a will');
      deps.sessions.set(client, newSession({ type: 'public', id: 'anonymous' }, deps.limits, performance.now()));
      deps.metrics.connections.inc({ result: 'accepted' });
      return cb(null, true);
    }
    // B1: no anonymous access; §3.2.2.3 code 5 "not authorized".
    if (username === undefined || username === '') return refuse(NOT_AUTHORIZED, 'anonymous');
    // RG2: looked up in the live registry on every CONNECT (sensor, gateway or integration).
    const entry = deps.registry.principal(username);
    const staff = entry || password === undefined ? undefined : deps.staffAuth?.(username, password);
    if (staff) {
      // B14: staff read alerts with their API token (stored as a hash); B2/B3 apply to them too.
      const clientId = packet?.clientId ?? '';
      if (clientId === '') return refuse(IDENTIFIER_REJECTED, 'empty client id');
      if (packet?.will) return refuse(NOT_AUTHORIZED, 'staff clients may not set a will');
      const principal: Principal = { type: 'staff', id: staff.id };
      const owner = deps.ownerOf(clientId);
      if (owner && (owner.type !== principal.type || owner.id !== principal.id)) return refuse(IDENTIFIER_REJECTED, `client id ${clientId} is in use by another principal`);
      deps.sessions.set(client, newSession(principal, deps.limits, performance.now()));
      deps.metrics.connections.inc({ result: 'accepted' });
      return cb(null, true);
    }
    const storedHash = entry?.secretHash;
    // Unknown users answer at once: ids are public (open data), so timing hides nothing.
    if (entry === undefined || storedHash === undefined || password === undefined) return refuse(BAD_USERNAME_OR_PASSWORD, 'unknown user or no password');
    // RG4: a disabled principal is known but not allowed (§3.2.2.3 code 5).
    if (entry.disabled) return refuse(NOT_AUTHORIZED, `${entry.type} ${entry.id} is disabled`);
    const principal: Principal = { type: entry.type, id: entry.id };

    deps.secrets.verify(principal.id, password.toString('utf8'), storedHash).then(
      (ok) => {
        if (!ok) return refuse(BAD_USERNAME_OR_PASSWORD, 'wrong secret');
        // RG2: the secret may have been rotated or the principal disabled while scrypt ran.
        const now = deps.registry.principal(username);
        if (now?.secretHash !== storedHash || now.disabled) return refuse(BAD_USERNAME_OR_PASSWORD, 'credential changed during verification');
        // B2: §3.1.3.1 lets the server reject a client id with code 2; an empty one would
        // get a random id from aedes and make sessions untraceable to a device.
        // Checked after the secret so a device with bad credentials learns that first.
        const clientId = packet?.clientId ?? '';
        if (clientId === '') return refuse(IDENTIFIER_REJECTED, 'empty client id');
        // B3: a Will is published by the broker on the client's behalf, so it obeys the publish ACL, narrowed to T2.
        const will = packet?.will;
        if (will && !isOwnStatusTopic(principal, will.topic, deps.registry)) return refuse(NOT_AUTHORIZED, `will topic ${will.topic} is not an own status topic`);
        // B2: a live client id owned by another principal would be taken over (§3.1.4-2): refuse instead.
        const owner = deps.ownerOf(clientId);
        if (owner && (owner.type !== principal.type || owner.id !== principal.id)) return refuse(IDENTIFIER_REJECTED, `client id ${clientId} is in use by another principal`);
        deps.sessions.set(client, newSession(principal, deps.limits, performance.now()));
        deps.metrics.connections.inc({ result: 'accepted' });
        cb(null, true);
      },
      (err: Error) => {
        // A broken stored hash is our fault, not the device's: "server unavailable" makes it retry later.
        deps.logger.error({ err, username }, 'secret verification failed');
        refuse(SERVER_UNAVAILABLE, 'secret verification failed');
      },
    );
  };

  return { preConnect, authenticate };
}
