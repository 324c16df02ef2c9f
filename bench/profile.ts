import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** One row of a CPU profile's self-time table. */
export interface Hotspot {
  readonly fn: string;
  readonly where: string;
  readonly selfPercent: number;
  readonly selfMs: number;
}

/** Self time summed per area of the code base, to see where a reading's cost goes. */
export interface AreaTime {
  readonly area: string;
  readonly selfPercent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly busyMs: number;
  readonly hotspots: readonly Hotspot[];
  readonly areas: readonly AreaTime[];
}

const AREAS: readonly [RegExp, string][] = [
  [/^\(garbage collector\)/, 'V8 garbage collector'],
  [/@duckdb|storage\//, 'store (DuckDB appender, writer)'],
  [/node_modules\/(aedes|mqtt-packet|qlobber|mqemitter|aedes-[a-z-]+|bl|fastfall|fastparallel|fastseries|reusify|retimer|hyperid|debug)\/|broker\//, 'broker (aedes + our hooks)'],
  [/ingest\/|node:zlib/, 'ingest (decode, validate, journal)'],
  [/analytics\/|node_modules\/rxjs/, 'analytics (RxJS, aggregates, alerts)'],
  [/registry\/|domain\//, 'registry + domain lookups'],
  [/node_modules\/yaml/, 'YAML registry parse (start-up)'],
  [/prom-client/, 'metrics (prom-client)'],
  [/tsx|esm\/|modules\/cjs|bootstrap/, 'module loading (start-up)'],
];

function areaOf(fn: string, where: string): string {
  const key = `${fn} ${where}`;
  for (const [re, area] of AREAS) if (re.test(key)) return area;
  return where === '' || where.startsWith('node:') ? 'Node runtime / native (sockets, buffers, fs)' : 'other';
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per function from a V8 `.cpuprofile` (what `node --cpu-prof` writes):
 * each sample is charged to the frame on top of the stack, with its time delta.
 * Percentages are of busy time: `(idle)` is left out, since the profile also spans
 * start-up and the wait for the store after the load.
 */
export function hotspots(profile: CpuProfile, top = 15, window?: readonly [number, number]): Hotspot[] {
  return selfTimes(profile, window).rows.slice(0, top);
}

/** `window`: [from, to] in the profile's clock (µs, CLOCK_MONOTONIC); samples outside are ignored. */
function selfTimes(profile: CpuProfile, window?: readonly [number, number]): { busyMs: number; rows: Hotspot[] } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let ts = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    ts += dt;
    if (window && (ts < window[0] || ts > window[1])) return;
    const f = byNode.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)') return;
    const root = process.cwd();
    const file = f.url.startsWith('file://') ? path.relative(root, new URL(f.url).pathname) : f.url;
    const key = `${f.functionName || '(anonymous)'}\t${file ? `${file}:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, us]) => {
      const [fn, where] = k.split('\t') as [string, string];
      return { fn, where, selfPercent: Math.round((us / total) * 1000) / 10, selfMs: Math.round(us / 1000) };
    });
  return { busyMs: Math.round(total / 1000), rows };
}

function areas(rows: readonly Hotspot[]): AreaTime[] {
  const by = new Map<string, number>();
  for (const r of rows) by.set(areaOf(r.fn, r.where), (by.get(areaOf(r.fn, r.where)) ?? 0) + r.selfPercent);
  return [...by.entries()].sort((a, b) => b[1] - a[1]).map(([area, p]) => ({ area, selfPercent: Math.round(p * 10) / 10 }));
}

/**
 * Hotspots of the busiest profile in `dir`: a tsx process writes one profile per thread
 * (main thread and the ESM loader's worker); the main thread is the one with most busy time.
 */
export async function busiestProfile(dir: string, top = 15, window?: readonly [number, number]): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  let best: ProfileSummary | undefined;
  for (const f of files) {
    const file = path.join(dir, f);
    const t = selfTimes(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, window);
    if (!best || t.busyMs > best.busyMs) best = { file, busyMs: t.busyMs, hotspots: t.rows.slice(0, top), areas: areas(t.rows) };
  }
  return best;
}
