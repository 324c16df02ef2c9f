import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isSensorKind, KIND_NAMES, kindOf, KINDS, perKind, registerKind } from '../../domain/index.ts';
import { parseRules } from '../../alerts/index.ts';
import { waterQuality } from '../support/kinds/water-quality.ts';

describe('the kind registry (KD1–KD3)', () => {
  it('KD1: every description file in domain/kinds is registered without a list naming it', () => {
    const files = readdirSync(new URL('../../domain/kinds/', import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    assert.deepEqual(files.map((f) => f.replace(/\.ts$/, '')).sort(), [...KIND_NAMES].sort());
    for (const k of KIND_NAMES) assert.equal(kindOf(k).kind, k);
  });

  it('KD1: a description file imports only the kind types and TypeBox (domain/index.ts would be a cycle with the loader\'s top-level await)', () => {
    const dir = new URL('../../domain/kinds/', import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts') && x !== 'index.ts')) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      const from = [...text.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
      assert.ok(from.length > 0, `domain/kinds/${f}: no import found`);
      for (const spec of from) assert.ok(['../kind.ts', '../types.ts', '@sinclair/typebox'].includes(spec as string), `domain/kinds/${f} imports ${spec}`);
    }
  });

  it('KD3: lists follow `order` (the built-ins keep their order), a registered kind joins in its place', () => {
    assert.deepEqual([...KIND_NAMES], ['air-quality', 'water-level', 'streetlight', 'parking']);
    registerKind({ ...waterQuality, kind: 'water-quality-early', order: 1.5, rules: [] });
    assert.deepEqual([...KIND_NAMES], ['air-quality', 'water-level', 'water-quality-early', 'streetlight', 'parking']);
  });

  it('KD2: a kind is registered once, under a topic-safe name; unknown kinds are refused, not guessed', () => {
    assert.equal(isSensorKind('water-quality'), false);
    registerKind(waterQuality);
    assert.equal(isSensorKind('water-quality'), true);
    assert.equal(KINDS['water-quality'], waterQuality);
    assert.throws(() => registerKind(waterQuality), /already registered/);
    assert.throws(() => registerKind({ ...waterQuality, kind: 'Water/Quality' }), /must match/);
    assert.throws(() => kindOf('teleporter'), /unknown sensor kind "teleporter"/);
  });

  it('perKind makes a table entry once per kind, from the description, on first use', () => {
    let made = 0;
    const width = perKind((d) => (made++, d.fields.length));
    assert.equal(width('water-level'), 2);
    assert.equal(width('water-level'), 2);
    assert.equal(made, 1);
    assert.throws(() => width('teleporter'), /unknown sensor kind/);
  });

  it('RL5: a kind\'s own rules load after the files; a file\'s rule of the same id replaces it', () => {
    if (!isSensorKind('water-quality')) registerKind(waterQuality);
    const own = parseRules([{ file: 'empty.yaml', text: 'version: 1\nrules: []\n' }]);
    const rule = own.rules.find((r) => r.id === 'water-quality.turbidity');
    assert.equal(rule?.source, 'kind:water-quality');
    const text = `
version: 1
rules:
  - id: water-quality.turbidity
    type: threshold
    name: { zh-TW: 濁度, en: Turbidity }
    target: { kinds: [water-quality] }
    field: turbidity
    levels:
      - { severity: critical, above: 1000, label: { zh-TW: 高, en: high } }
`;
    const replaced = parseRules([{ file: 'mine.yaml', text }]).rules.filter((r) => r.id === 'water-quality.turbidity');
    assert.deepEqual(replaced.map((r) => r.source), ['mine.yaml']);
  });
});
