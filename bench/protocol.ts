import type { FleetSpec } from './fleet.ts';

/**
 * Messages between the harness and its child processes (Node IPC channel). Each
 * child is a separate process so the load generator, the system under test and the
 * harness never share an event loop or a core (they are pinned with taskset).
 */

/** A load phase: paced at the fleet's real intervals × `speed`, or `max` = as fast as PUBACKs return. */
export type Phase =
  /** `probes: false`: no alert probes in this phase (the alert scenario's warm-up). */
  | { readonly name: string; readonly mode: 'paced'; readonly seconds: number; readonly speed: number; readonly probes?: boolean }
  | { readonly name: string; readonly mode: 'max'; readonly readings: number };

export interface GeneratorPlan {
  readonly host: string;
  readonly port: number;
  readonly fleetDir: string;
  readonly fleet: FleetSpec;
  readonly phases: readonly Phase[];
  /** QoS 1 messages in flight per connection. */
  readonly window: number;
  /** Connect the directly attached sensors (city-like); max-throughput uses only gateways. */
  readonly direct: boolean;
  /** Alert probes: one threshold-crossing reading every `probeEveryMs` (0 = off). */
  readonly probeEveryMs: number;
  /**
   * Consecutive high readings a probe sends; latency is timed from the last one. Matches the
   * rule's `for: { count }` (config/rules.default.yaml water.road.flood: 2).
   */
  readonly probeReadings: number;
}

export interface PhaseResult {
  readonly name: string;
  readonly startMs: number;
  /** Wall time when the phase's last reading was acknowledged. */
  readonly endMs: number;
  readonly sent: number;
  readonly acked: number;
  /** Publish → PUBACK latency, ms. */
  readonly ackP50: number;
  readonly ackP99: number;
  /** Largest number of due readings waiting for a free window slot (device outboxes). */
  readonly maxBacklog: number;
  /** Wall time the outbox backlog last became empty in this phase (recovery marker). */
  readonly backlogClearedMs: number;
}

export interface ProbeSend {
  readonly sensorId: string;
  readonly sentMs: number;
}

export type GeneratorMessage =
  | { readonly type: 'connected'; readonly connections: number; readonly connectMs: number }
  | { readonly type: 'progress'; readonly t: number; readonly acked: number; readonly backlog: number }
  | { readonly type: 'done'; readonly phases: readonly PhaseResult[]; readonly sent: number; readonly acked: number; readonly probes: readonly ProbeSend[]; readonly errors: readonly string[] };

/** One sample of the system under test, taken inside its process. */
export interface TargetSample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** process.cpuUsage() user + system, µs (all threads: DuckDB, libuv pool). */
  readonly cpuUs: number;
  /** CLOCK_MONOTONIC in µs: the clock V8 CPU profiles are stamped with, to cut a profile to the load window. */
  readonly monoUs: number;
  /** Longest event-loop delay since the previous sample, ms. */
  readonly eldMaxMs: number;
  /** Readings appended to the journal (acknowledged), pipeline only. */
  readonly journaled?: number;
  /** Highest seq durable in the store, pipeline only. */
  readonly stored?: number;
  readonly checkpoint?: number;
}

export interface AlertArrival {
  readonly sensorId: string;
  readonly atMs: number;
}

export type TargetMessage =
  | { readonly type: 'ready'; readonly mqttPort: number; readonly startupMs: number }
  | { readonly type: 'sample'; readonly sample: TargetSample }
  | { readonly type: 'settled'; readonly rss: number; readonly heapUsed: number }
  | { readonly type: 'stopped'; readonly stored: number; readonly deadLetters: Record<string, number>; readonly alerts: readonly AlertArrival[] };

export type TargetCommand = { readonly type: 'settle' } | { readonly type: 'stop' };

export interface PipelineTargetOptions {
  readonly dataDir: string;
  readonly registryFile: string;
  readonly fsync: boolean;
  readonly sampleMs: number;
}
