import { Counter, Gauge, type Registry } from 'prom-client';
import type { BrokerRejection } from './contract.ts';

export interface BrokerMetrics {
  readonly connections: Counter<'result'>;
  readonly rejected: Counter<'reason'>;
  readonly inbound: Counter;
  readonly throttled: Counter;
  /** B35: failed MQTT logins by cause (wrong-secret, locked, busy, unknown-user). */
  readonly loginFailures: Counter<'why'>;
  /** B39: violations by peers that never authenticated, and how many of them were dead-lettered (sampled). */
  readonly unauthenticated: Counter<'outcome'>;
}

/** Registers the broker's metrics on the injected registry. */
export function createBrokerMetrics(registry: Registry, connectedClients: () => number): BrokerMetrics {
  new Gauge({
    name: 'civic_mqtt_connected_clients',
    help: 'MQTT clients currently connected and authenticated',
    registers: [registry],
    // Read at scrape time from aedes' own count, so it cannot drift from it.
    collect() {
      this.set(connectedClients());
    },
  });
  const connections = new Counter({
    name: 'civic_mqtt_connections_total',
    help: 'MQTT CONNECT attempts by outcome',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'civic_mqtt_rejected_total',
    help: 'PUBLISH packets (or connections, for OVERSIZED) refused by the broker, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const inbound = new Counter({
    name: 'civic_mqtt_inbound_total',
    help: 'Authorised sensor-topic PUBLISH packets handed to ingest',
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'civic_mqtt_throttled_total',
    help: 'QoS 1/2 PUBLISH packets delayed (not dropped) by the rate limit',
    registers: [registry],
  });
  const loginFailures = new Counter({
    name: 'civic_mqtt_login_failures_total',
    help: 'Failed MQTT logins by cause: wrong-secret, locked (throttled without hashing), busy (hash queue full), unknown-user',
    labelNames: ['why'] as const,
    registers: [registry],
  });
  const unauthenticated = new Counter({
    name: 'civic_mqtt_unauthenticated_violations_total',
    help: 'Oversized packets from peers that never authenticated: sampled = dead-lettered, dropped = counted only',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const why of ['wrong-secret', 'locked', 'busy', 'unknown-user']) loginFailures.inc({ why }, 0);
  for (const outcome of ['sampled', 'dropped']) unauthenticated.inc({ outcome }, 0);
  // Zero-initialise the label sets so dashboards see 0 rather than "no data".
  for (const result of ['accepted', 'refused']) connections.inc({ result }, 0);
  const reasons: ReadonlyArray<BrokerRejection['reason']> = ['NOT_AUTHORIZED', 'RATE_LIMITED', 'OVERSIZED', 'UNKNOWN_SENSOR', 'BAD_TOPIC'];
  for (const reason of reasons) rejected.inc({ reason }, 0);
  return { connections, rejected, inbound, throttled, loginFailures, unauthenticated };
}
