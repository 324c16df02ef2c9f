/** One component's state as the composition root gathers it (broker, journal, store, …). */
export interface HealthComponent {
  ok: boolean;
  detail?: string;
  [k: string]: unknown;
}

/**
 * ok: everything up. degraded: still serving (e.g. database down, readings buffered to
 * disk and replayed later), so /healthz stays 200 and a load balancer keeps routing to us.
 * down: this instance cannot serve, /healthz answers 503.
 */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  components: Record<string, HealthComponent>;
}

export interface HealthSource {
  (): Promise<HealthReport>;
}

/** One component that is not ok now, and since when (HZ2). */
export interface DegradedComponent {
  readonly component: string;
  /** First health check that saw it not ok, ISO 8601 with +08:00. */
  readonly since: string;
  readonly detail?: string;
}

/**
 * HZ1 /healthz describes now: a component is degraded only while its check fails now
 *     (a past error that was followed by success, with the backlog drained, is history).
 * HZ2 Each degraded component carries since when it has been degraded (the first check
 *     that saw it fail, kept until a check sees it ok again); the report lists them.
 */
export class HealthTracker {
  private readonly since = new Map<string, number>();

  constructor(private readonly iso: (epochMs: number) => string) {}

  observe(report: HealthReport, now: number): HealthReport & { degraded: DegradedComponent[] } {
    const degraded: DegradedComponent[] = [];
    for (const [name, c] of Object.entries(report.components)) {
      if (c.ok) {
        this.since.delete(name);
        continue;
      }
      let at = this.since.get(name);
      if (at === undefined) this.since.set(name, (at = now));
      c.degradedSince = this.iso(at);
      degraded.push({ component: name, since: this.iso(at), ...(c.detail ? { detail: c.detail } : {}) });
    }
    for (const name of [...this.since.keys()]) if (!(name in report.components)) this.since.delete(name);
    return { ...report, degraded };
  }
}
