/**
 * Registry load time and peak memory at fleet scale (issue 16: 1,000,000 sensors ≤ 5 s, peak
 * RSS ≤ 1.5 GB), YAML against the NDJSON line format (RG8), each loaded in a fresh process.
 * Usage: node --import tsx bench/registry-load.ts <sensors> [yaml,ndjson]
 * Files are generated once under .bench/ (gitignored); the YAML is the block style a person edits.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import YAML from 'yaml';
import { Registry, renderLines, type RegistryDocT } from '../registry/index.ts';
import { DISTRICTS, planFleet, sensorDoc } from './fleet.ts';

const peakRssMiB = (): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

if (process.argv[2] === '--child') {
  const started = performance.now();
  const registry = await Registry.load(process.argv[3]!);
  const loadMs = performance.now() - started;
  process.stdout.write(JSON.stringify({ sensors: registry.size, loadMs: Math.round(loadMs), peakRssMiB: Math.round(peakRssMiB()) }));
  process.exit(0);
}

const n = Number(process.argv[2] ?? 100_000);
const formats = (process.argv[3] ?? 'yaml,ndjson').split(',');
const dir = path.resolve('.bench');
await mkdir(dir, { recursive: true });
const { sensors, gateways } = planFleet({ sensors: n, direct: 0, probes: 0, perGateway: 500 });
const header: Omit<RegistryDocT, 'sensors'> = {
  districts: DISTRICTS.map((code, i) => ({ code, name: { 'zh-TW': `測試區 ${i + 1}`, en: `Bench district ${i + 1}` } })),
  gateways: gateways.map((id) => ({ id, name: { 'zh-TW': `測試閘道 ${id}`, en: `Bench gateway ${id}` }, secretHash: `scrypt$bench$${id}` })),
};

async function ensure(format: string): Promise<string> {
  const file = path.join(dir, `registry-load-${n}.${format}`);
  if (existsSync(file)) return file;
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  const write = async (s: string) => void (out.write(s) || (await once(out, 'drain')));
  if (format === 'ndjson') {
    await write(renderLines({ ...header, sensors: [] }));
    for (let i = 0; i < sensors.length; i += 10_000) await write(`${sensors.slice(i, i + 10_000).map((s, j) => JSON.stringify(sensorDoc(s, i + j))).join('\n')}\n`);
  } else {
    await write(YAML.stringify({ ...header, sensors: [] }, { lineWidth: 0 }).replace(/sensors: \[\]\n$/, 'sensors:\n'));
    for (let i = 0; i < sensors.length; i += 10_000) await write(YAML.stringify(sensors.slice(i, i + 10_000).map((s, j) => sensorDoc(s, i + j)), { lineWidth: 0 }));
  }
  out.end();
  await once(out, 'finish');
  await rename(tmp, file);
  return file;
}

for (const format of formats) {
  const file = await ensure(format);
  const res = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 20 })) as Record<string, number>;
  process.stdout.write(`${JSON.stringify({ format, fileMiB: Math.round(statSync(file).size / 2 ** 20), ...res })}\n`);
}
