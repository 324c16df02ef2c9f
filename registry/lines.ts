import { open } from 'node:fs/promises';
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

/**
 * Calls `take(no, text)` for every non-empty line of `text` (a '\r' before a '\n' is dropped),
 * numbering them from `before + 1`; returns the number of the last line. No object per line:
 * at 1,000,000 lines every allocation shows up as garbage-collection time (RG8).
 */
export function eachLine(text: string, before: number, take: (no: number, line: string) => void): number {
  let no = before;
  let start = 0;
  for (;;) {
    let end = text.indexOf('\n', start);
    const last = end < 0;
    if (last) end = text.length;
    no++;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    // Most lines start with '{': only a line starting with a space, a control or a non-ASCII
    // character (all of String.prototype.trim's whitespace) needs the trim to tell it blank.
    const c = line.charCodeAt(0);
    if (c > 32 && c < 128 ? true : line.length > 0 && line.trim() !== '') take(no, line);
    if (last) return no;
    start = end + 1;
  }
}

/** Read and block sizes (bytes); tests pass tiny ones to put every boundary inside a line or a character. */
const SIZES = { read: 1 << 20, block: 32 << 10 };

/**
 * The lines of a file as blocks of whole lines (joined by '\n', without the last '\n'): the
 * file is read 1 MiB at a time into one reused buffer (one await per read) and decoded 32 KiB
 * at a time; the lines of a block are walked synchronously with `eachLine` (no promise per
 * line), and the file is never in memory whole. The blocks are small on purpose: a block's
 * text stays under V8's large-object size (128 KiB), so it dies in the young generation; 4 MiB
 * blocks made 16 MiB of large-object strings per read, which counted towards the old
 * generation and triggered a full mark of the growing registry every few reads (12 full
 * collections at 1,000,000 sensors instead of 4). Decoded by a streaming TextDecoder (a
 * character split across reads stays whole; a byte-order mark is kept as the text's first
 * character, as `readFile(…, 'utf8')` keeps it).
 */
export async function* fileBlocks(file: string, sizes: { readonly read: number; readonly block: number } = SIZES): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const buffer = Buffer.allocUnsafe(sizes.read);
  const BLOCK = sizes.block;
  const fh = await open(file, 'r');
  try {
    let rest = '';
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      for (let at = 0; at < bytesRead; at += BLOCK) {
        const text = rest + decoder.decode(buffer.subarray(at, Math.min(at + BLOCK, bytesRead)), { stream: true });
        const cut = text.lastIndexOf('\n');
        if (cut < 0) {
          rest = text;
          continue;
        }
        yield text.slice(0, cut);
        rest = text.slice(cut + 1);
      }
    }
    rest += decoder.decode();
    if (rest !== '') yield rest;
  } finally {
    await fh.close();
  }
}


/** The parse error of a line as a problem text. */
export function jsonProblem(no: number, err: unknown): string {
  return `line ${no}: JSON: ${(err as Error).message}`;
}

export type { SensorDocT };
