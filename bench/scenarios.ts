import { ensureFleet, type Fleet } from './fleet.ts';
import { alertLatency, baselineRate, summarise, type PipelineSummary } from './metrics.ts';
import { naturalRate, type Baseline, type BenchOptions } from './options.ts';
import { runTarget } from './run-target.ts';
import { percentile, round } from './stats.ts';

/**
 * The four scenarios of issue 6. Each starts a fresh pipeline (new data directory) so
 * no scenario inherits another's journal, store or warm caches.
 */
function fleetFor(o: BenchOptions, sensors: number): Promise<Fleet> {
  return ensureFleet(o.benchDir, { sensors, direct: o.direct, probes: o.probes, perGateway: o.perGateway });
}

/** Acceleration that makes the fleet's real intervals add up to `rate` readings/s. */
function speedFor(sensors: number, rate: number): number {
  return rate / naturalRate(sensors);
}

export interface CityResult {
  readonly speed: number;
  readonly pipeline: PipelineSummary;
}

/** City load: the fleet at its real intervals, time-accelerated to `cityRate`, direct sensors connected. */
export async function cityLoad(o: BenchOptions, sensors: number): Promise<CityResult> {
  const fleet = await fleetFor(o, sensors);
  const speed = speedFor(sensors, o.cityRate);
  o.log(`city load: ${sensors} sensors, ×${round(speed, 2)} real time ≈ ${o.cityRate} readings/s for ${o.citySeconds} s`);
  const r = await runTarget(o, 'pipeline', fleet, [{ name: 'city', mode: 'paced', seconds: o.citySeconds, speed }], { direct: true, probeEveryMs: 0 });
  return { speed: round(speed, 3), pipeline: summarise(r, sensors) };
}

export interface MaxResult {
  readonly pipeline: PipelineSummary;
  readonly baselines: Partial<Record<Baseline, { rate: number; complete: boolean; peakRss: number; cpuSecondsPer100k: number; errors: readonly string[] }>>;
  /** Our end-to-end rate ÷ baseline rate. */
  readonly ratios: Partial<Record<Baseline, number>>;
}

/** Max throughput: every gateway connection keeps `window` QoS 1 publishes in flight until `maxReadings` are acknowledged. */
export async function maxThroughput(o: BenchOptions): Promise<MaxResult> {
  const fleet = await fleetFor(o, o.sensors);
  const phases = [{ name: 'max', mode: 'max' as const, readings: o.maxReadings }];
  o.log(`max throughput: ${o.maxReadings} readings over ${fleet.gateways.length} gateway connections, window ${o.window}`);
  const r = await runTarget(o, 'pipeline', fleet, phases, { direct: false, probeEveryMs: 0, cpuProf: 'max' });
  const pipeline = summarise(r, o.sensors);
  const baselines: MaxResult['baselines'] = {};
  const ratios: MaxResult['ratios'] = {};
  for (const b of o.baselines) {
    o.log(`max throughput baseline: ${b}`);
    const br = await runTarget(o, b, fleet, phases, { direct: false, probeEveryMs: 0 });
    const rate = baselineRate(br);
    baselines[b] = { ...rate, errors: br.errors };
    ratios[b] = round(pipeline.endToEndRate / rate.rate, 3);
  }
  return { pipeline, baselines, ratios };
}

export interface AlertResult {
  readonly backgroundRate: number;
  readonly latency: ReturnType<typeof alertLatency>;
  readonly pipeline: PipelineSummary;
  /** Event-loop stall p99 (per-100-ms-sample maxima) while the probes were measured. */
  readonly stallP99Ms: number;
  readonly warmupSeconds: number;
}

