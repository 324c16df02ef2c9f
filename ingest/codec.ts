import type { Reading } from '../domain/index.ts';

/**
 * Journal record encoding of a reading: a compact JSON array, so replay needs no
 * registry lookup and survives registry edits. Field order is part of the on-disk
 * format (version 1): [v, sensorId, kind, district, ts, receivedAt, flags, values].
 */
export function encodeReading(r: Reading): Buffer {
  return Buffer.from(JSON.stringify([1, r.sensorId, r.kind, r.district, r.ts, r.receivedAt, r.flags, r.values]));
}

export function decodeReading(seq: number, payload: Buffer): Reading {
  const a = JSON.parse(payload.toString('utf8')) as [1, string, Reading['kind'], string, number, number, number, Reading['values']];
  if (a[0] !== 1) throw new Error(`unknown journal record version ${String(a[0])}`);
  return { seq, sensorId: a[1], kind: a[2], district: a[3], ts: a[4], receivedAt: a[5], flags: a[6], values: a[7] };
}
