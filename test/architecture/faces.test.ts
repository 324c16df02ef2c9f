/**
 * H1: stages meet only at their public faces. A module of one stage imports another stage only
 * through that stage's `index.ts`; `app/` (the composition root, no face of its own) is imported
 * only by `cli/` and `bench/`. See ARCHITECTURE.md, "Folders".
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STAGES = ['broker', 'ingest', 'analytics', 'alerts', 'storage', 'exporter', 'dashboards', 'simulators', 'registry', 'domain'] as const;
const ROOTS = ['app', 'cli', 'bench'] as const;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.vue') || e.name.endsWith('.mts')) out.push(rel);
  }
  return out;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every relative import that leaves its own top-level folder: `from -> target` (paths from the repo root). */
function crossings(): { edge: string; from: string; to: string; toFolder: string }[] {
  const out: { edge: string; from: string; to: string; toFolder: string }[] = [];
  for (const dir of [...STAGES, ...ROOTS]) {
    for (const file of sources(dir)) {
      const src = readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of src.matchAll(IMPORT)) {
        const to = path.normalize(path.join(path.dirname(file), m[1] as string));
        const toFolder = to.split(path.sep)[0] as string;
        if (toFolder === dir || toFolder === 'node_modules') continue;
        out.push({ edge: `${file} -> ${to}`, from: dir, to, toFolder });
      }
    }
  }
  return out;
}

describe('stage faces (H1)', () => {
  const all = crossings();

  it('finds the cross-stage imports it checks (the scanner works)', () => {
    assert.ok(all.length > 50, `only ${all.length} cross-folder imports found`);
    assert.ok(all.some((c) => c.to === path.join('domain', 'index.ts')));
  });

  it('imports another stage only through its index.ts, and app/ only from cli/ and bench/', () => {
    const bad = all
      .filter((c) => {
        if (c.toFolder === 'app') return !(ROOTS as readonly string[]).includes(c.from);
        if (!(STAGES as readonly string[]).includes(c.toFolder)) return false;
        return c.to !== path.join(c.toFolder, 'index.ts');
      })
      .map((c) => c.edge);
    assert.deepEqual(bad, [], 'import the stage through its index.ts (export what you need there)');
  });
});
