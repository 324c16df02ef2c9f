import { Ajv, type ValidateFunction } from 'ajv';
import { kindOf, perKind, QualityFlag, RejectError, type FieldValue, type Reading, type Sensor } from '../domain/index.ts';
import type { Decoded } from './decode.ts';
import { normaliseUnits } from './normalise.ts';
import { valuesSchema } from './schemas.ts';
import { resolveSenml } from './senml.ts';
import { stampTime, type TimePolicy } from './timestamp.ts';

const ajv = new Ajv({ allErrors: false, strict: false });
/** Compiled once per kind at load: validation is a generated function call on the hot path. */
const validators = perKind((d) => ajv.compile(valuesSchema(d)));
const plausible = perKind((d) => d.fields.filter((f) => f.plausible).map((f) => [f.name, f.plausible as readonly [number, number]] as const));

function schemaMessage(v: ValidateFunction): string {
  const e = v.errors?.[0];
  if (!e) return 'invalid';
  if (e.keyword === 'anyOf' && e.instancePath === '') return 'must contain at least one of the kind\'s primary fields';
  return `${e.instancePath.slice(1) || 'payload'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as string[]).join(', ')})` : ''}`;
}

/** Steps 3–6 for one instant: validate, check, derive, flag. Throws RejectError. */
function toReading(sensor: Sensor, raw: Readonly<Record<string, unknown>>, units: Readonly<Record<string, string>> | undefined, deviceTime: unknown, receivedAt: number, policy: TimePolicy): Reading {
  const desc = kindOf(sensor.kind);
  const values: Record<string, FieldValue> = normaliseUnits(desc, raw, units);
  const validate = validators(sensor.kind);
  if (!validate(values)) throw new RejectError('SCHEMA', schemaMessage(validate));
  let flags = 0;
  if (desc.derive?.(values, sensor)) flags |= QualityFlag.ESTIMATED;
  const problem = desc.check?.(values, sensor);
  if (problem) throw new RejectError('SCHEMA', problem);
  for (const [name, [lo, hi]] of plausible(sensor.kind)) {
    const v = values[name];
    if (typeof v === 'number' && (v < lo || v > hi)) flags |= QualityFlag.OUT_OF_RANGE;
  }
  const time = stampTime(deviceTime, receivedAt, policy);
  return { seq: 0, sensorId: sensor.id, kind: sensor.kind, district: sensor.district.code, ts: time.ts, receivedAt, flags: flags | time.flags, values };
}

/**
 * Decoded telemetry → readings (seq assigned later by the journal). A JSON object gives
 * one reading; a SenML pack gives one per distinct time. All-or-nothing: one bad instant
 * rejects the message, so a device never has half a message stored.
 */
export function toReadings(decoded: Decoded, sensor: Sensor, receivedAt: number, policy: TimePolicy): Reading[] {
  if (decoded.form === 'object') {
    const obj = decoded.value;
    const units = obj.units;
    if (units !== undefined && (units === null || typeof units !== 'object' || Array.isArray(units))) throw new RejectError('SCHEMA', 'units must be an object of field → unit');
    return [toReading(sensor, obj, units as Record<string, string> | undefined, obj.dateObserved, receivedAt, policy)];
  }
  return resolveSenml(decoded.value, receivedAt).map((i) => toReading(sensor, i.values, i.units, i.ts, receivedAt, policy));
}
