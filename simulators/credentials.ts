import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineErrors, type CodeOf } from '../domain/index.ts';

/**
 * Plaintext secrets for the simulator, written by the app when it seeds the demo
 * registry on first start (the registry itself holds only scrypt hashes):
 *   <dataDir>/simulator/credentials.json
 *   { "sensors": { "<sensorId>": "<secret>" }, "gateways": { "<gatewayId>": "<secret>" } }
 */
export interface SimulatorCredentials {
  readonly sensors: Readonly<Record<string, string>>;
  readonly gateways: Readonly<Record<string, string>>;
}

export const SIMULATOR_ERRORS = defineErrors('simulators', {
  SIM_CREDENTIALS: { 'zh-TW': '模擬器憑證檔無效（訊息指出檔案與欄位）', en: 'the simulator credentials file is invalid (the message names the file and field)' },
} as const);

/** Its message names the file and the field at fault. */
export class CredentialsError extends Error {
  readonly code: CodeOf<typeof SIMULATOR_ERRORS> = 'SIM_CREDENTIALS';
}

export function credentialsPath(dataDir: string): string {
  return join(dataDir, 'simulator', 'credentials.json');
}

function stringMap(value: unknown, where: string, file: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CredentialsError(`${file}: "${where}" must be an object of id → secret`);
  const out: Record<string, string> = {};
  for (const [id, secret] of Object.entries(value)) {
    if (typeof secret !== 'string' || secret.length === 0) throw new CredentialsError(`${file}: ${where}.${id} must be a non-empty string`);
    out[id] = secret;
  }
  return out;
}

/** Reads and checks the credentials file; a missing file says how it comes to exist. */
export async function loadCredentials(dataDir: string): Promise<SimulatorCredentials> {
  const file = credentialsPath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CredentialsError(`${file} not found: start the server once with this data directory so it seeds the demo credentials (找不到模擬器憑證檔，請先以此資料目錄啟動伺服器)`);
    }
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CredentialsError(`${file}: must be a JSON object`);
  const d = doc as Record<string, unknown>;
  return { sensors: stringMap(d.sensors, 'sensors', file), gateways: stringMap(d.gateways, 'gateways', file) };
}
