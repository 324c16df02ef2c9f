import type { ConnectionBook } from './connections.ts';
import type { Principal } from './contract.ts';
import type { Sessions } from './session.ts';

/** B16: closes every live session of principal `id` (of `type`, when given); returns how many. */
export function closeSessionsOf(book: ConnectionBook, sessions: Sessions, id: string, type?: Principal['type']): number {
  let n = 0;
  for (const client of [...book.clients()]) {
    const p = sessions.get(client)?.principal;
    if (!p || p.id !== id || (type !== undefined && p.type !== type)) continue;
    client.close();
    n++;
  }
  return n;
}

/** Live sessions counted by principal type (`civicstream status`). */
export function countSessionsByType(book: ConnectionBook | undefined, sessions: Sessions): Record<Principal['type'], number> {
  const out: Record<Principal['type'], number> = { sensor: 0, gateway: 0, staff: 0, integration: 0, public: 0 };
  for (const client of book?.clients() ?? []) {
    const p = sessions.get(client)?.principal;
    if (p) out[p.type]++;
  }
  return out;
}
