import { RejectError } from '../domain/index.ts';

/** One measurement instant recovered from a SenML pack: field → value (+ unit when given). */
export interface SenmlInstant {
  /** Epoch ms, or undefined when the pack carries no time at all. */
  readonly ts: number | undefined;
  readonly values: Record<string, unknown>;
  readonly units: Record<string, string>;
}

/** RFC 8428 §4.5.3: times below 2^28 s are relative to "now". */
const RELATIVE_LIMIT_S = 2 ** 28;

function fieldName(fullName: string): string {
  // P2  the field is the last segment of bn+n after ':' or '/', so
  //     "urn:dev:mac:0024befffe804ff1:" + "pm25" and plain "pm25" both mean pm25.
  const cut = Math.max(fullName.lastIndexOf(':'), fullName.lastIndexOf('/'));
  return cut >= 0 ? fullName.slice(cut + 1) : fullName;
}

/**
 * Resolves a SenML pack (base fields, relative times) into instants grouped by time.
 * Only the value forms our kinds use are accepted: v (number) and vs (string).
 */
export function resolveSenml(records: readonly unknown[], nowMs: number): SenmlInstant[] {
  if (records.length === 0) throw new RejectError('BAD_SENML', 'empty SenML pack');
  let bn = '';
  let bt = 0;
  let bu: string | undefined;
  let hasTime = false;
  const byTime = new Map<number | undefined, SenmlInstant>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new RejectError('BAD_SENML', `record ${i} is not an object`);
    if (r.bver !== undefined && r.bver !== 10) throw new RejectError('BAD_SENML', `record ${i}: unsupported bver ${String(r.bver)}`);
    if (r.bn !== undefined) {
      if (typeof r.bn !== 'string') throw new RejectError('BAD_SENML', `record ${i}: bn must be a string`);
      bn = r.bn;
    }
    if (r.bt !== undefined) {
      if (typeof r.bt !== 'number' || !Number.isFinite(r.bt)) throw new RejectError('BAD_SENML', `record ${i}: bt must be a number`);
      bt = r.bt;
      hasTime = true;
    }
    if (r.bu !== undefined) {
      if (typeof r.bu !== 'string') throw new RejectError('BAD_SENML', `record ${i}: bu must be a string`);
      bu = r.bu;
    }
    const name = bn + (typeof r.n === 'string' ? r.n : '');
    if (name === '') throw new RejectError('BAD_SENML', `record ${i} has no name`);
    let value: unknown;
    if (r.v !== undefined) value = r.v;
    else if (r.vs !== undefined) value = r.vs;
    else if (r.vb !== undefined || r.vd !== undefined || r.s !== undefined) throw new RejectError('BAD_SENML', `record ${i}: only v and vs values are accepted`);
    else continue; // a record with only base fields
    let ts: number | undefined;
    if (r.t !== undefined) {
      if (typeof r.t !== 'number' || !Number.isFinite(r.t)) throw new RejectError('BAD_SENML', `record ${i}: t must be a number`);
      hasTime = true;
    }
    if (hasTime) {
      const seconds = bt + ((r.t as number | undefined) ?? 0);
      ts = Math.round(seconds < RELATIVE_LIMIT_S ? nowMs + seconds * 1000 : seconds * 1000);
    }
    let instant = byTime.get(ts);
    if (!instant) {
      instant = { ts, values: {}, units: {} };
      byTime.set(ts, instant);
    }
    const field = fieldName(name);
    instant.values[field] = value;
    const unit = typeof r.u === 'string' ? r.u : bu;
    if (unit !== undefined) instant.units[field] = unit;
  }
  if (byTime.size === 0) throw new RejectError('BAD_SENML', 'SenML pack has no values');
  return [...byTime.values()];
}
