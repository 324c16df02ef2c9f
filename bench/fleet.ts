import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashSecret, newSecret, renderLines, type RegistryDocT, type SensorDocT } from '../registry/index.ts';

/**
 * The benchmark fleet: a registry of N sensors of all four kinds, most of them behind
 * gateway principals (as LoRaWAN network servers bridge them), a few hundred connected
 * directly, and road-flood "probe" sensors, bridged by their own gateway connection, used
 * to trigger alerts at known times (each probe is used once per run: the alert rules hold an
 * open flood alert for minutes after the water drops, so a probe cannot be re-armed quickly).
 * Authentication stays on: every direct sensor and gateway has its own scrypt-hashed
 * secret. Hashing costs ~50 ms each, so the registry and secrets are generated once per
 * fleet shape and cached under `.bench/` (gitignored).
 */
export interface FleetSpec {
  readonly sensors: number;
  readonly direct: number;
  readonly probes: number;
  /** Sensors per gateway principal (each gateway is one MQTT connection). */
  readonly perGateway: number;
}

export type FleetKind = 'air-quality' | 'parking' | 'streetlight' | 'road-flood' | 'river';

export interface FleetSensor {
  readonly id: string;
  readonly kind: FleetKind;
  readonly intervalSeconds: number;
  readonly gateway?: string;
  readonly capacity?: number;
}

export const PROBE_GATEWAY = 'b-gw-probe';

export interface Fleet {
  readonly spec: FleetSpec;
  readonly registryFile: string;
  readonly sensors: readonly FleetSensor[];
  /** Gateways of the background fleet (the probe gateway is not among them). */
  readonly gateways: readonly string[];
  readonly secrets: Readonly<Record<string, string>>;
}

/** Kind mix of a city fleet (streetlights dominate: Taipei has 100,000+), with the demo registry's intervals. */
export const KIND_MIX: readonly { kind: FleetKind; share: number; intervalSeconds: number }[] = [
  { kind: 'streetlight', share: 0.5, intervalSeconds: 300 },
  { kind: 'air-quality', share: 0.2, intervalSeconds: 60 },
  { kind: 'parking', share: 0.15, intervalSeconds: 120 },
  { kind: 'road-flood', share: 0.1, intervalSeconds: 300 },
  { kind: 'river', share: 0.05, intervalSeconds: 600 },
];

export const DISTRICTS = Array.from({ length: 13 }, (_, i) => String(68_000_010 + i * 10));
const SHORT: Record<FleetKind, string> = { streetlight: 'sl', 'air-quality': 'aq', parking: 'pk', 'road-flood': 'rf', river: 'rv' };

function kindAt(i: number): (typeof KIND_MIX)[number] {
  // Deterministic interleave: position within a 20-slot cycle picks the kind by share.
  const slot = (i % 20) / 20;
  let acc = 0;
  for (const k of KIND_MIX) if (slot < (acc += k.share) - 1e-9) return k;
  return KIND_MIX[0]!;
}

export function sensorDoc(s: FleetSensor, i: number): SensorDocT {
  const kind = s.kind === 'road-flood' || s.kind === 'river' ? 'water-level' : s.kind;
  const params: Record<string, unknown> =
    s.kind === 'streetlight' ? { schedule: { on: '17:30', off: '06:00' }, ratedPowerW: 150 }
    : s.kind === 'air-quality' ? { pollutants: ['pm25', 'pm10'] }
    : s.kind === 'parking' ? { capacity: s.capacity ?? 200 }
    : s.kind === 'road-flood' ? { station: 'road-flood', floodThresholdCm: 10 }
    : { station: 'river', warningLevels: { level3: 8, level2: 9, level1: 10 } };
  return {
    id: s.id,
    kind,
    name: { 'zh-TW': `基準測試感測器 ${s.id}`, en: `Benchmark sensor ${s.id}` },
    district: DISTRICTS[i % DISTRICTS.length]!,
    location: { lat: 24.8 + ((i * 7919) % 3000) / 10_000, lon: 121.0 + ((i * 104_729) % 4000) / 10_000 },
    intervalSeconds: s.intervalSeconds,
    params,
    ...(s.gateway ? { gateway: s.gateway } : {}),
  };
}

/** Sensor list of a fleet shape: probes first, then direct sensors, then gateway-bridged ones. */
export function planFleet(spec: FleetSpec): { sensors: FleetSensor[]; gateways: string[] } {
  const sensors: FleetSensor[] = [];
  for (let i = 0; i < spec.probes; i++) sensors.push({ id: `b-probe-${i}`, kind: 'road-flood', intervalSeconds: 300, gateway: PROBE_GATEWAY });
  const bridged = Math.max(0, spec.sensors - spec.probes - spec.direct);
  const gateways = Array.from({ length: Math.ceil(bridged / spec.perGateway) }, (_, g) => `b-gw-${g}`);
  for (let i = 0; i < spec.sensors - spec.probes; i++) {
    const k = kindAt(i);
    const gateway = i < spec.direct ? undefined : gateways[Math.floor((i - spec.direct) / spec.perGateway)];
    sensors.push({ id: `b-${SHORT[k.kind]}-${i}`, kind: k.kind, intervalSeconds: k.intervalSeconds, ...(gateway ? { gateway } : {}), ...(k.kind === 'parking' ? { capacity: 200 } : {}) });
  }
  return { sensors, gateways };
}

/** Loads the cached fleet for `spec` or generates it (hashing every secret in parallel once). */
export async function ensureFleet(dir: string, spec: FleetSpec): Promise<Fleet> {
  const name = `fleet-${spec.sensors}-${spec.direct}-${spec.probes}-${spec.perGateway}`;
  const registryFile = path.resolve(dir, `${name}.registry.ndjson`); // RG8: the line format large fleets use
  const secretsFile = path.resolve(dir, `${name}.secrets.json`);
  const { sensors, gateways } = planFleet(spec);
  if (existsSync(registryFile) && existsSync(secretsFile)) {
    const secrets = JSON.parse(await readFile(secretsFile, 'utf8')) as Record<string, string>;
    return { spec, registryFile, sensors, gateways, secrets };
  }
  const secrets: Record<string, string> = {};
  const hashes: Record<string, string> = {};
  const allGateways = spec.probes > 0 ? [...gateways, PROBE_GATEWAY] : gateways;
  const principals = [...sensors.filter((s) => !s.gateway).map((s) => s.id), ...allGateways];
  await Promise.all(
    principals.map(async (id) => {
      const secret = newSecret();
      secrets[id] = secret;
      hashes[id] = await hashSecret(secret);
    }),
  );
  const doc: RegistryDocT = {
    districts: DISTRICTS.map((code, i) => ({ code, name: { 'zh-TW': `測試區 ${i + 1}`, en: `Bench district ${i + 1}` } })),
    gateways: allGateways.map((id) => ({ id, name: { 'zh-TW': `測試閘道 ${id}`, en: `Bench gateway ${id}` }, secretHash: hashes[id]! })),
    sensors: sensors.map((s, i) => ({ ...sensorDoc(s, i), ...(s.gateway ? {} : { secretHash: hashes[s.id]! }) })),
  };
  await mkdir(dir, { recursive: true });
  // RG8 NDJSON: at 100,000 sensors it loads in ≈ 1.3 s where YAML takes ≈ 40 s.
  const tmp = `${registryFile}.${process.pid}.tmp`;
  await writeFile(tmp, renderLines(doc), { mode: 0o600 });
  await rename(tmp, registryFile);
  await writeFile(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
  return { spec, registryFile, sensors, gateways, secrets };
}
