import { createReadStream } from 'node:fs';
import type { RegistryDocT, SensorDocT } from './schema.ts';

/**
 * RG8 The line registry for large fleets: NDJSON (`.ndjson` or `.jsonl`). The first line is
 * the header — `{"format":"civicstream-registry","version":1,"districts":[…],"gateways":[…],
 * "integrations":[…]}` — and every further non-empty line is one sensor entry with the same
 * fields as in the YAML file. It loads as a stream (one line parsed, validated and built at
 * a time, so the parsed document is never held whole) and edits rewrite only the lines they
 * touch. YAML stays the format for hand-edited city registries; `civicstream registry
 * convert` turns one into the other.
 */
export const LINE_FORMAT = 'civicstream-registry';

export function isLineFile(file: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(file);
}

export type LineHeaderT = Omit<RegistryDocT, 'sensors'> & { readonly format: typeof LINE_FORMAT; readonly version: 1 };

/** The header of a document (everything but the sensors). */
export function headerOf(doc: RegistryDocT): LineHeaderT {
  return {
    format: LINE_FORMAT,
    version: 1,
    districts: doc.districts,
    ...(doc.gateways ? { gateways: doc.gateways } : {}),
    ...(doc.integrations ? { integrations: doc.integrations } : {}),
  };
}

/** The whole file as text (for small documents and tests; large files go through the worker). */
export function renderLines(doc: RegistryDocT): string {
  const out = [JSON.stringify(headerOf(doc))];
  for (const s of doc.sensors) out.push(JSON.stringify(s));
  return `${out.join('\n')}\n`;
}

export interface Line {
  /** 1-based line number, for error messages. */
  readonly no: number;
  readonly text: string;
}

/** The non-empty lines of a text. */
export function* textLines(text: string): Generator<Line> {
  let no = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    no++;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    if (line.trim() !== '') yield { no, text: line };
    start = end + 1;
  }
}

/**
 * The non-empty lines of a file, a 4 MiB chunk at a time: the read is awaited per chunk, the
 * lines of a chunk are handed over synchronously (no promise per line), and the file is never
 * in memory whole.
 */
export async function* fileChunks(file: string): AsyncGenerator<Line[]> {
  let rest = '';
  let no = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
    const text = rest + (chunk as string);
    const out: Line[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      no++;
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (line.trim() !== '') out.push({ no, text: line });
      start = end + 1;
    }
    rest = text.slice(start);
    yield out;
  }
  if (rest.trim() !== '') yield [{ no: no + 1, text: rest }];
}

/** JSON of one line, or the parse error as a problem text. */
export function parseLine(l: Line): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(l.text) as unknown };
  } catch (err) {
    return { problem: `line ${l.no}: JSON: ${(err as Error).message}` };
  }
}

export type { SensorDocT };
