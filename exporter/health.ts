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
