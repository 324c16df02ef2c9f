import { readFile, rename, writeFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { KINDS, type District, type Gateway, type Sensor } from '../domain/index.ts';
import { RegistryDoc, type RegistryDocT } from './schema.ts';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateDoc = ajv.compile<RegistryDocT>(RegistryDoc);
const validateParams = Object.fromEntries(
  Object.values(KINDS).map((d) => [d.kind, ajv.compile(d.paramsSchema)]),
) as Record<Sensor['kind'], ReturnType<typeof ajv.compile>>;

export class RegistryError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid sensor registry ${file}:\n  - ${problems.join('\n  - ')}`);
  }
}

function describe(errors: readonly ErrorObject[] | null | undefined, prefix: string): string[] {
  return (errors ?? []).map((e) => `${prefix}${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${String(e.params.allowedValues)})` : ''}`);
}

/**
 * The sensor registry: who may publish, what they are, where they stand.
 * Loaded once, validated as a whole (every problem reported at once), then read-only;
 * `civicstream sensors add|rotate-secret` edit the YAML document and save it atomically.
 */
export class Registry {
  private readonly byId = new Map<string, Sensor>();
  private readonly gatewaysById = new Map<string, Gateway>();
  private readonly districtsByCode = new Map<string, District>();

  // The parsed document is not kept: at 100,000 sensors it held ≈ 1 KB of heap per sensor
  // next to the frozen Sensor objects. The CLI's edit commands re-read the file (document()).
  private constructor(
    readonly file: string,
    doc: RegistryDocT,
  ) {
    for (const d of doc.districts) this.districtsByCode.set(d.code, d);
    for (const g of doc.gateways ?? []) if (g.secretHash) this.gatewaysById.set(g.id, { id: g.id, name: g.name, secretHash: g.secretHash });
    for (const s of doc.sensors) {
      const district = this.districtsByCode.get(s.district) as District;
      this.byId.set(s.id, Object.freeze({
        id: s.id,
        kind: s.kind,
        name: s.name,
        district,
        location: s.location,
        intervalSeconds: s.intervalSeconds ?? KINDS[s.kind].defaultIntervalSeconds,
        params: Object.freeze({ ...s.params }),
        tags: Object.freeze([...(s.tags ?? [])]),
        ...(s.gateway ? { gateway: s.gateway } : {}),
        ...(s.secretHash ? { secretHash: s.secretHash } : {}),
      }));
    }
  }

  static parse(text: string, file: string): Registry {
    let raw: unknown;
    try {
      raw = YAML.parse(text);
    } catch (err) {
      throw new RegistryError(file, [`YAML: ${(err as Error).message}`]);
    }
    if (!validateDoc(raw)) throw new RegistryError(file, describe(validateDoc.errors, ''));
    const doc = raw;
    const problems: string[] = [];
    const codes = new Set(doc.districts.map((d) => d.code));
    doc.districts.forEach((d, i) => {
      // RFC 7946 §3.1.6: a linear ring is closed (first position = last position).
      const rings = d.boundary ? (d.boundary.type === 'Polygon' ? d.boundary.coordinates : d.boundary.coordinates.flat()) : [];
      if (rings.some((r) => r[0]![0] !== r[r.length - 1]![0] || r[0]![1] !== r[r.length - 1]![1])) problems.push(`/districts/${i} (${d.code})/boundary a ring is not closed (first position must equal the last)`);
    });
    const gateways = new Set((doc.gateways ?? []).map((g) => g.id));
    const seen = new Set<string>();
    doc.sensors.forEach((s, i) => {
      const at = `/sensors/${i} (${s.id})`;
      if (seen.has(s.id)) problems.push(`${at} duplicate sensor id`);
      seen.add(s.id);
      if (gateways.has(s.id)) problems.push(`${at} id is also a gateway id`);
      if (!codes.has(s.district)) problems.push(`${at}/district unknown district code "${s.district}"`);
      if (s.gateway !== undefined && !gateways.has(s.gateway)) problems.push(`${at}/gateway unknown gateway "${s.gateway}"`);
      const check = validateParams[s.kind];
      if (!check(s.params)) problems.push(...describe(check.errors, `${at}/params`));
    });
    if (problems.length) throw new RegistryError(file, problems);
    return new Registry(file, doc);
  }

  static async load(file: string): Promise<Registry> {
    return Registry.parse(await readFile(file, 'utf8'), file);
  }

  sensor(id: string): Sensor | undefined {
    return this.byId.get(id);
  }

  gateway(id: string): Gateway | undefined {
    return this.gatewaysById.get(id);
  }

  district(code: string): District | undefined {
    return this.districtsByCode.get(code);
  }

  sensors(): IterableIterator<Sensor> {
    return this.byId.values();
  }

  districts(): IterableIterator<District> {
    return this.districtsByCode.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /** The YAML document as it is on disk now, validated, for edits by the CLI. */
  async document(): Promise<RegistryDocT> {
    const text = await readFile(this.file, 'utf8');
    Registry.parse(text, this.file);
    return YAML.parse(text) as RegistryDocT;
  }

  /** Writes a document atomically (temp file + rename) after validating it. */
  static async save(file: string, doc: RegistryDocT): Promise<Registry> {
    const text = YAML.stringify(doc, { lineWidth: 0 });
    const registry = Registry.parse(text, file);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
    return registry;
  }
}
