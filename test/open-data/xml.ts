import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** ../shared/standards/cap-1.2.xsd beside the project (test/open-data → project root → ..). */
export const CAP_XSD = process.env.CAP_XSD ?? resolve(import.meta.dirname, '../../../shared/standards/cap-1.2.xsd');

export function requireXsd(): string {
  if (!existsSync(CAP_XSD)) throw new Error(`CAP 1.2 schema not found at ${CAP_XSD}: the CAP tests need ../shared/standards/cap-1.2.xsd (see its README)`);
  return CAP_XSD;
}

/** Runs xmllint on a document; resolves with stdout, rejects with xmllint's message when invalid. */
export async function xmllint(doc: string, args: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'civic-xml-'));
  try {
    const file = join(dir, 'doc.xml');
    await writeFile(file, doc);
    const { stdout } = await run('xmllint', [...args, file]);
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** XPath over a document with namespace prefix bindings, via xmllint --xpath (a real XML parser). */
export async function xpath(doc: string, expr: string): Promise<string> {
  return xmllint(doc, ['--xpath', expr]);
}
