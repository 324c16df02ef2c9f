/**
 * Retries with exponential backoff and full jitter-free doubling (deterministic, so the
 * delivery log reads the same in tests and in production):
 * RY1 attempt n (1-based) failing waits min(maxMs, baseMs × 2^(n−1)) before attempt n+1.
 * RY2 after maxAttempts failures the job is dead-lettered (reported once, not retried).
 * The timer is injectable; delivery is I/O, so real timers are fine here (the rule
 * engine itself never touches a timer).
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 6, baseMs: 1000, maxMs: 60_000 });

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function backoffMs(p: RetryPolicy, attempt: number): number {
  return Math.min(p.maxMs, p.baseMs * 2 ** (attempt - 1));
}

export interface AttemptReport {
  readonly attempt: number;
  readonly ok: boolean;
  readonly error?: string;
  /** True on the last failure: no more attempts (RY2). */
  readonly dead: boolean;
}

/**
 * Runs `send` until it succeeds or the policy gives up; reports every attempt.
 * RY3 `stopped()` (shutdown) ends the retries after the current attempt: the failure is
 *     reported with the reason, so the delivery log shows what was not retried.
 */
export async function withRetry(send: () => Promise<void>, p: RetryPolicy, report: (r: AttemptReport) => void, sleep: Sleep = realSleep, stopped: () => boolean = () => false): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      report({ attempt, ok: true, dead: false });
      return true;
    } catch (err) {
      const dead = attempt >= p.maxAttempts;
      const stop = !dead && stopped();
      report({ attempt, ok: false, error: (err as Error).message + (stop ? ' (shutting down: not retried)' : ''), dead });
      if (dead || stop) return false;
      await sleep(backoffMs(p, attempt));
      if (stopped()) {
        report({ attempt, ok: false, error: 'shutting down: not retried', dead: false });
        return false;
      }
    }
  }
}
