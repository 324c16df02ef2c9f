import { RejectError } from '../domain/index.ts';

/**
 * Step 2 of ingest: bytes → a JSON object or a SenML pack.
 * P1  a telemetry payload is UTF-8 JSON: either one object or a SenML (RFC 8428) array.
 */
export type Decoded = { readonly form: 'object'; readonly value: Record<string, unknown> } | { readonly form: 'senml'; readonly value: readonly unknown[] };

export function decode(payload: Buffer): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new RejectError('BAD_JSON', (err as Error).message);
  }
  if (Array.isArray(value)) return { form: 'senml', value };
  if (value !== null && typeof value === 'object') return { form: 'object', value: value as Record<string, unknown> };
  throw new RejectError('BAD_JSON', `expected a JSON object or SenML array, got ${value === null ? 'null' : typeof value}`);
}
