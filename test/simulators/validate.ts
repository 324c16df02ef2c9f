import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kindOf, parseTime, type FieldValue, type Sensor } from '../../domain/index.ts';
import { Registry } from '../../registry/index.ts';

/**
 * Test helpers: the shipped demo registry, and an independent check of a decoded
 * payload against the kind's FieldSpecs (type, min/max, enum, requireAnyOf, check()).
 * Written from the domain descriptions, not from the simulator, so a model that
 * drifts out of the contract fails here.
 */
export const DEMO_REGISTRY_FILE = fileURLToPath(new URL('../../config/registry.demo.yaml', import.meta.url));

export function demoRegistry(): Registry {
  return Registry.parse(readFileSync(DEMO_REGISTRY_FILE, 'utf8'), DEMO_REGISTRY_FILE);
}

/** Problems with a JSON-object payload for `sensor` (empty when valid). */
export function payloadProblems(sensor: Sensor, body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['not a JSON object'];
  const problems: string[] = [];
  const { dateObserved, ...rest } = body as Record<string, unknown>;
  if (typeof dateObserved !== 'string' || !dateObserved.endsWith('+08:00') || Number.isNaN(parseTime(dateObserved))) {
    problems.push(`dateObserved ${String(dateObserved)} is not ISO 8601 with +08:00`);
  }
  problems.push(...valueProblems(sensor, rest));
  return problems;
}

export function valueProblems(sensor: Sensor, values: Record<string, unknown>): string[] {
  const desc = kindOf(sensor.kind);
  const problems: string[] = [];
  for (const [name, v] of Object.entries(values)) {
    const spec = desc.fields.find((f) => f.name === name);
    if (!spec) {
      problems.push(`unknown field ${name}`);
      continue;
    }
    if (spec.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${name}=${String(v)} is not a number`);
      else if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) problems.push(`${name}=${v} outside [${spec.min}, ${spec.max}]`);
    } else if (typeof v !== 'string') problems.push(`${name}=${String(v)} is not a string`);
    else if (spec.enum && !spec.enum.includes(v)) problems.push(`${name}=${v} not in ${spec.enum.join('|')}`);
  }
  if (!desc.requireAnyOf.some((f) => f in values)) problems.push(`none of ${desc.requireAnyOf.join(', ')}`);
  if (problems.length === 0) {
    const copy = { ...(values as Record<string, FieldValue>) };
    desc.derive?.(copy, sensor);
    const err = desc.check?.(copy, sensor);
    if (err) problems.push(err);
  }
  return problems;
}

/** Decodes a SenML pack (RFC 8428) into canonical field values using the kind's accepted units. */
export function decodeSenml(sensor: Sensor, records: unknown): { t: number; values: Record<string, FieldValue> } {
  if (!Array.isArray(records) || records.length === 0) throw new Error('SenML pack must be a non-empty array');
  const desc = kindOf(sensor.kind);
  let bn = '';
  let bt = 0;
  const values: Record<string, FieldValue> = {};
  for (const r of records as Record<string, unknown>[]) {
    if (typeof r.bn === 'string') bn = r.bn;
    if (typeof r.bt === 'number') bt = r.bt;
    const full = bn + String(r.n ?? '');
    const prefix = `${sensor.id}:`;
    if (!full.startsWith(prefix)) throw new Error(`record name ${full} is not under ${prefix}`);
    const name = full.slice(prefix.length);
    const spec = desc.fields.find((f) => f.name === name);
    if (!spec) throw new Error(`unknown field ${name}`);
    if (typeof r.vs === 'string') {
      values[name] = r.vs;
      continue;
    }
    if (typeof r.v !== 'number') throw new Error(`record ${name} has no value`);
    const unit = r.u as string | undefined;
    if (unit === undefined || unit === spec.unit) values[name] = r.v;
    else {
      const conv = spec.accepts?.[unit];
      if (!conv) throw new Error(`unit ${unit} not accepted for ${name}`);
      values[name] = r.v * conv.factor + (conv.offset ?? 0);
    }
  }
  return { t: bt * 1000, values };
}
