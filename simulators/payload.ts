import { KINDS, toTaipeiIso, type FieldSpec, type SensorKind } from '../domain/index.ts';
import type { Values } from './models/index.ts';
import type { Rng } from './rng.ts';

/**
 * Telemetry encodings of the topic/payload contract (T1):
 * - a JSON object with `dateObserved` (ISO 8601, +08:00) and the kind's fields;
 * - a SenML pack (RFC 8428): base name and base time on the first record, one record
 *   per field with `n`, `u` and `v` (`vs` for strings). Times are seconds since the
 *   epoch (RFC 8428 §4.5.3); units are the SenML/UCUM-style codes the kind declares.
 */

export interface SenmlRecord {
  bn?: string;
  bt?: number;
  n: string;
  u?: string;
  v?: number;
  vs?: string;
}

const FIELDS: ReadonlyMap<SensorKind, ReadonlyMap<string, FieldSpec>> = new Map(
  Object.values(KINDS).map((d) => [d.kind, new Map(d.fields.map((f) => [f.name, f]))]),
);

export function jsonPayload(t: number, values: Values): string {
  return JSON.stringify({ dateObserved: toTaipeiIso(t), ...values });
}

/** 8 significant digits: enough for any sensor, and no binary-fraction noise such as 0.012300000000000002. */
function tidy(v: number): number {
  return Number(v.toPrecision(8));
}

/**
 * A SenML pack. With probability `altUnitChance` per field, a value is sent in one of
 * the field's other accepted units (e.g. PM2.5 in mg/m3), so ingest's unit
 * conversion is exercised: sent = (canonical − offset) / factor.
 */
export function senmlRecords(kind: SensorKind, sensorId: string, t: number, values: Values, rng: Rng, altUnitChance: number): SenmlRecord[] {
  const specs = FIELDS.get(kind);
  const records: SenmlRecord[] = [];
  for (const [name, value] of Object.entries(values)) {
    const spec = specs?.get(name);
    const rec: SenmlRecord = { n: name };
    if (typeof value === 'string') {
      rec.vs = value;
    } else {
      let unit = spec?.unit;
      let v = value;
      const accepts = spec?.accepts ? Object.keys(spec.accepts) : [];
      if (accepts.length > 0 && rng.chance(altUnitChance)) {
        const alt = rng.pick(accepts);
        const conv = spec!.accepts![alt]!;
        unit = alt;
        v = (value - (conv.offset ?? 0)) / conv.factor;
      }
      if (unit !== undefined) rec.u = unit;
      rec.v = tidy(v);
    }
    records.push(rec);
  }
  const first = records[0];
  if (first) {
    // RFC 8428 §4.5.1: the base name is prepended to each name; ours ends in ':' so
    // "<sensorId>:pm25" reads as field pm25 of that sensor.
    records[0] = { bn: `${sensorId}:`, bt: t / 1000, ...first };
  }
  return records;
}

export function senmlPayload(kind: SensorKind, sensorId: string, t: number, values: Values, rng: Rng, altUnitChance: number): string {
  return JSON.stringify(senmlRecords(kind, sensorId, t, values, rng, altUnitChance));
}

export function statusPayload(online: boolean, t?: number): string {
  return JSON.stringify(t === undefined ? { online } : { online, dateObserved: toTaipeiIso(t) });
}
