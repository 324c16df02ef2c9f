/**
 * Wrong-password throttle (CO4): per staff name and per client address, after `free`
 * failures each further attempt must wait 2^(failures − free) seconds, capped at
 * `maxDelayMs`. A success clears the name's counter. Bounded maps, no timers.
 */
export class LoginThrottle {
  private readonly fails = new Map<string, { n: number; last: number }>();
  constructor(
    private readonly free = 5,
    private readonly maxDelayMs = 15 * 60_000,
    private readonly maxKeys = 50_000,
  ) {}

  /** Milliseconds the caller must still wait before another attempt for these keys (0 = go). */
  waitMs(keys: readonly string[], now: number): number {
    let wait = 0;
    for (const k of keys) {
      const f = this.fails.get(k);
      if (!f || f.n < this.free) continue;
      const delay = Math.min(this.maxDelayMs, 1000 * 2 ** (f.n - this.free));
      wait = Math.max(wait, f.last + delay - now);
    }
    return Math.max(0, wait);
  }

  failed(keys: readonly string[], now: number): void {
    for (const k of keys) {
      const f = this.fails.get(k);
      if (f && now - f.last > this.maxDelayMs * 2) f.n = 0;
      if (!f && this.fails.size >= this.maxKeys) this.fails.delete(this.fails.keys().next().value as string);
      this.fails.set(k, { n: (f?.n ?? 0) + 1, last: now });
    }
  }

  succeeded(key: string): void {
    this.fails.delete(key);
  }
}
