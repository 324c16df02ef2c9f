import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySecret } from '../registry/index.ts';

/**
 * Failed-login defence (B35, B36).
 *
 * B35 per-identity and per-address backoff: after `freeFailures` wrong secrets, each
 * further failure locks the key for base × 2^(extra failures) ms, capped at maxLockMs.
 * While locked, a CONNECT whose secret is not already known-good is refused with
 * code 4 without hashing anything (so a storm costs a map lookup, not an scrypt).
 * Memory is bounded: each table holds at most maxEntries keys (oldest evicted, O(1)),
 * and an entry is forgotten forgetMs after its last failure.
 *
 * B36 hashing cannot starve the journal: scrypt runs on libuv's thread pool, which also
 * runs the journal's fsync. Verified secrets are cached (SHA-256 digests, never the
 * plaintext, keyed by principal and stored hash so a rotation invalidates them), so a
 * known device reconnects without hashing; every other check goes through a gate of
 * `hashConcurrency` concurrent scrypts (default 1 of the pool's 4 threads) with a
 * bounded queue; beyond it the CONNECT gets code 3 (server unavailable, retry later).
 */
export interface ThrottleOptions {
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  maxEntries: number;
  forgetMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { freeFailures: 5, baseLockMs: 1_000, maxLockMs: 300_000, maxEntries: 10_000, forgetMs: 900_000 };

interface Entry {
  failures: number;
  lockedUntil: number;
  last: number;
}

/** One bounded table of failure counts (B35). */
export class FailureTable {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly o: ThrottleOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** ms the key stays locked at `now`; 0 = not locked. */
  lockedFor(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (now - e.last > this.o.forgetMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, e.lockedUntil - now);
  }

  /** Records a failure; returns the lock now in force (ms, 0 = none yet). */
  fail(key: string, now: number): number {
    let e = this.entries.get(key);
    if (e && now - e.last > this.o.forgetMs) e = undefined;
    if (e) this.entries.delete(key); // re-inserted below: Map order = least recently failed first
    else e = { failures: 0, lockedUntil: 0, last: now };
    e.failures++;
    e.last = now;
    const extra = e.failures - this.o.freeFailures;
    if (extra >= 0) e.lockedUntil = now + Math.min(this.o.maxLockMs, this.o.baseLockMs * 2 ** Math.min(extra, 30));
    if (this.entries.size >= this.o.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, e);
    return Math.max(0, e.lockedUntil - now);
  }

  clear(key: string): void {
    this.entries.delete(key);
  }
}

export type CheckResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'wrong-secret' | 'locked' | 'busy'; readonly lockMs?: number };

export interface CredentialCheckerOptions extends ThrottleOptions {
  hashConcurrency: number;
  maxHashQueue: number;
  maxCachedSecrets: number;
}

export const DEFAULT_CHECKER: CredentialCheckerOptions = { ...DEFAULT_THROTTLE, hashConcurrency: 1, maxHashQueue: 256, maxCachedSecrets: 200_000 };

const digestOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

export class CredentialChecker {
  readonly byIdentity: FailureTable;
  readonly byAddress: FailureTable;
  private readonly known = new Map<string, Buffer>();
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly o: CredentialCheckerOptions = DEFAULT_CHECKER) {
    this.byIdentity = new FailureTable(o);
    this.byAddress = new FailureTable(o);
  }

  /** Hashes waiting for the gate (B36). */
  get queued(): number {
    return this.queue.length;
  }

  async check(identity: string, address: string, secret: string, stored: string, now: number = Date.now()): Promise<CheckResult> {
    const key = identity + '\0' + stored;
    const digest = digestOf(secret);
    const cached = this.known.get(key);
    // A secret verified before passes at once, even during a lock: a storm against a device's
    // id must not lock the device itself out (B35).
    if (cached && timingSafeEqual(cached, digest)) {
      this.byIdentity.clear(identity);
      return { ok: true };
    }
    const lock = Math.max(this.byIdentity.lockedFor(identity, now), this.byAddress.lockedFor(address, now));
    if (lock > 0) return { ok: false, why: 'locked', lockMs: lock };
    if (this.running >= this.o.hashConcurrency && this.queue.length >= this.o.maxHashQueue) return { ok: false, why: 'busy' };
    // Checks queue behind the gate; the lock is looked at again when a check's turn comes, so
    // a burst that arrived before the first failures were counted is not hashed either.
    const ok = await this.gated(async () => {
      const t = Date.now();
      if (Math.max(this.byIdentity.lockedFor(identity, t), this.byAddress.lockedFor(address, t)) > 0) return 'locked' as const;
      return verifySecret(secret, stored);
    });
    if (ok === 'locked') return { ok: false, why: 'locked', lockMs: Math.max(this.byIdentity.lockedFor(identity, Date.now()), this.byAddress.lockedFor(address, Date.now())) };
    const t = Date.now();
    if (ok) {
      this.byIdentity.clear(identity);
      if (this.known.size >= this.o.maxCachedSecrets) {
        const oldest = this.known.keys().next();
        if (!oldest.done) this.known.delete(oldest.value);
      }
      this.known.set(key, digest);
      return { ok: true };
    }
    const lockMs = Math.max(this.byIdentity.fail(identity, t), this.byAddress.fail(address, t));
    return { ok: false, why: 'wrong-secret', lockMs };
  }

  /** A CONNECT for an identity that does not exist counts against its address (B35). */
  failUnknown(address: string, now: number = Date.now()): number {
    return this.byAddress.fail(address, now);
  }

  addressLockedFor(address: string, now: number = Date.now()): number {
    return this.byAddress.lockedFor(address, now);
  }

  private async gated<T>(fn: () => Promise<T>): Promise<T> {
    // The slot passes straight to the next waiter, so at most hashConcurrency run at once.
    if (this.running >= this.o.hashConcurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
