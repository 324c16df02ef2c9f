/**
 * Rule ids are unique across the tree (issue 15): ARCHITECTURE.md's "Rule ids" table gives each
 * family one prefix, its ids and its home; every id cited anywhere must be one of those, every
 * listed id must be cited by code or a test, and bold definitions in ARCHITECTURE.md are unique.
 * (Two families once shared W: the windows' W1–W8 and the InfluxDB writer's, now IW1–IW6.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARCH = 'ARCHITECTURE.md';
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
const TEXT = /\.(ts|mts|mjs|vue|md|ya?ml)$/;
const CODE = /\.(ts|mts|mjs|vue)$/;

/** An id: a prefix of 1–3 capitals (or OD-X) and a number; not `PM2.5`, not the hour of `T08:00`. */
const ID = /(?<![\w-])((?:OD-)?[A-Z]{1,3})(\d{1,2})(?!\w|\.\d|:\d)/g;

/** Same shape, not rule ids (listed in ARCHITECTURE.md under the table). */
const NOT_RULES = new Set(['PM10', 'PM25', 'NO2', 'O3', 'SO2', 'WGS84', 'V8', 'T0', 'L1', 'L2', 'L3']);

interface Family {
  prefix: string;
  ids: string[];
  homes: string[];
}

function textFiles(dir = '.'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name)) continue;
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...textFiles(rel));
    else if (TEXT.test(e.name)) out.push(rel);
  }
  return out;
}

/** ARCHITECTURE.md split into its body and its "Rule ids" section. */
function architecture(): { body: string; index: string } {
  const text = readFileSync(path.join(ROOT, ARCH), 'utf8');
  const start = text.indexOf('\n## Rule ids\n');
  assert.ok(start >= 0, 'ARCHITECTURE.md has a "## Rule ids" section');
  const next = text.indexOf('\n## ', start + 1);
  const end = next < 0 ? text.length : next;
  return { body: text.slice(0, start) + text.slice(end), index: text.slice(start, end) };
}

/** `W1–W8` → W1…W8; `OR1` → OR1. */
function expand(range: string): string[] {
  const m = /^((?:OD-)?[A-Z]{1,3})(\d+)(?:[–…]\1(\d+))?$/.exec(range.trim());
  assert.ok(m, `not an id range: ${range}`);
  const [, prefix, from, to] = m as unknown as [string, string, string, string | undefined];
  const out: string[] = [];
  for (let n = Number(from); n <= Number(to ?? from); n++) out.push(`${prefix}${n}`);
  return out;
}

function families(index: string): Family[] {
  const out: Family[] = [];
  for (const line of index.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !/^(OD-)?[A-Z]{1,3}$/.test(cells[1] as string)) continue;
    const [, prefix, ids, , homes] = cells as [string, string, string, string, string];
    out.push({ prefix, ids: ids.split(',').flatMap(expand), homes: [...homes.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string) });
  }
  return out;
}

/** A family's home files; a home ending in `/` is every file under that folder. */
function homeFiles(f: Family): string[] {
  return f.homes.flatMap((h) => (h.endsWith('/') ? textFiles(h.slice(0, -1)) : [h]));
}

function idsIn(text: string): string[] {
  return [...text.matchAll(ID)].map((m) => `${m[1]}${m[2]}`).filter((id) => !NOT_RULES.has(id));
}

/** The ids a text names, ranges (`LC1–LC5`, `OD-C1…OD-C3`) included. */
function namedIn(text: string): Set<string> {
  const out = new Set(idsIn(text));
  for (const m of text.matchAll(/(?<![\w-])((?:OD-)?[A-Z]{1,3})(\d{1,2})\s*[–…]\s*\1(\d{1,2})(?!\w)/g)) {
    for (const id of expand(`${m[1]}${m[2]}–${m[1]}${m[3]}`)) out.add(id);
  }
  return out;
}