/** Alert latency: probes cross the flood threshold every `probeEveryMs` under `alertRate` background load; measured to T4 arrival. */
export async function alertLatencyScenario(o: BenchOptions): Promise<AlertResult> {
  const fleet = await fleetFor(o, o.sensors);
  const speed = speedFor(o.sensors, o.alertRate);
  o.log(`alert latency: ${o.alertRate} readings/s background, a probe alert every ${o.probeEveryMs * o.probeReadings} ms (${o.probeReadings} high readings each), ${o.alertSeconds} s`);
  const phases = [
    ...(o.alertWarmupSeconds > 0 ? [{ name: 'warmup', mode: 'paced', seconds: o.alertWarmupSeconds, speed, probes: false } as const] : []),
    { name: 'alert', mode: 'paced', seconds: o.alertSeconds, speed } as const,
  ];
  const r = await runTarget(o, 'pipeline', fleet, phases, { direct: true, probeEveryMs: o.probeEveryMs, cpuProf: 'alert' });
  const pipeline = summarise(r, o.sensors);
  // Stalls while probes were measured (the warm-up is reported with the whole run in `pipeline`).
  const measured = r.phases[r.phases.length - 1]!;
  const eld = r.samples.filter((s) => s.t >= measured.startMs && s.t <= measured.endMs).map((s) => s.eldMaxMs).sort((a, b) => a - b);
  return { backgroundRate: pipeline.offeredRate, latency: alertLatency(r), pipeline, stallP99Ms: round(percentile(eld, 0.99), 1), warmupSeconds: o.alertWarmupSeconds };
}

export interface BurstResult {
  readonly baseRate: number;
  /** Planned burst rate (base × factor) and what was acknowledged while it lasted. */
  readonly burstTargetRate: number;
  readonly burstAckedRate: number;
  readonly maxOutboxBacklog: number;
  /** Seconds from the end of the burst until device outboxes are empty and store lag is back to its pre-burst level; null if not within the recovery phase. */
  readonly recoverySeconds: number | null;
  readonly preBurstLagMax: number;
  readonly pipeline: PipelineSummary;
}

/** Burst: city load, then `burstFactor` × for `burstSeconds`, then city load again while the backlog drains. */
export async function burst(o: BenchOptions): Promise<BurstResult> {
  const fleet = await fleetFor(o, o.sensors);
  const speed = speedFor(o.sensors, o.cityRate);
  o.log(`burst: ${o.cityRate} readings/s, ×${o.burstFactor} for ${o.burstSeconds} s, then ${o.burstRecoverSeconds} s recovery`);
  const r = await runTarget(
    o,
    'pipeline',
    fleet,
    [
      { name: 'warmup', mode: 'paced', seconds: o.burstWarmupSeconds, speed },
      { name: 'burst', mode: 'paced', seconds: o.burstSeconds, speed: speed * o.burstFactor },
      { name: 'recover', mode: 'paced', seconds: o.burstRecoverSeconds, speed },
    ],
    { direct: true, probeEveryMs: 0 },
  );
  const [warm, hot] = r.phases;
  const lag = (s: (typeof r.samples)[number]) => (s.journaled ?? 0) - (s.stored ?? 0);
  // Pre-burst level: the largest lag in the second half of the warm-up (one tick's worth of readings).
  const preBurstLagMax = Math.max(0, ...r.samples.filter((s) => warm && s.t >= (warm.startMs + warm.endMs) / 2 && s.t <= warm.endMs).map(lag));
  let recoverySeconds: number | null = null;
  if (hot) {
    const outboxEmptyAfter = (t: number) => {
      const later = r.progress.filter((p) => p.t >= t);
      const lastBusy = [...later].reverse().find((p) => p.backlog > 0);
      return lastBusy ? lastBusy.t : t;
    };
    const drained = outboxEmptyAfter(hot.endMs);
    const back = r.samples.find((s) => s.t >= drained && lag(s) <= Math.max(preBurstLagMax, 1));
    if (back) recoverySeconds = round((back.t - hot.endMs) / 1000, 2);
  }
  return {
    baseRate: round(warm ? warm.acked / ((warm.endMs - warm.startMs) / 1000) : Number.NaN),
    burstTargetRate: o.cityRate * o.burstFactor,
    burstAckedRate: round(hot ? hot.acked / ((hot.endMs - hot.startMs) / 1000) : Number.NaN),
    maxOutboxBacklog: Math.max(...r.phases.map((p) => p.maxBacklog)),
    recoverySeconds,
    preBurstLagMax,
    pipeline: summarise(r, o.sensors),
  };
}
