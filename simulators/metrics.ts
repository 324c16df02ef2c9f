import { Counter, type Registry as PromRegistry } from 'prom-client';

export type SimOutcome = 'published' | 'acked' | 'malformed' | 'errors';

/** civic_simulator_messages_total{outcome}: what the simulator sent and what the broker acknowledged. */
export function createSimMetrics(registry: PromRegistry | undefined): { inc(outcome: SimOutcome): void } | undefined {
  if (!registry) return undefined;
  const existing = registry.getSingleMetric('civic_simulator_messages_total');
  const counter =
    (existing as Counter<'outcome'> | undefined) ??
    new Counter({
      name: 'civic_simulator_messages_total',
      help: 'Simulator telemetry messages by outcome (published, acked, malformed, errors)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  // Pre-bound children: the hot path does no label lookup.
  const children = {
    published: counter.labels('published'),
    acked: counter.labels('acked'),
    malformed: counter.labels('malformed'),
    errors: counter.labels('errors'),
  };
  return { inc: (outcome) => children[outcome].inc() };
}
