import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { SCENARIOS, benchOptions, runBench, toMarkdown, type BenchOptions, type ScenarioName } from '../bench/index.ts';

interface BenchFlags {
  smoke?: boolean;
  scenarios?: string;
  sensors?: number;
  compareSensors?: number;
  direct?: number;
  cityRate?: number;
  citySeconds?: number;
  maxReadings?: number;
  alertRate?: number;
  alertSeconds?: number;
  alertWarmup?: number;
  burstFactor?: number;
  burstWarmup?: number;
  burstSeconds?: number;
  burstRecover?: number;
  baselines?: string;
  cpuProf?: string | boolean;
  fsync?: boolean;
  out?: string;
}

/** `civicstream bench [--smoke]`: runs the harness (bench/) and writes report JSON + Markdown. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('效能基準測試 benchmark: city load, max throughput, alert latency, burst; baselines bare aedes, Mosquitto and Node-RED')
    .option('--smoke', 'a few seconds per scenario on a small fleet (CI)')
    .option('--scenarios <list>', `comma-separated: ${SCENARIOS.join(',')}`)
    .option('--sensors <n>', 'fleet size of every scenario (default 20000)', Number)
    .option('--compare-sensors <n>', 'second fleet size for city load at the same rate (0 = skip; default 200000)', Number)
    .option('--direct <n>', 'directly connected sensors (the rest publish through gateways)', Number)
    .option('--city-rate <n>', 'city load readings/s (real intervals, time-accelerated)', Number)
    .option('--city-seconds <s>', 'city load duration', Number)
    .option('--max-readings <n>', 'readings in the max-throughput scenario', Number)
    .option('--alert-rate <n>', 'background readings/s in the alert-latency scenario', Number)
    .option('--alert-seconds <s>', 'alert-latency duration', Number)
    .option('--alert-warmup <s>', 'background load before the first alert probe, not measured (default 5)', Number)
    .option('--burst-factor <x>', 'burst multiplier', Number)
    .option('--burst-warmup <s>', 'seconds of city load before the burst', Number)
    .option('--burst-seconds <s>', 'burst duration', Number)
    .option('--burst-recover <s>', 'seconds of city load after the burst', Number)
    .option('--baselines <list>', 'comma-separated: aedes,node-red,mosquitto (or none)')
    .option('--cpu-prof [dir]', 'write a V8 CPU profile of the pipeline in the max-throughput scenario')
    .option('--no-fsync', 'journal without fdatasync (measures the bare cost; not the durable default)')
    .option('--out <dir>', 'report directory', '.bench/reports')
    .action(async (f: BenchFlags) => {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const overrides: Partial<BenchOptions> & { smoke?: boolean } = {
        ...(f.smoke ? { smoke: true } : {}),
        ...(f.scenarios ? { scenarios: f.scenarios.split(',').map((s) => s.trim()).filter((s): s is ScenarioName => (SCENARIOS as readonly string[]).includes(s)) } : {}),
        ...(f.sensors ? { sensors: f.sensors } : {}),
        ...(f.compareSensors !== undefined ? { compareSensors: f.compareSensors } : {}),
        ...(f.direct !== undefined ? { direct: f.direct } : {}),
        ...(f.cityRate ? { cityRate: f.cityRate } : {}),
        ...(f.citySeconds ? { citySeconds: f.citySeconds } : {}),
        ...(f.maxReadings ? { maxReadings: f.maxReadings } : {}),
        ...(f.alertRate ? { alertRate: f.alertRate } : {}),
        ...(f.alertSeconds ? { alertSeconds: f.alertSeconds } : {}),
        ...(f.alertWarmup !== undefined ? { alertWarmupSeconds: f.alertWarmup } : {}),
        ...(f.burstFactor ? { burstFactor: f.burstFactor } : {}),
        ...(f.burstWarmup ? { burstWarmupSeconds: f.burstWarmup } : {}),
        ...(f.burstSeconds ? { burstSeconds: f.burstSeconds } : {}),
        ...(f.burstRecover ? { burstRecoverSeconds: f.burstRecover } : {}),
        ...(f.baselines ? { baselines: f.baselines === 'none' ? [] : (f.baselines.split(',').map((s) => s.trim()) as BenchOptions['baselines']) } : {}),
        ...(f.cpuProf ? { cpuProfDir: path.resolve(typeof f.cpuProf === 'string' ? f.cpuProf : path.join('.bench', 'profiles', stamp)) } : {}),
        ...(f.fsync === false ? { fsync: false } : {}),
      };
      const options = await benchOptions(overrides);
      if (options.cpuProfDir) await mkdir(options.cpuProfDir, { recursive: true });
      const report = await runBench(options);
      const md = toMarkdown(report);
      await mkdir(f.out ?? '.bench/reports', { recursive: true });
      const base = path.join(f.out ?? '.bench/reports', `bench-${report.mode}-${stamp}`);
      await writeFile(`${base}.json`, JSON.stringify(report, null, 2));
      await writeFile(`${base}.md`, md);
      process.stdout.write(`${md}\n報告 Report: ${base}.json, ${base}.md\n`);
      if (!report.noLoss || report.errors.length > 0) process.exitCode = 1;
    });
}
