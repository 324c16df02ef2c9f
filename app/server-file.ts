import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { credentialsPath } from './seed.ts';

/** Where a running server tells the local CLI how to reach it (RG3, AD5). */
export function serverFilePath(dataDir: string): string {
  return path.join(dataDir, 'run', 'admin.json');
}

export interface ServerFile {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  readonly startedAt: string;
}

/**
 * The simulator plays the demo devices and must learn a rotated secret (RG7): a principal already
 * in `<dataDir>/simulator/credentials.json` gets its new secret, a deleted one is removed. New
 * devices are real ones, not simulated: they are not added.
 */
export async function updateKeystore(dataDir: string, kind: string, id: string, secret: string | undefined): Promise<void> {
  const file = credentialsPath(dataDir);
  if (!existsSync(file) || kind === 'integration') return;
  const creds = JSON.parse(await readFile(file, 'utf8')) as { sensors: Record<string, string>; gateways: Record<string, string> };
  const map = kind === 'gateway' ? creds.gateways : creds.sensors;
  if (!(id in map)) return;
  if (secret === undefined) delete map[id];
  else map[id] = secret;
  await writeFile(`${file}.tmp`, JSON.stringify(creds, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
