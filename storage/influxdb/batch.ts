import type { Precision, Tier } from './schema.ts';

/** Where a batch goes: tier (retention policy / bucket) and timestamp precision. */
export type TargetKey = `${Tier}:${Precision}`;

export function targetKey(tier: Tier, precision: Precision): TargetKey {
  return `${tier}:${precision}`;
}

export function parseTarget(key: TargetKey): { tier: Tier; precision: Precision } {
  const [tier, precision] = key.split(':') as [Tier, Precision];
  return { tier, precision };
}

/**
 * Spool record of one batch: "<target>\n<len,len,...>\n<lines joined by \n>".
 * Line lengths are stored because string fields may hold raw newlines (InfluxDB 1.x
 * accepts them inside quotes), so splitting the body on "\n" would be wrong.
 */
export function encodeBatch(key: TargetKey, lines: readonly string[]): string {
  return `${key}\n${lines.map((l) => l.length).join(',')}\n${lines.join('\n')}`;
}

export function decodeBatch(payload: string): { key: TargetKey; lines: string[] } {
  const a = payload.indexOf('\n');
  const b = payload.indexOf('\n', a + 1);
  if (a < 0 || b < 0) throw new Error('malformed spool batch');
  const key = payload.slice(0, a) as TargetKey;
  const lens = payload.slice(a + 1, b).split(',').map(Number);
  const lines: string[] = new Array(lens.length);
  let at = b + 1;
  for (let i = 0; i < lens.length; i++) {
    lines[i] = payload.slice(at, at + lens[i]!);
    at += lens[i]! + 1;
  }
  return { key, lines };
}