describe('rule ids (unique prefixes, one home each)', () => {
  const { body, index } = architecture();
  const fams = families(index);
  const registered = new Map<string, Family>();
  for (const f of fams) for (const id of f.ids) registered.set(id, f);
  const cited = new Map<string, Set<string>>();
  for (const file of textFiles()) {
    const text = file === ARCH ? body : readFileSync(path.join(ROOT, file), 'utf8');
    for (const id of idsIn(text)) cited.set(id, (cited.get(id) ?? new Set()).add(file));
  }

  it('reads the table and the tree (the parser works)', () => {
    assert.ok(fams.length >= 40, `only ${fams.length} families in the table`);
    assert.equal(registered.get('W4')?.homes[0], 'analytics/aggregator.ts');
    assert.equal(registered.get('IW4')?.homes[0], 'storage/influxdb/writer.ts');
    assert.deepEqual(expand('B30–B32'), ['B30', 'B31', 'B32']);
    assert.deepEqual(idsIn('W3: x (OD-S1…OD-S8) PM2.5 T08:00 LA3. AL9/OD-P1'), ['W3', 'OD-S1', 'OD-S8', 'LA3', 'AL9', 'OD-P1']);
    assert.ok(cited.get('B35')?.has('broker/login-throttle.ts'));
    assert.deepEqual([...namedIn('(OD-C1…OD-C3, LC1–LC3)')].sort(), ['LC1', 'LC2', 'LC3', 'OD-C1', 'OD-C2', 'OD-C3']);
  });

  it('lists each prefix once, and each id in one family', () => {
    const prefixes = fams.map((f) => f.prefix);
    assert.deepEqual(prefixes.filter((p, i) => prefixes.indexOf(p) !== i), []);
    const ids = fams.flatMap((f) => f.ids);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), []);
  });

  it('defines each id in bold at most once in ARCHITECTURE.md, and only listed ids', () => {
    const bold = [...body.matchAll(/\*\*((?:OD-)?[A-Z]{1,3})(\d{1,2})(?:[–…]((?:OD-)?[A-Z]{1,3})(\d{1,2}))?/g)].flatMap((m) =>
      m[4] ? expand(`${m[1]}${m[2]}–${m[1]}${m[4]}`) : [`${m[1]}${m[2]}`],
    );
    assert.ok(bold.includes('B30') && bold.includes('OD-S8'), 'bold definitions found');
    assert.deepEqual(bold.filter((id, i) => bold.indexOf(id) !== i), [], 'an id defined twice');
    assert.deepEqual(bold.filter((id) => !registered.has(id)), [], 'a bold id missing from the Rule ids table');
  });

  it('cites only ids the table lists (a new family needs a new prefix there first)', () => {
    const unknown = [...cited].filter(([id]) => !registered.has(id)).map(([id, files]) => `${id} in ${[...files].slice(0, 3).join(', ')}`);
    assert.deepEqual(unknown, []);
  });

  it('every listed id is cited by code or a test', () => {
    const uncited = [...registered.keys()].filter((id) => ![...(cited.get(id) ?? [])].some((f) => CODE.test(f)));
    assert.deepEqual(uncited, []);
  });

  it("each family's home names every id of its range", () => {
    const missing: string[] = [];
    for (const f of fams) {
      assert.ok(f.homes.length > 0, `${f.prefix} has a home`);
      const named = new Set(homeFiles(f).flatMap((h) => [...namedIn(h === ARCH ? body : readFileSync(path.join(ROOT, h), 'utf8'))]));
      for (const id of f.ids) if (!named.has(id)) missing.push(`${id} (${f.homes.join(', ')})`);
    }
    assert.deepEqual(missing, []);
  });

  it("states a rule list (' * ID  text') only in its family's home", () => {
    const LIST = /^\s*\*\s+((?:OD-)?[A-Z]{1,3}\d{1,2}) {2,}\S/gm;
    const stray: string[] = [];
    let lists = 0;
    for (const file of textFiles()) {
      if (!CODE.test(file)) continue;
      for (const m of readFileSync(path.join(ROOT, file), 'utf8').matchAll(LIST)) {
        lists++;
        const f = registered.get(m[1] as string);
        if (f && !homeFiles(f).includes(file)) stray.push(`${m[1]} in ${file} (home: ${f.homes.join(', ')})`);
      }
    }
    assert.ok(lists > 30, `only ${lists} rule-list lines found`);
    assert.deepEqual(stray, []);
  });
});
