import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertEngine } from '../../alerts/engine.ts';
import type { AlertChange } from '../../domain/index.ts';
import { MIN, T0, ZHONGLI, reading, riverSensor, roadFloodSensor } from '../analytics/fixtures.ts';
import { L, ruleSet } from './helpers.ts';

const river = riverSensor();
const riverRule = {
  id: 'river',
  type: 'threshold',
  target: { kinds: ['water-level'], params: { station: 'river' } },
  field: 'currentLevel',
  levels: [
    { severity: 'advisory', above: { param: 'warningLevels.level3' }, label: L('L3') },
    { severity: 'warning', above: { param: 'warningLevels.level2' }, label: L('L2') },
    { severity: 'critical', above: { param: 'warningLevels.level1' }, label: L('L1') },
  ],
};
const types = (cs: AlertChange[]) => cs.map((c) => `${c.type}:${c.alert.severity}:${c.alert.state}`);

describe('engine lifecycle (LC1–LC5, AE1–AE4)', () => {
  it('opens, updates on severity change only, resolves; ids follow AE3', () => {
    const e = createAlertEngine({ rules: ruleSet([riverRule]) });
    const at = (min: number, v: number) => e.onReading(reading(river, T0 + min * MIN, { currentLevel: v }), river);
    const opened = at(0, 2.5);
    assert.deepEqual(types(opened), ['opened:advisory:open']);
    assert.equal(opened[0]!.alert.id, `river:${river.id}:${T0}`);
    assert.deepEqual(at(1, 2.6), [], 'same level: nothing emitted');
    assert.deepEqual(types(at(2, 4.2)), ['updated:critical:open']);
    assert.deepEqual(types(at(3, 1)), ['resolved:critical:resolved']);
    assert.deepEqual(e.open(), []);
    assert.match(opened[0]!.alert.message['zh-TW'], /南崁溪橋/);
    assert.match(opened[0]!.alert.message.en, /Nankan/);
  });

  it('RC4/FE3 an open rise alert\'s text follows the trend: next level while below it, no level once passed, no change emitted', () => {
    const rise = { id: 'rise', type: 'rate-of-change', field: 'currentLevel', windowMinutes: 10, rise: 0.2, severity: 'warning', label: L('rising'), etaLevels: [2, 3, 4].map((at, i) => ({ at, label: { 'zh-TW': `${3 - i}級`, en: `L${3 - i}` } })) };
    const e = createAlertEngine({ rules: ruleSet([rise]) });
    const at = (min: number, v: number) => e.onReading(reading(river, T0 + min * MIN, { currentLevel: v }), river);
    at(0, 1.0);
    assert.deepEqual(types(at(10, 1.5)), ['opened:warning:open']);
    assert.match(e.open()[0]!.message.en, /L3 in about 10 minutes, L1 in about 50 minutes/);
    assert.deepEqual(at(15, 2.5), [], 'same severity: nothing emitted');
    assert.match(e.open()[0]!.message.en, /L2 in about \d+ minutes, L1 in about \d+ minutes/, 'level 3 passed: the next level is 2');
    assert.deepEqual(at(20, 4.2), []);
    assert.doesNotMatch(e.open()[0]!.message.en, /in about/, 'level 1 passed: no estimate');
    assert.equal(e.open()[0]!.etaMinutes, undefined);
  });

  it('acknowledge stops nothing else but a rise in severity needs a new ack', () => {
    const e = createAlertEngine({ rules: ruleSet([riverRule]) });
    const [o] = e.onReading(reading(river, T0, { currentLevel: 2.5 }), river);
    const ack = e.acknowledge(o!.alert.id, 'alice', T0 + MIN)!;
    assert.equal(ack.alert.state, 'acknowledged');
    assert.equal(e.acknowledge(o!.alert.id, 'bob', T0 + MIN), undefined, 'already acknowledged');
    const [up] = e.onReading(reading(river, T0 + 2 * MIN, { currentLevel: 3.5 }), river);
    assert.equal(up!.alert.state, 'open');
    assert.equal(up!.alert.severity, 'warning');
    const res = e.resolve(o!.alert.id, 'alice', 'gauge checked', T0 + 3 * MIN)!;
    assert.equal(res.type, 'resolved');
    assert.equal((res.alert as { resolveReason?: string }).resolveReason, 'gauge checked');
  });

  it('LC4 flapping: > N transitions in T holds the alert open, marked, until clear for T', () => {
    const e = createAlertEngine({ rules: ruleSet([riverRule], { maxTransitions: 3, windowMinutes: 30 }) });
    const all: AlertChange[] = [];
    let t = 0;
    for (const v of [2.5, 1, 2.5, 1, 2.5, 1, 2.5, 1]) all.push(...e.onReading(reading(river, T0 + t++ * MIN, { currentLevel: v }), river));
    // open, resolve, open, then the 4th transition (a clear) marks flapping instead of resolving.
    assert.deepEqual(all.map((c) => c.type), ['opened', 'resolved', 'opened', 'updated']);
    assert.equal((all[3]!.alert as { flapping?: boolean }).flapping, true);
    assert.equal(e.open().length, 1);
    assert.deepEqual(e.onTick(T0 + 7 * MIN + 29 * MIN), [], 'clear for less than the window: still held');
    const done = e.onTick(T0 + 7 * MIN + 30 * MIN);
    assert.deepEqual(done.map((c) => c.type), ['resolved']);
  });

  it('AE4 restart: restored alerts are kept, replays neither reopen nor resolve, the next clear resolves', () => {
    const rules = ruleSet([riverRule]);
    const e1 = createAlertEngine({ rules });
    e1.onReading(reading(river, T0, { currentLevel: 4.5 }), river);
    const open = e1.open();
    const e2 = createAlertEngine({ rules });
    e2.restore(open);
    assert.deepEqual(e2.onReading(reading(river, T0, { currentLevel: 1 }), river), [], 'replayed reading ignored');
    assert.deepEqual(e2.onReading(reading(river, T0 + MIN, { currentLevel: 4.6 }), river), [], 'same level after restart: no new alert');
    assert.equal(e2.open()[0]!.id, open[0]!.id);
    assert.deepEqual(types(e2.onReading(reading(river, T0 + 2 * MIN, { currentLevel: 1 }), river)), ['resolved:critical:resolved']);
  });

  it('CP2 composite count: 3 flooded road sensors in one district open a district alert', () => {
    const flood = { id: 'flood', type: 'threshold', target: { kinds: ['water-level'], params: { station: 'road-flood' } }, field: 'floodDepth', levels: [{ severity: 'warning', above: { param: 'floodThresholdCm' }, label: L('flood') }] };
    const area = { id: 'area', type: 'composite', op: 'count', rules: ['flood'], min: 3, severity: 'critical', label: L('widespread') };
    const e = createAlertEngine({ rules: ruleSet([flood, area]) });
    const sensors = [1, 2, 3].map((i) => roadFloodSensor(`rf-${i}`, ZHONGLI, 10));
    const out: AlertChange[] = [];
    sensors.forEach((s, i) => out.push(...e.onReading(reading(s, T0 + i * MIN, { floodDepth: 12 }), s)));
    const district = out.filter((c) => c.alert.ruleId === 'area');
    assert.deepEqual(types(district), ['opened:critical:open']);
    assert.equal(district[0]!.alert.subject, `district:${ZHONGLI.code}`);
    const cleared = e.onReading(reading(sensors[0]!, T0 + 5 * MIN, { floodDepth: 0 }), sensors[0]!);
    assert.deepEqual(cleared.map((c) => `${c.alert.ruleId}:${c.type}`), ['flood:resolved', 'area:resolved']);
  });

  it('CP3 (AL10): a composite count never mixes drill sensors with real ones; drills count in their own group', () => {
    const flood = { id: 'flood', type: 'threshold', target: { kinds: ['water-level'], params: { station: 'road-flood' } }, field: 'floodDepth', levels: [{ severity: 'warning', above: { param: 'floodThresholdCm' }, label: L('flood') }] };
    const area = { id: 'area', type: 'composite', op: 'count', rules: ['flood'], min: 3, severity: 'critical', label: L('widespread') };
    const e = createAlertEngine({ rules: ruleSet([flood, area]) });
    const real = [1, 2].map((i) => roadFloodSensor(`rf-${i}`, ZHONGLI, 10));
    const drills = [1, 2, 3].map((i) => ({ ...roadFloodSensor(`drill-rf-${i}`, ZHONGLI, 10), tags: ['drill'] }));
    const out: AlertChange[] = [];
    [...real, drills[0]!].forEach((s, i) => out.push(...e.onReading(reading(s, T0 + i * MIN, { floodDepth: 12 }), s)));
    assert.equal(out.filter((c) => c.alert.ruleId === 'area').length, 0, 'two real roads and one drill are not three flooded roads');
    drills.slice(1).forEach((s, i) => out.push(...e.onReading(reading(s, T0 + (3 + i) * MIN, { floodDepth: 12 }), s)));
    const district = out.filter((c) => c.alert.ruleId === 'area');
    assert.deepEqual(types(district), ['opened:critical:open']);
    assert.equal(district[0]!.alert.subject, `district:${ZHONGLI.code}:drill`);
    assert.equal(district[0]!.alert.value, 3);
    assert.match(district[0]!.alert.message['zh-TW'], /演練/);
  });

  it('CP1 composite all: AND of two rules on the same sensor', () => {
    const hi = { id: 'hi', type: 'threshold', field: 'currentLevel', levels: [{ severity: 'advisory', above: 3, label: L('hi') }] };
    const rise = { id: 'rise', type: 'rate-of-change', field: 'currentLevel', windowMinutes: 10, rise: 0.2, severity: 'advisory', label: L('rise') };
    const both = { id: 'both', type: 'composite', op: 'all', rules: ['hi', 'rise'], severity: 'critical', label: L('high and rising') };
    const e = createAlertEngine({ rules: ruleSet([hi, rise, both]) });
    e.onReading(reading(river, T0, { currentLevel: 2.9 }), river);
    const out = e.onReading(reading(river, T0 + 10 * MIN, { currentLevel: 3.2 }), river);
    assert.ok(out.some((c) => c.alert.ruleId === 'both' && c.type === 'opened'));
  });

  it('freshness through the engine: tick over all registry sensors, incl. never-reporting ones', () => {
    const s = roadFloodSensor('quiet-1');
    const e = createAlertEngine({ rules: ruleSet([{ id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') }]), sensors: () => [s] });
    assert.deepEqual(e.onTick(T0), []);
    const out = e.onTick(T0 + 4 * MIN);
    assert.deepEqual(types(out), ['opened:warning:open']);
    assert.equal(out[0]!.alert.subject, 'quiet-1');
  });

  it('FR4 (AL10): a drill sensor is not silent before its first reading, and is watched once it has reported', () => {
    const drill = { ...roadFloodSensor('drill-1'), tags: ['road-flood', 'drill'] };
    const e = createAlertEngine({ rules: ruleSet([{ id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') }]), sensors: () => [drill] });
    assert.deepEqual(e.onTick(T0), []);
    assert.deepEqual(e.onTick(T0 + 60 * MIN), [], 'an hour without a drill: no silence alert');
    e.onReading({ ...reading(drill, T0 + 61 * MIN, { floodDepth: 0 }), receivedAt: T0 + 61 * MIN }, drill);
    assert.deepEqual(e.onTick(T0 + 62 * MIN), []);
    const out = e.onTick(T0 + 61 * MIN + 4 * MIN);
    assert.deepEqual(types(out), ['opened:warning:open'], 'after its drill it is watched like any sensor');
  });

  it('setRules keeps open alerts (reload without losing state)', () => {
    const e = createAlertEngine({ rules: ruleSet([riverRule]) });
    e.onReading(reading(river, T0, { currentLevel: 2.5 }), river);
    const id = e.open()[0]!.id;
    e.setRules(ruleSet([riverRule, { id: 'other', type: 'freshness', factor: 5, severity: 'advisory', label: L('x') }]));
    assert.equal(e.open()[0]!.id, id);
    assert.deepEqual(e.onReading(reading(river, T0 + MIN, { currentLevel: 2.6 }), river), []);
    assert.equal(e.onReading(reading(river, T0 + 2 * MIN, { currentLevel: 1 }), river)[0]!.type, 'resolved');
  });

  it('AE1 determinism: the same input gives the same changes, ids included', () => {
    const run = () => {
      const e = createAlertEngine({ rules: ruleSet([riverRule], { maxTransitions: 2, windowMinutes: 10 }) });
      const out: AlertChange[] = [];
      [1, 2.5, 3.5, 1, 4.2, 1, 2.1, 1].forEach((v, i) => out.push(...e.onReading(reading(river, T0 + i * MIN, { currentLevel: v }, i + 1), river)));
      out.push(...e.onTick(T0 + 30 * MIN));
      return out;
    };
    assert.deepEqual(run(), run());
  });

  it('EN3 a restored alert whose rule is gone resolves at the next tick', () => {
    const e = createAlertEngine({ rules: ruleSet([riverRule]) });
    e.restore([{ id: 'basic.water.currentLevel:x:1', ruleId: 'basic.water.currentLevel', subject: 'x', kind: 'water-level', district: 'd', severity: 'warning', state: 'open', openedAt: 1, updatedAt: 1, field: 'f', value: 1, threshold: 1, message: L('m') }]);
    const out = e.onTick(T0);
    assert.deepEqual(types(out), ['resolved:warning:resolved']);
    assert.deepEqual(e.open(), []);
  });

  it('FR2 offline through the engine: connection events plus the tick', () => {
    const s = roadFloodSensor('rf-off');
    const e = createAlertEngine({ rules: ruleSet([{ id: 'off', type: 'offline', graceMinutes: 2, severity: 'advisory', label: L('offline') }]) });
    assert.deepEqual(e.onConnection(s, false, T0), []);
    assert.deepEqual(types(e.onTick(T0 + 2 * MIN)), ['opened:advisory:open']);
    assert.deepEqual(types(e.onConnection(s, true, T0 + 3 * MIN)), ['resolved:advisory:resolved']);
  });

  it('AE4 a restored silent-sensor alert stays open while the sensor stays silent, clears on a reading', () => {
    const s = roadFloodSensor('quiet-2');
    const rules = ruleSet([{ id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') }]);
    const e1 = createAlertEngine({ rules, sensors: () => [s] });
    e1.onTick(T0);
    assert.equal(e1.onTick(T0 + 4 * MIN).length, 1);
    const e2 = createAlertEngine({ rules, sensors: () => [s] });
    e2.restore(e1.open());
    assert.deepEqual(e2.onTick(T0 + 10 * MIN), [], 'still silent after the restart: no resolve');
    assert.deepEqual(types(e2.onReading(reading(s, T0 + 11 * MIN, { floodDepth: 0 }), s)), ['resolved:warning:resolved']);
  });
});

describe('engine tick budget (round-robin tick rules)', () => {
  it('covers every sensor within ⌈sensors / budget⌉ ticks and no more per tick than the budget', () => {
    const fleet = Array.from({ length: 5 }, (_, i) => ({ ...roadFloodSensor(), id: `fl-budget-${i}` }));
    const silent = { id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') };
    const e = createAlertEngine({ rules: ruleSet([silent]), sensors: () => fleet, tickBudget: 2 });
    for (const s of fleet) e.onReading(reading(s, T0, { floodDepth: 0 }), s);
    const late = T0 + 24 * 60 * MIN; // long past 3 × every interval: all five are silent
    const perTick = [e.onTick(late), e.onTick(late + 1000), e.onTick(late + 2000)].map((cs) => cs.filter((c) => c.type === 'opened').length);
    assert.ok(perTick.every((n) => n <= 2), `at most the budget per tick: ${perTick.join(',')}`);
    assert.equal(perTick.reduce((a, b) => a + b, 0), 5, 'every silent sensor found within 3 ticks');
    assert.deepEqual(new Set(e.open().map((a) => a.subject)), new Set(fleet.map((s) => s.id)));
  });
  it('EN5: never-reporting registry sensors are registered at most registerBudget per tick, and every one is watched in the end', () => {
    const fleet = Array.from({ length: 7 }, (_, i) => ({ ...roadFloodSensor(), id: `fl-reg-${i}` }));
    const silent = { id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') };
    let visited = 0;
    const sensors = function* () {
      for (const s of fleet) {
        visited++;
        yield s;
      }
    };
    const e = createAlertEngine({ rules: ruleSet([silent]), sensors, registerBudget: 3 });
    const seen: number[] = [];
    for (let k = 0; k < 4; k++) {
      e.onTick(T0 + k * 1000);
      seen.push(visited);
    }
    assert.deepEqual(seen, [3, 6, 7, 7], 'three per tick, then done (the iterator is walked once)');
    const out = e.onTick(T0 + 24 * 60 * MIN);
    assert.deepEqual(new Set(out.filter((c) => c.type === 'opened').map((c) => c.alert.subject)), new Set(fleet.map((s) => s.id)));
  });
});
