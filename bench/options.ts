import { KIND_MIX } from './fleet.ts';

export const SCENARIOS = ['city', 'max', 'alert', 'burst'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export type Baseline = 'aedes' | 'node-red' | 'mosquitto';

/** Everything a bench run is parameterised by; every duration is configurable. */
export interface BenchOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly smoke: boolean;
  /** Fleet size of every scenario (default 20,000; the city scenario repeats at `compareSensors`). */
  readonly sensors: number;
  /** A second fleet size run at the same rate to show cost vs number of sensors (0 = skip). */
  readonly compareSensors: number;
  readonly direct: number;
  readonly probes: number;
  readonly perGateway: number;
  /** City load in readings/s; the fleet's real intervals are accelerated to reach it. */
  readonly cityRate: number;
  readonly citySeconds: number;
  readonly maxReadings: number;
  readonly alertRate: number;
  readonly alertSeconds: number;
  /** Background load before the first probe, not measured (connections, JIT and the first ticks settle). */
  readonly alertWarmupSeconds: number;
  readonly probeEveryMs: number;
  /** High readings per probe before its alert should open (the flood rule's `for: { count: 2 }`). */
  readonly probeReadings: number;
  readonly burstFactor: number;
  readonly burstWarmupSeconds: number;
  readonly burstSeconds: number;
  readonly burstRecoverSeconds: number;
  readonly baselines: readonly Baseline[];
  /** Write a V8 CPU profile of the pipeline in the max-throughput scenario into this directory. */
  readonly cpuProfDir?: string;
  readonly fsync: boolean;
  readonly window: number;
  /** Cache of generated fleets and the Node-RED install (gitignored). */
  readonly benchDir: string;
  /** Where run data (journal, DuckDB, Node-RED output) goes; removed afterwards. */
  readonly workDir: string;
  readonly sampleMs: number;
  readonly log: (line: string) => void;
}

export const FULL_DEFAULTS: Omit<BenchOptions, 'benchDir' | 'workDir' | 'log'> = {
  scenarios: SCENARIOS,
  smoke: false,
  // Issue 16: cost per reading and per sensor at 200,000 within 20 % of the 20,000-sensor figures.
  sensors: 20_000,
  compareSensors: 200_000,
  direct: 200,
  // One probe per alert: alertSeconds × 1000 / probeEveryMs / probeReadings, plus spare.
  probes: 320,
  perGateway: 1_000,
  cityRate: 2_000,
  citySeconds: 60,
  maxReadings: 300_000,
  alertRate: 5_000,
  alertSeconds: 60,
  alertWarmupSeconds: 5,
  probeEveryMs: 100,
  probeReadings: 2,
  burstFactor: 10,
  burstWarmupSeconds: 20,
  burstSeconds: 60,
  burstRecoverSeconds: 120,
  baselines: ['aedes', 'node-red', 'mosquitto'],
  fsync: true,
  window: 256,
  sampleMs: 100,
};

/** Smoke mode (CI): every scenario for a few seconds on a small fleet, the two bare-broker baselines (no Node-RED install). */
export const SMOKE_DEFAULTS: Omit<BenchOptions, 'benchDir' | 'workDir' | 'log'> = {
  ...FULL_DEFAULTS,
  smoke: true,
  sensors: 600,
  compareSensors: 0,
  direct: 10,
  probes: 20,
  perGateway: 200,
  cityRate: 300,
  citySeconds: 3,
  maxReadings: 3_000,
  alertRate: 300,
  alertSeconds: 3,
  alertWarmupSeconds: 1,
  probeEveryMs: 100,
  burstWarmupSeconds: 1,
  burstSeconds: 2,
  burstRecoverSeconds: 3,
  baselines: ['aedes', 'mosquitto'],
};

/** Readings/s the fleet produces at real intervals (speed 1). */
export function naturalRate(sensors: number): number {
  return KIND_MIX.reduce((sum, k) => sum + (sensors * k.share) / k.intervalSeconds, 0);
}
