/**
 * Token bucket for one connection (rule B7). O(1) and timer-free: tokens are
 * refilled lazily from the time elapsed since the last call, so a city's worth of
 * idle connections costs no timers and no CPU.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token at time `now` (ms, monotonic); false when the bucket is empty. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Reserves one token even when the bucket is empty (it goes into debt) and returns
   * how many ms the caller must wait before using it: 0 when a token was there. Used to
   * delay, rather than drop, messages whose sender waits for an acknowledgement.
   */
  reserve(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.ratePerSecond;
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }
}
