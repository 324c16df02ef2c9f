import { readFile, rename, writeFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { isSensorKind, KIND_NAMES, kindOf, perKind, type District, type Gateway, type LocalizedText, type Sensor } from '../domain/index.ts';
import { eachLine, fileBlocks, isLineFile, jsonProblem, renderLines, type LineHeaderT } from './lines.ts';
import { GatewayDoc, IntegrationDoc, isSensorDocShape, LineHeader, RegistryDoc, SensorDoc, type GatewayDocT, type IntegrationDocT, type RegistryDocT, type SensorDocT } from './schema.ts';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateDoc = ajv.compile<RegistryDocT>(RegistryDoc);
const validateHeader = ajv.compile<LineHeaderT>(LineHeader);
export const validateSensorDoc = ajv.compile<SensorDocT>(SensorDoc);
export const validateGatewayDoc = ajv.compile<GatewayDocT>(GatewayDoc);
export const validateIntegrationDoc = ajv.compile<IntegrationDocT>(IntegrationDoc);
/** The compiled `paramsSchema` of a kind, on first use. */
export const validateParams = perKind((d) => ajv.compile(d.paramsSchema));

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

/** An integration principal (RG5): reads what `read` grants, publishes only what `publish` grants. */
export interface Integration {
  readonly id: string;
  readonly name?: string | LocalizedText;
  readonly read: readonly string[];
  readonly publish: readonly string[];
  readonly secretHash?: string;
  readonly disabled?: boolean;
}

export type PrincipalKind = 'sensor' | 'gateway' | 'integration';

/** What the broker needs to authenticate a username (RG2): looked up on every CONNECT, so always current. */
export interface RegistryPrincipal {
  readonly type: PrincipalKind;
  readonly id: string;
  readonly secretHash?: string;
  readonly disabled: boolean;
}

/**
 * One committed registry change (RG1). `revoke` = live sessions of this principal must end:
 * its secret was rotated, it was disabled or deleted, or its grants changed.
 */
export interface RegistryChange {
  readonly kind: PrincipalKind;
  readonly id: string;
  readonly op: 'add' | 'update' | 'delete';
  readonly revoke: boolean;
}

/** The registry YAML shape of a gateway, as stored (the admin API hides `secretHash`). */
export type GatewayEntry = GatewayDocT;

const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * A frozen Sensor. `owned`: the document was parsed by the registry itself and is dropped
 * after this, so its `params` and `tags` are frozen in place instead of copied (RG8: at
 * 1,000,000 sensors each copy is a million more objects for the garbage collector). The kind
 * string is the kind registry's own (one string per kind, not one per sensor). One object
 * literal per combination of the optional fields, so that each Sensor is allocated once with
 * all its fields in the object (no property added after, no spread temporaries).
 */
function buildSensor(s: SensorDocT, district: District, owned = false, gateway: string | undefined = s.gateway): Sensor {
  const k = kindOf(s.kind);
  const kind = k.kind;
  const intervalSeconds = s.intervalSeconds ?? k.defaultIntervalSeconds;
  const params = Object.freeze(owned ? s.params : { ...s.params });
  const tags = s.tags?.length ? Object.freeze(owned ? s.tags : [...s.tags]) : NO_TAGS;
  const { id, name, location, secretHash } = s;
  return Object.freeze(
    gateway
      ? secretHash
        ? { id, kind, name, district, location, intervalSeconds, params, tags, gateway, secretHash }
        : { id, kind, name, district, location, intervalSeconds, params, tags, gateway }
      : secretHash
        ? { id, kind, name, district, location, intervalSeconds, params, tags, secretHash }
        : { id, kind, name, district, location, intervalSeconds, params, tags },
  );
}

function buildIntegration(i: IntegrationDocT): Integration {
  return Object.freeze({
    id: i.id,
    ...(i.name !== undefined ? { name: i.name } : {}),
    read: Object.freeze([...i.read]),
    publish: Object.freeze([...(i.publish ?? [])]),
    ...(i.secretHash ? { secretHash: i.secretHash } : {}),
    ...(i.disabled ? { disabled: true } : {}),
  });
}

/** What the cross-entry checks of one document remember while its sensors are checked. */
interface Checks {
  readonly codes: Set<string>;
  readonly gateways: Set<string>;
  readonly integrations: Set<string>;
  /** Sensor ids checked so far (a line registry uses its own map instead of a second set). */
  seen: { has(id: string): boolean; add(id: string): unknown };
  readonly problems: string[];
}

/** Districts (closed rings), gateways and integrations: everything but the sensors. */
function checkHeader(doc: RegistryDocT, prefix: string): Checks {
  const problems: string[] = [];
  doc.districts.forEach((d, i) => {
    // RFC 7946 §3.1.6: a linear ring is closed (first position = last position).
    const rings = d.boundary ? (d.boundary.type === 'Polygon' ? d.boundary.coordinates : d.boundary.coordinates.flat()) : [];
    if (rings.some((r) => r[0]![0] !== r[r.length - 1]![0] || r[0]![1] !== r[r.length - 1]![1])) problems.push(`${prefix}/districts/${i} (${d.code})/boundary a ring is not closed (first position must equal the last)`);
  });
  const gateways = new Set((doc.gateways ?? []).map((g) => g.id));
  const integrations = new Set<string>();
  (doc.integrations ?? []).forEach((g, i) => {
    const at = `${prefix}/integrations/${i} (${g.id})`;
    if (gateways.has(g.id) || integrations.has(g.id)) problems.push(`${at} id is already used by another principal`);
    integrations.add(g.id);
    (g.publish ?? []).forEach((p, j) => {
      if (!isOwnIntegrationPattern(g.id, p)) problems.push(`${at}/publish/${j} must lie under integrations/${g.id}/`);
    });
  });
  return { codes: new Set(doc.districts.map((d) => d.code)), gateways, integrations, seen: new Set(), problems };
}

/** `where` words the entry's place for a problem; called only when there is one (RG8: not built for each of 1,000,000 good lines). */
function checkSensor(s: SensorDocT, where: () => string, c: Checks): void {
  if (c.seen.has(s.id)) c.problems.push(`${where()} duplicate sensor id`);
  else if (c.gateways.has(s.id)) c.problems.push(`${where()} id is also a gateway id`);
  else if (c.integrations.has(s.id)) c.problems.push(`${where()} id is already used by another principal (an integration)`);
  c.seen.add(s.id);
  if (!c.codes.has(s.district)) c.problems.push(`${where()}/district unknown district code "${s.district}"`);
  if (s.gateway !== undefined && !c.gateways.has(s.gateway)) c.problems.push(`${where()}/gateway unknown gateway "${s.gateway}"`);
  if (!isSensorKind(s.kind)) return void c.problems.push(`${where()}/kind unknown kind "${s.kind}" (one of ${KIND_NAMES.join(', ')})`);
  const check = validateParams(s.kind);
  if (!check(s.params)) c.problems.push(...describe(check.errors, `${where()}/params`));
}

/**
 * The sensor registry: who may connect, what they are, where they stand.
 *
 * RG1 It is live: one in-process object shared by broker, ingest, analytics and exporter;
 *     `RegistryWriter` (registry/writer.ts) changes it in place after the file is on disk and
 *     then emits a `RegistryChange` per principal, so every lookup sees the change at once.
 * RG4 `disabled: true` keeps a sensor/gateway/integration registered but refuses its CONNECT.
 * Validated as a whole at load (every problem reported at once).
 */
export class Registry {
  private readonly byId = new Map<string, Sensor>();
  private readonly gatewaysById = new Map<string, GatewayDocT>();
  private readonly integrationsById = new Map<string, Integration>();
  private readonly districtsByCode = new Map<string, District>();
  private readonly disabledSensors = new Set<string>();
  private readonly listeners = new Set<(changes: readonly RegistryChange[]) => void>();

  // The parsed document is not kept: at 100,000 sensors it held ≈ 1 KB of heap per sensor
  // next to the frozen Sensor objects. The writer re-reads the file when it edits.
  private constructor(
    readonly file: string,
    doc: RegistryDocT,
  ) {
    this.fill(doc);
  }

  private fill(doc: RegistryDocT): void {
    for (const d of doc.districts) this.districtsByCode.set(d.code, d);
    for (const g of doc.gateways ?? []) this.gatewaysById.set(g.id, g);
    for (const i of doc.integrations ?? []) this.integrationsById.set(i.id, buildIntegration(i));
    for (const s of doc.sensors) {
      this.byId.set(s.id, buildSensor(s, this.districtsByCode.get(s.district) as District));
      if (s.disabled) this.disabledSensors.add(s.id);
    }
  }

  /** A registry file's text: YAML, or NDJSON lines when the file name says so (RG8). */
  static parse(text: string, file: string): Registry {
    if (isLineFile(file)) return Registry.fromLines([text], file);
    let raw: unknown;
    try {
      raw = YAML.parse(text);
    } catch (err) {
      throw new RegistryError(file, [`YAML: ${(err as Error).message}`]);
    }
    if (!validateDoc(raw)) throw new RegistryError(file, describe(validateDoc.errors, ''));
    const doc = raw;
    const c = checkHeader(doc, '');
    doc.sensors.forEach((sd, i) => checkSensor(sd, () => `/sensors/${i} (${sd.id})`, c));
    if (c.problems.length) throw new RegistryError(file, c.problems);
    return new Registry(file, doc);
  }

  /** Loads a registry file: YAML, or NDJSON streamed line by line (RG8). */
  static async load(file: string): Promise<Registry> {
    if (isLineFile(file)) return Registry.fromLines(fileBlocks(file), file);
    return Registry.parse(await readFile(file, 'utf8'), file);
  }

  /**
   * RG8: header line, then one sensor per line; each line is parsed, validated and built before
   * the next is read, so only the built Sensor objects stay. Problems name their line number;
   * after 100 the rest are counted, not listed. `blocks` are runs of whole lines (lines.ts).
   */
  private static fromLines(blocks: Iterable<string>, file: string): Registry;
  private static fromLines(blocks: AsyncIterable<string>, file: string): Promise<Registry>;
  private static fromLines(blocks: Iterable<string> | AsyncIterable<string>, file: string): Registry | Promise<Registry> {
    let registry: Registry | undefined;
    let c: Checks | undefined;
    let more = 0;
    const problem = (p: string) => (c!.problems.length < 100 ? c!.problems.push(p) : more++);
    const header = (no: number, text: string): void => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new RegistryError(file, [jsonProblem(no, err)]);
      }
      if (!validateHeader(value)) throw new RegistryError(file, describe(validateHeader.errors, `line ${no}: header `));
      c = checkHeader({ ...value, sensors: [] }, `line ${no}: header `);
      const r = new Registry(file, { ...value, sensors: [] });
      c.seen = { has: (id) => r.byId.has(id), add: () => undefined };
      registry = r;
    };
    const take = (no: number, text: string): void => {
      if (registry === undefined) return header(no, text);
      let sd: unknown;
      try {
        sd = JSON.parse(text);
      } catch (err) {
        return void problem(jsonProblem(no, err));
      }
      // The hand-written check for the common shape first; Ajv (all errors) only for the rest.
      if (!isSensorDocShape(sd) && !validateSensorDoc(sd)) return void describe(validateSensorDoc.errors, `line ${no}: sensor `).forEach(problem);
      // The kind registry's own (internalized) string for a known kind: the kind lookups that
      // follow (checks, params validator, defaults) then hit V8's fast path, and every Sensor
      // of a kind shares one string.
      if (isSensorKind(sd.kind)) sd.kind = kindOf(sd.kind).kind;
      const before = c!.problems.length;
      checkSensor(sd, () => `line ${no} (${sd.id})`, c!);
      if (c!.problems.length === before) registry.addSensorDoc(sd);
    };
    const finish = (): Registry => {
      if (registry === undefined) throw new RegistryError(file, ['line 1: the header line is missing']);
      if (more) c!.problems.push(`… and ${more} more problems`);
      if (c!.problems.length) throw new RegistryError(file, c!.problems);
      return registry;
    };
    let no = 0;
    if (Symbol.asyncIterator in blocks) {
      return (async () => {
        for await (const text of blocks) no = eachLine(text, no, take);
        return finish();
      })();
    }
    for (const text of blocks) no = eachLine(text, no, take);
    return finish();
  }

  /** A validated, checked line of this registry's own file (RG8): its objects become the Sensor's. */
  private addSensorDoc(sd: SensorDocT): void {
    const gateway = sd.gateway === undefined ? undefined : (this.gatewaysById.get(sd.gateway)?.id ?? sd.gateway);
    this.byId.set(sd.id, buildSensor(sd, this.districtsByCode.get(sd.district) as District, true, gateway));
    if (sd.disabled) this.disabledSensors.add(sd.id);
  }

  sensor(id: string): Sensor | undefined {
    return this.byId.get(id);
  }

  /** A gateway with a secret (domain shape, for the broker). */
  gateway(id: string): Gateway | undefined {
    const g = this.gatewaysById.get(id);
    return g?.secretHash ? { id: g.id, name: g.name, secretHash: g.secretHash } : undefined;
  }

  /** The registry entry of a gateway (YAML field names), with or without a secret. */
  gatewayEntry(id: string): GatewayEntry | undefined {
    return this.gatewaysById.get(id);
  }

  gatewayEntries(): IterableIterator<GatewayEntry> {
    return this.gatewaysById.values();
  }

  integration(id: string): Integration | undefined {
    return this.integrationsById.get(id);
  }

  integrations(): IterableIterator<Integration> {
    return this.integrationsById.values();
  }

  isSensorDisabled(id: string): boolean {
    return this.disabledSensors.has(id);
  }

  /** RG2: the principal behind an MQTT username, as of now. Ids are unique across the three kinds. */
  principal(username: string): RegistryPrincipal | undefined {
    const s = this.byId.get(username);
    if (s) return { type: 'sensor', id: s.id, ...(s.secretHash ? { secretHash: s.secretHash } : {}), disabled: this.disabledSensors.has(s.id) };
    const g = this.gatewaysById.get(username);
    if (g) return { type: 'gateway', id: g.id, ...(g.secretHash ? { secretHash: g.secretHash } : {}), disabled: g.disabled === true };
    const i = this.integrationsById.get(username);
    if (i) return { type: 'integration', id: i.id, ...(i.secretHash ? { secretHash: i.secretHash } : {}), disabled: i.disabled === true };
    return undefined;
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

  /** The registry YAML shape of a sensor (field names as in the file). */
  sensorEntry(id: string): SensorDocT | undefined {
    const s = this.byId.get(id);
    if (!s) return undefined;
    return {
      id: s.id,
      kind: s.kind,
      name: s.name,
      district: s.district.code,
      location: s.location,
      intervalSeconds: s.intervalSeconds,
      params: { ...s.params },
      ...(s.tags.length ? { tags: [...s.tags] } : {}),
      ...(s.gateway ? { gateway: s.gateway } : {}),
      ...(s.secretHash ? { secretHash: s.secretHash } : {}),
      ...(this.disabledSensors.has(s.id) ? { disabled: true } : {}),
    };
  }

  integrationEntry(id: string): IntegrationDocT | undefined {
    const i = this.integrationsById.get(id);
    if (!i) return undefined;
    return { id: i.id, ...(i.name !== undefined ? { name: i.name } : {}), read: [...i.read], publish: [...i.publish], ...(i.secretHash ? { secretHash: i.secretHash } : {}), ...(i.disabled ? { disabled: true } : {}) };
  }

  /** Subscribes to committed changes (RG1); returns the unsubscribe function. */
  onChange(listener: (changes: readonly RegistryChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal RegistryWriter only: in-memory put/remove, returning the previous entry for undo. */
  putSensor(id: string, entry: SensorDocT | undefined): SensorDocT | undefined {
    const prev = this.sensorEntry(id);
    if (entry === undefined) {
      this.byId.delete(id);
      this.disabledSensors.delete(id);
    } else {
      this.byId.set(id, buildSensor(entry, this.districtsByCode.get(entry.district) as District));
      if (entry.disabled) this.disabledSensors.add(id);
      else this.disabledSensors.delete(id);
    }
    return prev;
  }

  /** @internal */
  putGateway(id: string, entry: GatewayDocT | undefined): GatewayDocT | undefined {
    const prev = this.gatewaysById.get(id);
    if (entry === undefined) this.gatewaysById.delete(id);
    else this.gatewaysById.set(id, entry);
    return prev;
  }

  /** @internal */
  putIntegration(id: string, entry: IntegrationDocT | undefined): IntegrationDocT | undefined {
    const prev = this.integrationEntry(id);
    if (entry === undefined) this.integrationsById.delete(id);
    else this.integrationsById.set(id, buildIntegration(entry));
    return prev;
  }

  /** @internal Replaces the whole state with another registry's (the file changed on disk). */
  replaceWith(other: Registry): void {
    this.byId.clear();
    this.gatewaysById.clear();
    this.integrationsById.clear();
    this.districtsByCode.clear();
    this.disabledSensors.clear();
    for (const [k, v] of other.districtsByCode) this.districtsByCode.set(k, v);
    for (const [k, v] of other.gatewaysById) this.gatewaysById.set(k, v);
    for (const [k, v] of other.integrationsById) this.integrationsById.set(k, v);
    for (const [k, v] of other.byId) this.byId.set(k, v);
    for (const k of other.disabledSensors) this.disabledSensors.add(k);
  }

  /** @internal */
  emitChanges(changes: readonly RegistryChange[]): void {
    if (!changes.length) return;
    for (const l of this.listeners) {
      try {
        l(changes);
      } catch {
        // a listener's failure must not stop the others; listeners log their own errors
      }
    }
  }

  /** The document as it is on disk now, validated, for edits by the CLI. */
  async document(): Promise<RegistryDocT> {
    const text = await readFile(this.file, 'utf8');
    Registry.parse(text, this.file);
    return Registry.documentOf(text, this.file);
  }

  /** A file's text as a document (YAML, or the NDJSON lines of RG8); not validated. */
  static documentOf(text: string, file: string): RegistryDocT {
    if (!isLineFile(file)) return YAML.parse(text) as RegistryDocT;
    const all: Record<string, unknown>[] = [];
    eachLine(text, 0, (_no, line) => void all.push(JSON.parse(line) as Record<string, unknown>));
    const [head, ...rest] = all;
    const { format: _f, version: _v, ...header } = head ?? {};
    return { ...(header as Omit<RegistryDocT, 'sensors'>), sensors: rest as SensorDocT[] };
  }

  /** Writes a document atomically (temp file + rename) after validating it, as YAML or NDJSON by the file name. Loses comments: edits use RegistryWriter. */
  static async save(file: string, doc: RegistryDocT): Promise<Registry> {
    const text = isLineFile(file) ? renderLines(doc) : YAML.stringify(doc, { lineWidth: 0 });
    const registry = Registry.parse(text, file);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
    return registry;
  }
}

/** RG5: an integration's publish pattern must start with the literal levels `integrations/{id}/`. */
export function isOwnIntegrationPattern(id: string, pattern: string): boolean {
  const parts = pattern.split('/');
  return parts.length >= 3 && parts[0] === 'integrations' && parts[1] === id;
}
