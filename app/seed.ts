import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import YAML, { isMap, isSeq } from 'yaml';
import { Registry, hashSecret, isLineFile, newSecret, renderLines, type RegistryDocT } from '../registry/index.ts';

export const DEMO_REGISTRY = fileURLToPath(new URL('../config/registry.demo.yaml', import.meta.url));

export function credentialsPath(dataDir: string): string {
  return path.join(dataDir, 'simulator', 'credentials.json');
}

/**
 * First start on embedded defaults: copy the demo registry into the data directory,
 * give every demo sensor and gateway a fresh random secret, store only its scrypt hash
 * in the registry, and hand the plaintext to the simulated devices' own keystore
 * (`<dataDir>/simulator/credentials.json`, mode 0600) — the simulator plays the devices,
 * and a device has to know its own secret. Real sensors get theirs from `sensors add`.
 */
export async function seedRegistry(registryFile: string, dataDir: string, logger: Logger): Promise<void> {
  if (existsSync(registryFile)) return;
  // RG6: the copy keeps the demo file's comments and layout (yaml Document API); only secretHash lines are added.
  const text = await readFile(DEMO_REGISTRY, 'utf8');
  const doc = YAML.parse(text) as RegistryDocT;
  const ydoc = YAML.parseDocument(text);
  const credentials = { sensors: {} as Record<string, string>, gateways: {} as Record<string, string> };
  const hashes = new Map<string, string>();
  await Promise.all([
    ...doc.sensors.map(async (s) => {
      const secret = newSecret();
      credentials.sensors[s.id] = secret;
      hashes.set(`sensors:${s.id}`, await hashSecret(secret));
    }),
    ...(doc.gateways ?? []).map(async (g) => {
      const secret = newSecret();
      credentials.gateways[g.id] = secret;
      hashes.set(`gateways:${g.id}`, await hashSecret(secret));
    }),
  ]);
  for (const section of ['sensors', 'gateways']) {
    const seq = ydoc.get(section);
    if (!isSeq(seq)) continue;
    for (const item of seq.items) if (isMap(item)) item.set('secretHash', hashes.get(`${section}:${String(item.get('id'))}`));
  }
  // RG8: a registry path ending in .ndjson/.jsonl gets the demo as NDJSON lines.
  const out = isLineFile(registryFile) ? renderLines(ydoc.toJS() as RegistryDocT) : ydoc.toString({ lineWidth: 0 });
  Registry.parse(out, registryFile);
  await mkdir(path.dirname(registryFile), { recursive: true });
  await mkdir(path.dirname(credentialsPath(dataDir)), { recursive: true });
  await writeFile(credentialsPath(dataDir), JSON.stringify(credentials, null, 2), { mode: 0o600 });
  await writeFile(registryFile, out, { mode: 0o600 });
  logger.info({ registry: registryFile, sensors: doc.sensors.length }, 'seeded the demo registry with fresh secrets');
}
