import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleRole } from './passwords.ts';

export interface Session {
  readonly name: string;
  readonly role: ConsoleRole;
  /** Sent by the page in `x-csrf-token` on every unsafe request (CO3). */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  /** Idle expiry: a session unused this long is gone (CO2). */
  readonly idleMs: number;
  /** Absolute expiry, however active the session is. */
  readonly maxMs: number;
  /** Bound on live sessions; the oldest is dropped beyond it. */
  readonly maxSessions?: number;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Console sessions in memory (CO2): the cookie carries 32 random bytes; only their SHA-256
 * is kept, so a heap dump does not yield usable cookies. Sessions end on sign-out, idle
 * or absolute expiry, and on restart (staff sign in again; alerts do not depend on it).
 */
export class SessionStore {
  private readonly byHash = new Map<string, Session>();
  constructor(private readonly o: SessionOptions) {}

  create(name: string, role: ConsoleRole, now: number): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { name, role, csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeen: now };
    const max = this.o.maxSessions ?? 10_000;
    if (this.byHash.size >= max) this.byHash.delete(this.byHash.keys().next().value as string);
    this.byHash.set(sha(id), session);
    return { id, session };
  }

  get(id: string | undefined, now: number): Session | undefined {
    if (!id || id.length > 100) return undefined;
    const h = sha(id);
    const s = this.byHash.get(h);
    if (!s) return undefined;
    if (now - s.lastSeen > this.o.idleMs || now - s.createdAt > this.o.maxMs) {
      this.byHash.delete(h);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.byHash.delete(sha(id));
  }

  /** Ends every session of a person (password changed, staff removed). */
  destroyFor(name: string): void {
    for (const [h, s] of this.byHash) if (s.name === name) this.byHash.delete(h);
  }

  get size(): number {
    return this.byHash.size;
  }
}

export function csrfMatches(s: Session, header: unknown): boolean {
  if (typeof header !== 'string' || header.length !== s.csrf.length) return false;
  return timingSafeEqual(Buffer.from(header), Buffer.from(s.csrf));
}
