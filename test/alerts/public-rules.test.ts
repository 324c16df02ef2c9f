import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertEngine, parseRules } from '../../alerts/index.ts';

const yaml = `version: 1
rules:
  - id: flood.public
    type: threshold
    public: true
    name: { zh-TW: 淹水, en: Flood }
    field: floodDepth
    levels: [{ severity: warning, above: 10, label: { zh-TW: 淹水, en: Flood } }]
  - id: flood.drill
    type: threshold
    public: true
    capStatus: Exercise
    name: { zh-TW: 演習, en: Drill }
    field: floodDepth
    levels: [{ severity: warning, above: 10, label: { zh-TW: 演習, en: Drill } }]
  - id: flood.internal
    type: threshold
    name: { zh-TW: 內部, en: Internal }
    field: floodDepth
    levels: [{ severity: warning, above: 10, label: { zh-TW: 內部, en: Internal } }]
`;

/** Rules mark which alerts are public and with which CAP status (issue 5 §4): opt-in, Actual by default. */
describe('rule publication settings', () => {
  it('carries public and capStatus from the rule file to the engine', () => {
    const engine = createAlertEngine({ rules: parseRules([{ file: 'rules.yaml', text: yaml }]) });
    assert.equal(engine.ruleConfig('flood.public')?.public, true);
    assert.equal(engine.ruleConfig('flood.public')?.capStatus, undefined); // → Actual
    assert.equal(engine.ruleConfig('flood.drill')?.capStatus, 'Exercise');
    assert.equal(engine.ruleConfig('flood.internal')?.public, undefined); // not public unless marked
  });
  it('refuses an unknown CAP status', () => {
    assert.throws(() => parseRules([{ file: 'rules.yaml', text: yaml.replace('capStatus: Exercise', 'capStatus: Rehearsal') }]), /capStatus/);
  });
});
