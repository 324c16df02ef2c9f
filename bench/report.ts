import { toTaipeiIso } from '../domain/index.ts';
import type { MachineInfo } from './machine.ts';
import type { PipelineSummary } from './metrics.ts';
import type { ProfileSummary } from './profile.ts';
import type { AlertResult, BurstResult, CityResult, MaxResult } from './scenarios.ts';

export interface TargetCheck {
  readonly id: string;
  readonly label: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export interface BenchReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: 'smoke' | 'full';
  readonly machine: MachineInfo;
  readonly options: Record<string, unknown>;
  readonly scenarios: {
    readonly city?: CityResult;
    readonly cityCompare?: CityResult;
    readonly max?: MaxResult;
    readonly alert?: AlertResult;
    readonly burst?: BurstResult;
  };
  /** (steady RSS at the larger fleet − at the smaller) ÷ extra sensors, when both city runs exist. */
  readonly marginalBytesPerSensor?: { rss: number; heap: number };
  /** acknowledged == stored in every pipeline run. */
  readonly noLoss: boolean;
  readonly targets: readonly TargetCheck[];
  /** V8 CPU profiles of the pipeline by scenario (max, alert), when run with --cpu-prof. */
  readonly profiles?: Readonly<Record<string, ProfileSummary>>;
  readonly errors: readonly string[];
}

const BASELINE_LABEL = {
  aedes: 'bare aedes broker (ack only)',
  mosquitto: 'Mosquitto 2 broker, C (ack only)',
  'node-red': 'Node-RED flow (MQTT → JSON → function → file)',
} as const;

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const n = (x: number | null | undefined, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d }));

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function pipelineRows(name: string, p: PipelineSummary): string[] {
  return [
    row([name, n(p.sensors), n(p.offeredRate), n(p.endToEndRate), `${n(p.ackLatencyP50Ms, 1)} / ${n(p.ackLatencyP99Ms, 1)}`, `${n(p.eventLoopP99Ms, 1)} / ${n(p.eventLoopMaxMs, 1)}`, `${n(p.storeLagP50)} / ${n(p.storeLagMax)}`, n(p.journalLagMax), n(p.cpuSecondsPer100k, 2), `${mb(p.peakRss)} / ${mb(p.steadyRss)}`, n(p.rssPerSensor), `${n(p.acknowledged)} = ${n(p.stored)} ${p.ackedEqualsStored ? '✓' : '✗'}`]),
  ];
}

/** The Markdown form of the report: machine, per-scenario table, baselines, targets, hotspots. */
export function toMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`## civicstream 基準測試 benchmark (${r.mode})`, '');
  out.push(`- 時間 Run: ${toTaipeiIso(Date.parse(r.startedAt))} → ${toTaipeiIso(Date.parse(r.finishedAt))}`);
  out.push(`- 機器 Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, revision ${m.revision}, load average at start ${m.loadAverage} / end ${r.options.loadAverageAtEnd as number}${m.pinned ? ', pipeline pinned to core 0 and load generator to core 1 (taskset)' : ', not pinned'}`);
  out.push(`- 無遺失 No loss (acknowledged = stored in every run): ${r.noLoss ? '✓' : '✗'}`, '');
  out.push(row(['情境 Scenario', 'sensors', 'offered/s', 'end-to-end/s (ack→stored)', 'PUBACK p50/p99 ms', 'event-loop stall p99/max ms', 'store lag p50/max', 'journal lag max', 'CPU-s /100k', 'RSS peak/steady', 'RSS B/sensor', 'acked = stored']));
  out.push(row(Array(12).fill('---')));
  const s = r.scenarios;
  if (s.city) out.push(...pipelineRows(`city load ×${s.city.speed}`, s.city.pipeline));
  if (s.cityCompare) out.push(...pipelineRows(`city load ×${s.cityCompare.speed}`, s.cityCompare.pipeline));
  if (s.max) out.push(...pipelineRows('max throughput', s.max.pipeline));
  if (s.alert) out.push(...pipelineRows('alert latency', s.alert.pipeline));
  if (s.burst) out.push(...pipelineRows(`burst ×${r.options.burstFactor as number}`, s.burst.pipeline));
  out.push('');
  if (s.max) {
    out.push(row(['吞吐比較 Throughput (max, QoS 1)', 'readings/s', 'ratio (ours ÷ it)', 'peak RSS']), row(['---', '---', '---', '---']));
    out.push(row(['civicstream (ack → stored)', n(s.max.pipeline.endToEndRate), '1', mb(s.max.pipeline.peakRss)]));
    for (const [b, v] of Object.entries(s.max.baselines)) {
      out.push(row([BASELINE_LABEL[b as keyof typeof BASELINE_LABEL] ?? b, `${n(v.rate)}${v.complete ? '' : ' (incomplete)'}`, n(s.max.ratios[b as keyof typeof s.max.ratios], 3), mb(v.peakRss)]));
    }
    out.push('');
  }
  if (s.alert) out.push(`告警延遲 Alert latency at ${n(s.alert.backgroundRate)} readings/s background: p50 ${n(s.alert.latency.p50Ms, 2)} ms, p99 ${n(s.alert.latency.p99Ms, 2)} ms, max ${n(s.alert.latency.maxMs, 2)} ms (${s.alert.latency.count} alerts, ${s.alert.latency.missing} missing, ${s.alert.latency.early} early; event-loop stall p99 ${n(s.alert.stallP99Ms, 1)} ms while measured, after ${s.alert.warmupSeconds} s of background load without probes)`, '');
  if (s.burst) out.push(`突發 Burst: ${n(s.burst.baseRate)} → target ${n(s.burst.burstTargetRate)} readings/s, acknowledged ${n(s.burst.burstAckedRate)}/s during the burst, largest device outbox backlog ${n(s.burst.maxOutboxBacklog)}, recovery to pre-burst lag (≤ ${n(s.burst.preBurstLagMax)}) in ${s.burst.recoverySeconds === null ? 'not within the recovery phase' : `${s.burst.recoverySeconds} s`}`, '');
  if (r.marginalBytesPerSensor) out.push(`每感測器記憶體 Memory per registered sensor (marginal, ${s.city?.pipeline.sensors} → ${s.cityCompare?.pipeline.sensors}): ${n(r.marginalBytesPerSensor.rss)} B RSS, ${n(r.marginalBytesPerSensor.heap)} B heap`, '');
  out.push(row(['目標 Target', 'measured', 'met']), row(['---', '---', '---']));
  for (const t of r.targets) out.push(row([t.label, t.measured, t.met === null ? '–' : t.met ? '✓' : '✗']));
  for (const [name, p] of Object.entries(r.profiles ?? {})) {
    out.push('', `CPU 熱點 Hotspots, ${name} scenario (pipeline main thread during the load window, self time as % of ${p.busyMs} ms busy; full profile for flame graphs: ${p.file}):`, '');
    out.push(row(['area', 'self %']), row(['---', '---']), ...p.areas.map((a) => row([a.area, String(a.selfPercent)])), '');
    out.push(row(['function', 'where', 'self %']), row(['---', '---', '---']), ...p.hotspots.map((h) => row([h.fn, h.where, String(h.selfPercent)])));
  }
  if (r.errors.length) out.push('', '錯誤 Errors:', ...r.errors.map((e) => `- ${e}`));
  return out.join('\n') + '\n';
}
