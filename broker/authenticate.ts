import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from '../registry/index.ts';
import { isOwnStatusTopic } from './acl.ts';
import type { Principal } from './contract.ts';
import type { CredentialChecker } from './login-throttle.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { BrokerLimits } from './options.ts';
import { badMqttString, badWill, effectiveKeepalive } from './protocol-checks.ts';
import { newSession, type Sessions } from './session.ts';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3 (Table 3.1). */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export interface AuthDeps {
  readonly registry: Registry;
  /** Secret check with failed-login throttling and a bounded hashing gate (B35, B36). */
  readonly credentials: CredentialChecker;
  /** Remote address of the client's connection (for the per-address throttle, B35). */
  readonly addressOf: (client: Client) => string;
  /** Principal id a verified TLS client certificate names (CN or SAN, B38), if any. */
  readonly certificateIdentity?: (client: Client) => string | undefined;
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
    // B32/B33: a malformed Will or client id is a protocol violation: closed without CONNACK (§3.1.4-1).
    const bad = (packet.will ? badWill(packet.will) : undefined) ?? (badMqttString(packet.clientId ?? '') === undefined ? undefined : 'client id is not a valid UTF-8 string');
    if (bad !== undefined) {
      deps.metrics.connections.inc({ result: 'refused' });
      deps.logger.info({ clientId: packet.clientId, remote: deps.addressOf(client) }, `MQTT connection closed: ${bad}`);
      return cb(new Error(bad), false);
    }
    // B34: never CONNACK 6; the idle timer uses the broker's limit instead (aedes reads this field).
    packet.keepalive = effectiveKeepalive(packet.keepalive ?? 0, deps.limits.keepaliveLimitSeconds);
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
    if (deps.isPublicConnection(client)) {
      // B13: the public listener is anonymous only; credentials belong on the device listeners (B37).
      if ((username !== undefined && username !== '') || password !== undefined) return refuse(NOT_AUTHORIZED, 'credentials are not accepted on the public listener');
      // B13: the public WebSocket listener admits anonymous readers; they can only subscribe to public/…
      if (packet?.will) return refuse(NOT_AUTHORIZED, 'anonymous clients may not set a will');
      deps.sessions.set(client, newSession({ type: 'public', id: 'anonymous' }, deps.limits, performance.now()));
      deps.metrics.connections.inc({ result: 'accepted' });
      return cb(null, true);
    }
    // B38: a verified client certificate names the principal; a username, if sent, must agree with it.
    const certId = deps.certificateIdentity?.(client);
    if (certId !== undefined) {
      if (username !== undefined && username !== '' && username !== certId) return refuse(NOT_AUTHORIZED, `username ${username} does not match the client certificate (${certId})`);
      // RG2: the live registry (sensor, gateway or integration principal).
      const certEntry = deps.registry.principal(certId);
      if (!certEntry) return refuse(NOT_AUTHORIZED, `client certificate ${certId} names no registered principal`);
      if (certEntry.disabled) return refuse(NOT_AUTHORIZED, `${certEntry.type} ${certEntry.id} is disabled`);
      return admit({ type: certEntry.type, id: certEntry.id });
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
    if (entry === undefined || storedHash === undefined || password === undefined) {
      deps.credentials.failUnknown(deps.addressOf(client)); // B35: counts against the address
      deps.metrics.loginFailures.inc({ why: 'unknown-user' });
      return refuse(BAD_USERNAME_OR_PASSWORD, 'unknown user or no password');
    }
    // RG4: a disabled principal is known but not allowed (§3.2.2.3 code 5).
    if (entry.disabled) return refuse(NOT_AUTHORIZED, `${entry.type} ${entry.id} is disabled`);
    const principal: Principal = { type: entry.type, id: entry.id };

    const address = deps.addressOf(client);
    deps.credentials.check(principal.id, address, password.toString('utf8'), storedHash).then(
      (r) => {
        if (!r.ok) {
          // B35: counted and logged; a locked identity or address is refused without hashing.
          deps.metrics.loginFailures.inc({ why: r.why });
          if (r.why === 'busy') return refuse(SERVER_UNAVAILABLE, 'too many logins being checked; retry later');
          if (r.lockMs) deps.logger.warn({ username, remote: address, lockMs: Math.round(r.lockMs) }, 'failed MQTT logins: identity/address locked');
          return refuse(BAD_USERNAME_OR_PASSWORD, r.why === 'locked' ? 'too many failed logins (locked)' : 'wrong secret');
        }
        // RG2: the secret may have been rotated or the principal disabled while scrypt ran.
        const now = deps.registry.principal(username);
        if (now?.secretHash !== storedHash || now.disabled) return refuse(BAD_USERNAME_OR_PASSWORD, 'credential changed during verification');
        admit(principal);
      },
      (err: Error) => {
        // A broken stored hash is our fault, not the device's: "server unavailable" makes it retry later.
        deps.logger.error({ err, username }, 'secret verification failed');
        refuse(SERVER_UNAVAILABLE, 'secret verification failed');
      },
    );

    function admit(principal: Principal): void {
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
      // B30: another registered principal's own id is reserved for it (no squatting of a device's canonical id).
      if (clientId !== principal.id && reservedFor(clientId) !== undefined && reservedFor(clientId) !== principal.id) return refuse(IDENTIFIER_REJECTED, `client id ${clientId} is reserved for principal ${clientId}`);
      deps.sessions.set(client, newSession(principal, deps.limits, performance.now()));
      deps.metrics.connections.inc({ result: 'accepted' });
      cb(null, true);
    }
  };

  /** The principal allowed to use `clientId` when it is a registered id: the sensor (or its gateway) or the gateway. */
  function reservedFor(clientId: string): string | undefined {
    const s = deps.registry.sensor(clientId);
    if (s) return s.gateway ?? s.id;
    return deps.registry.gateway(clientId) ? clientId : undefined;
  }

  return { preConnect, authenticate };
}
