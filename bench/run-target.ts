import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './fleet.ts';
import type { BenchOptions } from './options.ts';
import { Child } from './proc.ts';
import type { AlertArrival, GeneratorMessage, GeneratorPlan, Phase, PhaseResult, ProbeSend, TargetMessage, TargetSample } from './protocol.ts';
import { ensureNodeRed, startNodeRed } from './targets/node-red.ts';
import { countStored } from './store-count.ts';
import { wallNow } from './targets/sampler.ts';

export type TargetKind = 'pipeline' | 'aedes' | 'node-red' | 'mosquitto';

export interface RunResult {
  readonly target: TargetKind;
  readonly startupMs: number;
  readonly connectMs: number;
  readonly samples: readonly TargetSample[];
  readonly progress: readonly { t: number; acked: number; backlog: number }[];
  readonly phases: readonly PhaseResult[];
  readonly sent: number;
  readonly acked: number;
  readonly probes: readonly ProbeSend[];
  readonly alerts: readonly AlertArrival[];
  /** Pipeline: readings counted in the DuckDB file after stop. Node-RED: lines in its output file. */
  readonly stored: number;
  /** Wall time when everything acknowledged was stored (pipeline) or written (Node-RED); NaN if never. */
  readonly allStoredMs: number;
  readonly settled: { rss: number; heapUsed: number } | undefined;
  readonly deadLetters: Record<string, number>;
  readonly errors: readonly string[];
}

const CPU_TARGET = 0;
const CPU_LOAD = 1;

/**
 * One measured run: the target process (pinned to core 0), the load generator (core
 * 1), the plan's phases, then drain, settle (GC, steady memory) and stop.
 */
export async function runTarget(o: BenchOptions, target: TargetKind, fleet: Fleet, phases: readonly Phase[], extra: { direct: boolean; probeEveryMs: number; cpuProf?: string }): Promise<RunResult> {
  const work = await mkdtemp(path.join(o.workDir, `${target}-`));
  const errors: string[] = [];
  const samples: TargetSample[] = [];
  const progress: { t: number; acked: number; backlog: number }[] = [];
  // CIVIC_BENCH_NODE_ARGS: extra node flags for the system under test, for diagnosis (--trace-gc, --heap-prof …).
  const extraArgs = target === 'pipeline' ? (process.env.CIVIC_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const nodeArgs = ['--expose-gc', ...extraArgs, ...(extra.cpuProf && o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(o.cpuProfDir, extra.cpuProf)] : [])];
  const file = target === 'pipeline' ? './targets/pipeline.ts' : target === 'mosquitto' ? './targets/mosquitto.ts' : './targets/bare-aedes.ts';
  const t = new Child<TargetMessage>(file, { cpu: CPU_TARGET, nodeArgs, label: target });
  t.onMessage = (m) => void (m.type === 'sample' && samples.push(m.sample));
  let gen: Child<GeneratorMessage> | undefined;
  let nodeRed: Awaited<ReturnType<typeof startNodeRed>> | undefined;
  try {
    t.send(target === 'pipeline' ? { type: 'start', options: { dataDir: work, registryFile: fleet.registryFile, fsync: o.fsync, sampleMs: o.sampleMs } } : { type: 'start', sampleMs: o.sampleMs });
    // 100,000-sensor registries take tens of seconds to load (YAML parse): generous timeout.
    const ready = await t.next('ready', 300_000);
    if (target === 'node-red') nodeRed = await startNodeRed(ensureNodeRed(o.benchDir, o.log), path.join(work, 'node-red'), ready.mqttPort, CPU_TARGET);
    gen = new Child<GeneratorMessage>('./load/generator.ts', { cpu: CPU_LOAD, label: 'load generator' });
    gen.onMessage = (m) => void (m.type === 'progress' && progress.push({ t: m.t, acked: m.acked, backlog: m.backlog }));
    const plan: GeneratorPlan = { host: '127.0.0.1', port: ready.mqttPort, fleetDir: o.benchDir, fleet: fleet.spec, phases, window: o.window, direct: extra.direct, probeEveryMs: extra.probeEveryMs, probeReadings: o.probeReadings };
    gen.send({ type: 'run', plan });
    const connected = await gen.next('connected', 300_000);
    const planned = phases.reduce((s, p) => s + (p.mode === 'paced' ? p.seconds * 1000 : 600_000), 0);
    const done = await gen.next('done', planned + 300_000);
    errors.push(...done.errors);
    await gen.exit();

    let allStoredMs = Number.NaN;
    let stored = 0;
    const deadline = Date.now() + 180_000;
    if (target === 'pipeline') {
      // Everything acknowledged is journaled; wait until the store has committed all of it.
      while (Date.now() < deadline) {
        const s = samples[samples.length - 1];
        if (s && s.stored !== undefined && s.journaled !== undefined && s.stored >= s.journaled && s.journaled >= done.acked) {
          allStoredMs = s.t;
          break;
        }
        await new Promise((r) => setTimeout(r, o.sampleMs));
      }
    } else if (nodeRed) {
      let last = -1;
      let lastChange = Date.now();
      while (Date.now() < deadline && Date.now() - lastChange < 15_000) {
        stored = await nodeRed.lines();
        if (stored !== last) (last = stored), (lastChange = Date.now());
        if (stored >= done.acked) {
          allStoredMs = wallNow();
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (stored < done.acked) errors.push(`node-red wrote ${stored} of ${done.acked} acknowledged readings`);
    } else {
      allStoredMs = Math.max(...done.phases.map((p) => p.endMs));
    }
    t.send({ type: 'settle' });
    const settled = await t.next('settled', 60_000);
    t.send({ type: 'stop' });
    const stopped = await t.next('stopped', 180_000);
    await t.exit();
    // Stored = rows in the DuckDB file, read after the pipeline exited: the store, not the pipeline's counters.
    const count = target === 'pipeline' ? await countStored(path.join(work, 'civicstream.duckdb')) : undefined;
    return {
      target,
      startupMs: ready.startupMs,
      connectMs: connected.connectMs,
      samples,
      progress,
      phases: done.phases,
      sent: done.sent,
      acked: done.acked,
      probes: done.probes,
      alerts: stopped.alerts,
      stored: count ? count.readings : stored,
      allStoredMs,
      settled: { rss: settled.rss, heapUsed: settled.heapUsed },
      deadLetters: count ? count.deadLetters : stopped.deadLetters,
      errors,
    };
  } finally {
    await nodeRed?.stop();
    if (gen && !gen.exited) gen.proc.kill('SIGKILL');
    if (!t.exited) {
      t.proc.kill('SIGTERM');
      await t.exit(10_000);
    }
    await rm(work, { recursive: true, force: true });
  }
}
