import type { Aedes, Client } from 'aedes';
import type { Duplex } from 'node:stream';
import type { Principal } from './contract.ts';
import type { Sessions } from './session.ts';

/**
 * Connection bookkeeping (B30, B31): which client holds which client id, and the one
 * up/down report per session that issue 9's offline alert relies on.
 *
 * aedes 1.2 keeps `broker.clients[id]` from hooks that run across asynchronous steps,
 * and a client that closes between them leaves an entry behind (CONNECT then FIN, or a
 * quick disconnect during the Will/persistence steps): the id then looks "in use" for
 * ever and the dead client, its socket and parser stay referenced. Two guards here:
 * a client that is already closed is never registered, and a closing client only
 * unregisters the entry that is really its own (never a newer client with the same id).
 * Our own map and the up/down reports are driven by the stream's `close` event, which
 * fires exactly once per connection whatever ended it.
 */
export interface ConnectionBook {
  /** Principal of the live connection holding `clientId`, if any (B2). */
  ownerOf(clientId: string): Principal | undefined;
  /** Live connections that got CONNACK 0 and have not closed yet. */
  readonly size: number;
  /** Those connections' clients (B16: closing a principal's sessions). */
  clients(): IterableIterator<Client>;
  /** Call once per accepted stream with the client `aedes.handle(stream)` returned. */
  adopt(stream: Duplex, client: Client): void;
}

type State = { up: boolean; down: boolean };

export function createConnectionBook(aedes: Aedes, sessions: Sessions, report: (principal: Principal, clientId: string, up: boolean) => void): ConnectionBook {
  const live = new Map<string, Client>();
  const states = new WeakMap<Client, State>();
  const internal = aedes as unknown as {
    clients: Record<string, Client | undefined>;
    _finishRegisterClient(client: Client): void;
    unregisterClient(client: Client): void;
    deleteClient(clientId: string): void;
  };

  // B30: never register a client whose connection already closed (it would hold the id for ever).
  const finishRegister = internal._finishRegisterClient.bind(aedes);
  internal._finishRegisterClient = (client: Client) => {
    if (client.closed) return;
    finishRegister(client);
  };
  // B30: a closing client removes only its own entry; aedes' check is "an entry with my id exists".
  const unregister = internal.unregisterClient.bind(aedes);
  internal.unregisterClient = (client: Client) => {
    if (internal.clients[client.id] !== client) return;
    unregister(client);
  };

  const down = (client: Client, state: State): void => {
    if (!state.up || state.down) return;
    state.down = true;
    if (live.get(client.id) === client) live.delete(client.id);
    const principal = sessions.get(client)?.principal;
    if (principal) report(principal, client.id, false);
  };

  // B31: "up" when CONNACK 0 has been written (the client may act on it at once).
  aedes.on('connackSent', (packet, client) => {
    if (packet.returnCode !== 0) return;
    const state = states.get(client);
    if (!state || state.up) return;
    const principal = sessions.get(client)?.principal;
    if (!principal) return;
    // A takeover (§3.1.4-2) closed the previous holder: its "down" comes before our "up".
    const previous = live.get(client.id);
    if (previous && previous !== client) {
      const ps = states.get(previous);
      if (ps) down(previous, ps);
    }
    state.up = true;
    live.set(client.id, client);
    report(principal, client.id, true);
    // Closed while CONNACK was on its way out: the close event has passed, report down now.
    if (client.closed || client.conn.destroyed) down(client, state);
  });

  return {
    ownerOf(clientId) {
      const client = live.get(clientId);
      return client ? sessions.get(client)?.principal : undefined;
    },
    get size() {
      return live.size;
    },
    clients() {
      return live.values();
    },
    adopt(stream, client) {
      const state: State = { up: false, down: false };
      states.set(client, state);
      stream.once('close', () => {
        // Safety net: an entry aedes still holds for this (closed) client is removed.
        if (internal.clients[client.id] === client) internal.unregisterClient(client);
        down(client, state);
      });
    },
  };
}
