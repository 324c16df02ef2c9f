import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRules, parseRules, RuleConfigError } from '../../alerts/config/load.ts';
import { loadContacts } from '../../alerts/routing.ts';

const bad = `
version: 1
rules:
  - id: river
    type: threshold
    name: { zh-TW: 水位, en: Level }
    field: currentLevel
    levels:
      - { severity: warning, above: "high", label: { zh-TW: a, en: a } }
      - { severity: critical, above: 3, below: 1, label: { zh-TW: b, en: b } }
  - id: mystery
    type: teleport
    name: { zh-TW: x, en: x }
  - id: combo
    type: composite
    name: { zh-TW: c, en: c }
    op: any
    rules: [river, nope]
    severity: critical
    label: { zh-TW: c, en: c }
`;

describe('rule files (RL1–RL5)', () => {
  it('RL5: a target kind must be a registered kind, named with the rule and the list of kinds', () => {
    const text = `
version: 1
rules:
  - id: lake
    type: threshold
    name: { zh-TW: 湖, en: Lake }
    target: { kinds: [water-level, lake-level] }
    field: currentLevel
    levels:
      - { severity: warning, above: 1, label: { zh-TW: a, en: a } }
`;
    assert.throws(() => parseRules([{ file: 'k.yaml', text }]), (err: unknown) => {
      assert.ok(err instanceof RuleConfigError);
      assert.deepEqual(err.problems, ['k.yaml: rule "lake" /target/kinds/1: unknown kind "lake-level" (one of air-quality, water-level, streetlight, parking)']);
      return true;
    });
  });

  it('RL1/RL2/RL3: one error per problem, naming file, rule and field', () => {
    let err: RuleConfigError | undefined;
    try {
      parseRules([{ file: 'rules/city.yaml', text: bad }]);
    } catch (e) {
      err = e as RuleConfigError;
    }
    assert.ok(err instanceof RuleConfigError);
    const p = err.problems.join('\n');
    assert.match(p, /rules\/city\.yaml: rule "river" \/levels\/0\/above/);
    assert.match(p, /rules\/city\.yaml: rule "mystery" \/type: unknown rule type "teleport"/);
    assert.match(p, /rule "combo" \/rules\/1: unknown rule id "nope"/);
  });

  it('RL3 flags a level with two conditions', () => {
    const text = bad.replace('above: "high"', 'above: 2').split('  - id: mystery')[0]!;
    assert.throws(() => parseRules([{ file: 'f.yaml', text }]), /\/levels\/1: exactly one of above, below, equals/);
  });

  it('RL2 duplicate ids across files name both files', () => {
    const one = 'version: 1\nrules:\n  - { id: a, type: freshness, name: { zh-TW: a, en: a }, factor: 3, severity: warning, label: { zh-TW: a, en: a } }\n';
    assert.throws(() => parseRules([{ file: 'x.yaml', text: one }, { file: 'y.yaml', text: one }]), /y\.yaml: rule "a" \/id: duplicate \(also in x\.yaml\)/);
  });

  it('the shipped default rules and example contacts load and cover every rule type', async () => {
    const set = await loadRules(['config/rules.default.yaml']);
    const types = new Set(set.rules.map((r) => r.type));
    for (const t of ['threshold', 'rate-of-change', 'out-of-range', 'stuck', 'freshness', 'offline', 'composite', 'aqi']) assert.ok(types.has(t as never), `default rules include a ${t} rule`);
    assert.equal(set.flap.maxTransitions, 4);
    const contacts = await loadContacts('config/contacts.example.yaml');
    assert.ok(contacts.subscriptions.length >= 3);
  });
});
