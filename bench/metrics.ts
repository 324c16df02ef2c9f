import type { TargetSample } from './protocol.ts';
import type { RunResult } from './run-target.ts';
import { percentile, round } from './stats.ts';

/** What one run of the pipeline measured. Rates in readings/s, times in ms, memory in bytes. */
export interface PipelineSummary {
  readonly sensors: number;
  readonly acknowledged: number;
  readonly stored: number;
  readonly ackedEqualsStored: boolean;
  readonly deadLetters: Record<string, number>;
  /** acknowledged / time the generator spent offering them. */
  readonly offeredRate: number;
  /** acknowledged / (all stored − first publish): acknowledged → stored, end to end. */
  readonly endToEndRate: number;
  readonly ackLatencyP50Ms: number;
  readonly ackLatencyP99Ms: number;
  /** Journal seq − store committed seq (readings acknowledged but not yet in the store). */
  readonly storeLagP50: number;
  readonly storeLagMax: number;
  /** Journal seq − checkpoint (includes readings held by open aggregation windows). */
  readonly journalLagMax: number;
  readonly cpuSecondsPer100k: number;
  /** Event-loop stalls: the longest, and the 99th percentile of per-100-ms-sample maxima. */
  readonly eventLoopMaxMs: number;
  readonly eventLoopP99Ms: number;
  readonly peakRss: number;
  readonly steadyRss: number;
  readonly steadyHeap: number;
  readonly rssPerSensor: number;
  readonly startupMs: number;
  readonly connectMs: number;
  /** First publish → all stored, on the monotonic clock (µs) of the pipeline process. */
  readonly loadWindowMonoUs: readonly [number, number];
  readonly errors: readonly string[];
}

/** Sample closest to (at or after) `t`; the last one if none. */
export function sampleAt(samples: readonly TargetSample[], t: number): TargetSample {
  return samples.find((s) => s.t >= t) ?? samples[samples.length - 1]!;
}

/** Sample closest to (at or before) `t`; the first one if none. */
export function sampleBefore(samples: readonly TargetSample[], t: number): TargetSample {
  let best = samples[0]!;
  for (const s of samples) if (s.t <= t) best = s;
  return best;
}

export function summarise(r: RunResult, sensors: number): PipelineSummary {
  const start = Math.min(...r.phases.map((p) => p.startMs));
  const offeredEnd = Math.max(...r.phases.map((p) => p.endMs));
  const end = Number.isFinite(r.allStoredMs) ? r.allStoredMs : offeredEnd;
  const during = r.samples.filter((s) => s.t >= start && s.t <= end);
  const lags = during.map((s) => (s.journaled ?? 0) - (s.stored ?? 0)).sort((a, b) => a - b);
  const eld = during.map((s) => s.eldMaxMs).sort((a, b) => a - b);
  const jl = during.map((s) => (s.journaled ?? 0) - (s.checkpoint ?? 0));
  const c0 = sampleBefore(r.samples, start);
  const c1 = sampleAt(r.samples, end);
  const acked = r.phases.reduce((n, p) => n + p.acked, 0);
  const weighted = (f: (p: RunResult['phases'][number]) => number) => r.phases.reduce((n, p) => n + f(p) * p.acked, 0) / Math.max(1, acked);
  return {
    sensors,
    acknowledged: r.acked,
    stored: r.stored,
    ackedEqualsStored: r.acked === r.stored,
    deadLetters: r.deadLetters,
    offeredRate: round(acked / ((offeredEnd - start) / 1000)),
    endToEndRate: round(acked / ((end - start) / 1000)),
    ackLatencyP50Ms: round(weighted((p) => p.ackP50), 2),
    ackLatencyP99Ms: round(Math.max(...r.phases.map((p) => p.ackP99)), 2),
    storeLagP50: percentile(lags, 0.5),
    storeLagMax: lags.length ? lags[lags.length - 1]! : Number.NaN,
    journalLagMax: jl.length ? Math.max(...jl) : Number.NaN,
    cpuSecondsPer100k: round(((c1.cpuUs - c0.cpuUs) / 1e6 / Math.max(1, acked)) * 100_000, 3),
    eventLoopMaxMs: round(Math.max(0, ...eld), 1),
    eventLoopP99Ms: round(percentile(eld, 0.99), 1),
    peakRss: Math.max(...r.samples.map((s) => s.rss)),
    steadyRss: r.settled?.rss ?? Number.NaN,
    steadyHeap: r.settled?.heapUsed ?? Number.NaN,
    rssPerSensor: Math.round((r.settled?.rss ?? Number.NaN) / sensors),
    startupMs: r.startupMs,
    connectMs: r.connectMs,
    loadWindowMonoUs: [c0.monoUs, c1.monoUs],
    errors: r.errors,
  };
}

/** Baseline throughput: acknowledged (bare broker) or written (Node-RED) per second, end to end. */
export function baselineRate(r: RunResult): { rate: number; complete: boolean; peakRss: number; cpuSecondsPer100k: number } {
  const start = Math.min(...r.phases.map((p) => p.startMs));
  const done = r.target === 'node-red' ? r.stored : r.acked;
  const end = Number.isFinite(r.allStoredMs) ? r.allStoredMs : Math.max(...r.phases.map((p) => p.endMs));
  const c0 = sampleBefore(r.samples, start);
  const c1 = sampleAt(r.samples, end);
  return {
    rate: round(done / ((end - start) / 1000)),
    complete: Number.isFinite(r.allStoredMs),
    peakRss: Math.max(...r.samples.map((s) => s.rss)),
    // Node-RED's own CPU is not sampled (it is not our child process); the broker's is.
    cpuSecondsPer100k: round(((c1.cpuUs - c0.cpuUs) / 1e6 / Math.max(1, r.acked)) * 100_000, 3),
  };
}

/**
 * Alert latency: the probe's last high reading (the one meeting the rule's count) ↔ the first
 * 'opened' alert of that probe on T4. An alert arriving before that send (the rule opened on
 * an earlier reading) is counted as `early`, not as a negative latency.
 */
export function alertLatency(r: RunResult): { count: number; missing: number; early: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const arrivals = new Map<string, number[]>();
  for (const a of r.alerts) (arrivals.get(a.sensorId) ?? arrivals.set(a.sensorId, []).get(a.sensorId)!).push(a.atMs);
  const seen = new Map<string, number>();
  const lat: number[] = [];
  let missing = 0;
  let early = 0;
  for (const p of r.probes) {
    const k = seen.get(p.sensorId) ?? 0;
    seen.set(p.sensorId, k + 1);
    const at = arrivals.get(p.sensorId)?.[k];
    if (at === undefined) missing++;
    else if (at < p.sentMs) early++;
    else lat.push(at - p.sentMs);
  }
  lat.sort((a, b) => a - b);
  return { count: lat.length, missing, early, p50Ms: round(percentile(lat, 0.5), 2), p99Ms: round(percentile(lat, 0.99), 2), maxMs: round(lat[lat.length - 1] ?? Number.NaN, 2) };
}
