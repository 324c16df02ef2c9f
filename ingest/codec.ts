import type { Reading } from '../domain/index.ts';

/**
 * Journal record encoding of a reading: a compact JSON array, so replay needs no
 * registry lookup and survives registry edits. Field order is part of the on-disk
 * format (version 1): [v, sensorId, kind, district, ts, receivedAt, flags, values].
 *
 * The first four fields are the same for every record of a sensor: `recordHead` escapes
 * them once (ingest keeps it in the sensor's state) and `encodeReading` appends the rest,
 * byte for byte what `JSON.stringify([1, sensorId, kind, district, ts, receivedAt, flags, values])` gives.
 */
export function recordHead(sensorId: string, kind: Reading['kind'], district: string): string {
  return `${JSON.stringify([1, sensorId, kind, district]).slice(0, -1)},`;
}

/** JSON's spelling of a number: a non-finite one is `null`. */
const num = (n: number): number | string => (Number.isFinite(n) ? n : 'null');

/** The record of `r` as text; `head` is `recordHead(r.sensorId, r.kind, r.district)`. */
export function encodeReading(r: Reading, head: string): string {
  return `${head}${num(r.ts)},${num(r.receivedAt)},${num(r.flags)},${JSON.stringify(r.values)}]`;
}

export function decodeReading(seq: number, payload: Buffer): Reading {
  const a = JSON.parse(payload.toString('utf8')) as [1, string, Reading['kind'], string, number, number, number, Reading['values']];
  if (a[0] !== 1) throw new Error(`unknown journal record version ${String(a[0])}`);
  return { seq, sensorId: a[1], kind: a[2], district: a[3], ts: a[4], receivedAt: a[5], flags: a[6], values: a[7] };
}
