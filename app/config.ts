import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { ConfigSchema, ENV_OVERRIDES, type Config } from './config-schema.ts';

export type { Config } from './config-schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });
const validate = ajv.compile<Config>(ConfigSchema);

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function parseEnvValue(raw: string): unknown {
  if (raw === 'on' || raw === 'yes') return true;
  if (raw === 'off' || raw === 'no') return false;
  if (/^(true|false|-?\d+(\.\d+)?)$/.test(raw)) return JSON.parse(raw);
  return raw;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Loads the configuration: optional YAML file (`CIVIC_CONFIG` or ./civicstream.yaml),
 * then CIVIC_* overrides, then defaults. The only module that reads process.env.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Readonly<Config> {
  const file = env.CIVIC_CONFIG ?? (existsSync('civicstream.yaml') ? 'civicstream.yaml' : undefined);
  let doc: Record<string, unknown> = {};
  if (file) {
    try {
      doc = (YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) ?? {};
    } catch (err) {
      throw new ConfigError([`${file}: ${(err as Error).message}`]);
    }
  }
  for (const [name, key] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(doc, key, parseEnvValue(raw));
  }
  for (const [key, value] of Object.entries(overrides)) setPath(doc, key, value);
  if (!validate(doc)) {
    const envFor = (p: string) => Object.entries(ENV_OVERRIDES).find(([, k]) => k === p)?.[0];
    throw new ConfigError(
      (validate.errors ?? []).map((e) => {
        const key = e.instancePath.slice(1).replaceAll('/', '.') || (e.params as { additionalProperty?: string }).additionalProperty || '(root)';
        const env = envFor(key);
        return `${key}${env ? ` (${env})` : ''}: ${e.message ?? 'invalid'}`;
      }),
    );
  }
  const config = doc as Config;
  config.dataDir = path.resolve(config.dataDir);
  return deepFreeze(config);
}

export function registryPath(config: Config): string {
  return path.resolve(config.registry ?? path.join(config.dataDir, 'registry.yaml'));
}
