/**
 * One error-catalogue factory for every stage (issue 15): every `defineErrors(...)` in the tree
 * is found and loaded, its entries render in zh-TW and English, and a code means one thing
 * across the tree — unique, apart from the codes in SHARED that predate the factory and that
 * users already see on two surfaces (renaming them would change the API and dead letters).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineErrors, errorBody, errorCatalogues, errorText, type ErrorSpec } from '../../domain/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_DIRS = ['domain', 'registry', 'broker', 'ingest', 'analytics', 'alerts', 'storage', 'exporter', 'dashboards', 'simulators', 'app', 'cli', 'bench'];

/**
 * Codes defined by more than one catalogue, with the same meaning (and HTTP status where both
 * have one) in each. This list may only shrink: a new shared code fails the test.
 */
const SHARED: Readonly<Record<string, readonly string[]>> = {
  RATE_LIMITED: ['api', 'reject'], // HTTP 429 and the MQTT publish budget (dead-letter reason)
  UNKNOWN_SENSOR: ['analytics', 'reject'], // a reading of a sensor the registry does not know
  NOT_FOUND: ['admin', 'api'], // 404
  UNAUTHENTICATED: ['console', 'staff'], // 401
  INTERNAL: ['api', 'staff'], // 500
};

/** Arguments every parametrised message of the tree can be rendered with. */
const ARGS = { parameter: 'p', value: 'v', detail: 'd', detailZh: 'd', allowed: ['a', 'b'], maxDays: 31, days: 40, kind: 'parking', route: 'GET /x', setting: 'http.port', date: '2026-11-22' };

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') out.push(...sources(rel));
    } else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const files = SOURCE_DIRS.flatMap(sources).map((f) => ({ file: f, text: readFileSync(path.join(ROOT, f), 'utf8') }));
const defining = files.filter((f) => f.file !== path.join('domain', 'error-catalogue.ts') && /defineErrors\(\s*'/.test(f.text));
const names = defining.flatMap((f) => [...f.text.matchAll(/defineErrors\(\s*'([^']+)'/g)].map((m) => m[1] as string));

describe('error catalogues (one factory, unique codes)', async () => {
  for (const f of defining) await import(pathToFileURL(path.join(ROOT, f.file)).href);
  const all = errorCatalogues();

  it('loads every catalogue defined in the tree', () => {
    assert.ok(names.length >= 9, `only ${names.length} catalogues found: ${names.join(', ')}`);
    for (const n of ['reject', 'analytics', 'api', 'admin', 'staff', 'console']) assert.ok(names.includes(n), n);
    assert.deepEqual([...all.keys()].sort(), [...names].sort());
  });

  it('renders every entry in zh-TW and English', () => {
    for (const [name, cat] of all) {
      for (const [code, spec] of Object.entries(cat)) {
        const zh = errorText(spec['zh-TW'], ARGS as never);
        const en = errorText(spec.en, ARGS as never);
        assert.match(zh, /[\u4e00-\u9fff]/, `${name}.${code} zh-TW`);
        assert.ok(en.length > 5 && !/undefined/.test(en) && !/[\u4e00-\u9fff]/.test(en), `${name}.${code} en: ${en}`);
      }
    }
  });

  it('gives each code one meaning across the tree (duplicates only as listed in SHARED)', () => {
    const owners = new Map<string, { name: string; spec: ErrorSpec }[]>();
    for (const [name, cat] of all) for (const [code, spec] of Object.entries(cat)) owners.set(code, [...(owners.get(code) ?? []), { name, spec }]);
    const shared = Object.fromEntries([...owners].filter(([, o]) => o.length > 1).map(([code, o]) => [code, o.map((x) => x.name).sort()]));
    assert.deepEqual(shared, SHARED);
    for (const code of Object.keys(SHARED)) {
      const statuses = new Set(owners.get(code)!.map((o) => o.spec.status).filter((s) => s !== undefined));
      assert.ok(statuses.size <= 1, `${code} has one HTTP status wherever it has one`);
    }
  });

  it('every literal error code in the source is a catalogue code', () => {
    const known = new Set([...all.values()].flatMap((c) => Object.keys(c)));
    const LITERAL = /(?:\berror: \{ code: |readonly code(?:: [^=;]+)? = )'([A-Z][A-Z0-9_]*)'/g;
    const found: string[] = [];
    for (const f of files) for (const m of f.text.matchAll(LITERAL)) found.push(`${m[1]} in ${f.file}`);
    assert.ok(found.length >= 4, `the scanner sees the literal codes: ${found.join(', ')}`);
    assert.deepEqual(found.filter((x) => !known.has(x.split(' ')[0] as string)), []);
  });

  it('refuses a catalogue name used twice, a badly formed code and a status outside 400–599', () => {
    defineErrors('test-only', { SOME_CODE: { 'zh-TW': '測試', en: 'test' } });
    assert.throws(() => defineErrors('test-only', {}), /defined twice/);
    assert.throws(() => defineErrors('test-bad-code', { badCode: { 'zh-TW': '測試', en: 'test' } }), /UPPER_SNAKE_CASE/);
    assert.throws(() => defineErrors('test-bad-status', { SOME_CODE: { status: 200, 'zh-TW': '測試', en: 'test' } }), /status 200/);
    assert.deepEqual(errorBody({ X_Y: { 'zh-TW': '中文', en: 'english' } }, 'X_Y'), { error: { code: 'X_Y', message: 'english', 'zh-TW': '中文' } });
  });
});
