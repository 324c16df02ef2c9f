import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertEngine, parseRules, publication } from '../../alerts/index.ts';
import { DRILL_TAG } from '../../domain/index.ts';

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
  it('AL10: an alert on a drill sensor is an Exercise whatever its rule says, so no public feed admits it', () => {
    const engine = createAlertEngine({ rules: parseRules([{ file: 'rules.yaml', text: yaml }]) });
    const tags = new Map<string, string[]>([['drill-road-1', [DRILL_TAG, 'road']], ['road-1', ['road']]]);
    const p = publication(engine, (id) => (tags.has(id) ? { tags: tags.get(id)! } : undefined));
    for (const ruleId of ['flood.public', 'flood.drill', 'flood.internal']) {
      assert.equal(p.status({ ruleId, subject: 'drill-road-1' }), 'Exercise', ruleId);
      assert.equal(p.meta({ ruleId, subject: 'drill-road-1' }).capStatus, 'Exercise', ruleId);
    }
    assert.equal(p.status({ ruleId: 'flood.public', subject: 'road-1' }), 'Actual');
    assert.equal(p.status({ ruleId: 'flood.drill', subject: 'road-1' }), 'Exercise');
    assert.equal(p.status({ ruleId: 'flood.public', subject: 'district:68000010' }), 'Actual'); // a group subject is no sensor
    assert.equal(p.isPublic({ ruleId: 'flood.public' }), true); // the gate is public AND Actual
  });
});
