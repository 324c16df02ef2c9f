import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { verdictMessage } from '../../alerts/messages.ts';
import { freshness, offline } from '../../alerts/rules/freshness.ts';
import { outOfRange } from '../../alerts/rules/out-of-range.ts';
import { rateOfChange } from '../../alerts/rules/rate-of-change.ts';
import { stuck } from '../../alerts/rules/stuck.ts';
import { MIN, T0, parkingSensor, reading, riverSensor, roadFloodSensor } from '../analytics/fixtures.ts';
import { L, oneRule } from './helpers.ts';

describe('rate of change (RC1–RC3)', () => {
  const river = riverSensor(); // level1 = 4 m
  const rule = oneRule({ id: 'rise', type: 'rate-of-change', field: 'currentLevel', windowMinutes: 10, rise: 0.2, severity: 'warning', etaTo: { param: 'warningLevels.level1' }, label: L('rising') });

  it('triggers on a rise ≥ X over the window and estimates minutes to warning level 1', () => {
    const st = rateOfChange.init(rule, river);
    const step = (min: number, v: number) => rateOfChange.onReading!(st, reading(river, T0 + min * MIN, { currentLevel: v }), rule, river)!;
    assert.equal(step(0, 3.0).severity, null);
    assert.equal(step(2, 3.02).severity, null, 'RC1: a 2-minute span is too short to judge a 10-minute rise');
    const v = step(10, 3.25); // +0.25 m in 10 min = 0.025 m/min → 0.75 m to go ≈ 30 min
    assert.equal(v.severity, 'warning');
    assert.equal(v.etaMinutes, 30);
    assert.ok(Math.abs(v.trendPerHour! - 1.5) < 1e-9);
    const later = step(20, 3.3); // +0.05 m over the last 10 minutes
    assert.equal(later.severity, null);
  });

  it('a negative rise watches falls', () => {
    const fall = oneRule({ id: 'fall', type: 'rate-of-change', field: 'currentLevel', windowMinutes: 10, rise: -0.5, severity: 'advisory', label: L('falling') });
    const st = rateOfChange.init(fall, river);
    rateOfChange.onReading!(st, reading(river, T0, { currentLevel: 3 }), fall, river);
    assert.equal(rateOfChange.onReading!(st, reading(river, T0 + 10 * MIN, { currentLevel: 2.4 }), fall, river)!.severity, 'advisory');
  });
});

describe('rate of change towards warning levels (RC4)', () => {
  const levels = [
    { at: { param: 'warningLevels.level3' }, label: { 'zh-TW': '三級警戒', en: 'warning level 3' } },
    { at: { param: 'warningLevels.level2' }, label: { 'zh-TW': '二級警戒', en: 'warning level 2' } },
    { at: { param: 'warningLevels.level1' }, label: { 'zh-TW': '一級警戒', en: 'warning level 1' } },
  ];
  const rule = oneRule({ id: 'rise', type: 'rate-of-change', field: 'currentLevel', windowMinutes: 10, rise: 0.2, severity: 'warning', etaLevels: levels, label: L('rising') });

  it('names the next level above the value and level 1, never a level passed, for any levels and rise', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 3, noNaN: true }), fc.double({ min: 0.1, max: 2, noNaN: true }), fc.double({ min: 0.1, max: 2, noNaN: true }), fc.double({ min: 0, max: 8, noNaN: true }), fc.double({ min: 0.01, max: 1, noNaN: true }), (l3, d2, d1, start, rise) => {
        const w = { level3: l3, level2: l3 + d2, level1: l3 + d2 + d1 };
        const river = { ...riverSensor(), params: { station: 'river', warningLevels: w } };
        const st = rateOfChange.init(rule, river);
        rateOfChange.onReading!(st, reading(river, T0, { currentLevel: start }), rule, river);
        const v = rateOfChange.onReading!(st, reading(river, T0 + 10 * MIN, { currentLevel: start + rise }), rule, river)!;
        const now = start + rise;
        const perMin = rise / 10;
        if (now >= w.level1) {
          assert.equal(v.etaMinutes, undefined, 'level 1 passed: no estimate');
          assert.equal(v.etaNext, undefined);
          return;
        }
        assert.equal(v.etaLabel?.en, 'warning level 1');
        assert.equal(v.etaMinutes, Math.round((w.level1 - now) / perMin));
        const next = now < w.level3 ? 'warning level 3' : now < w.level2 ? 'warning level 2' : undefined;
        assert.equal(v.etaNext?.label.en, next);
        if (next) assert.equal(v.etaNext!.minutes, Math.round(((next === 'warning level 3' ? w.level3 : w.level2) - now) / perMin));
        const text = verdictMessage(L('南崁溪橋'), v, false);
        if (next) assert.match(text.en, new RegExp(`${next} in about ${v.etaNext!.minutes} minutes, warning level 1 in about ${v.etaMinutes} minutes`));
        else assert.match(text['zh-TW'], new RegExp(`約 ${v.etaMinutes} 分鐘後達一級警戒$`));
      }),
    );
  });

  it('a falling trend names no level (FE3)', () => {
    const river = riverSensor();
    const st = rateOfChange.init(rule, river);
    rateOfChange.onReading!(st, reading(river, T0, { currentLevel: 3 }), rule, river);
    const v = rateOfChange.onReading!(st, reading(river, T0 + 10 * MIN, { currentLevel: 2.5 }), rule, river)!;
    assert.equal(v.etaMinutes, undefined);
    assert.equal(v.etaNext, undefined);
  });
});

describe('out of range (OR1) and stuck (ST1)', () => {
  const road = roadFloodSensor();
  it('out of range opens after `for` and clears on the first in-range value', () => {
    const rule = oneRule({ id: 'oor', type: 'out-of-range', field: 'floodDepth', min: 0, max: 300, severity: 'advisory', for: { count: 2 }, label: L('oor') });
    const st = outOfRange.init(rule, road);
    const sev = (min: number, v: number) => outOfRange.onReading!(st, reading(road, T0 + min * MIN, { floodDepth: v }), rule, road)!.severity;
    assert.deepEqual([sev(0, 500), sev(1, 500), sev(2, 20)], [null, 'advisory', null]);
  });

  it('stuck by count and by time: identical values for N readings and T minutes', () => {
    const lot = parkingSensor();
    const rule = oneRule({ id: 'stk', type: 'stuck', field: 'occupiedSpotNumber', count: 3, minutes: 10, severity: 'advisory', label: L('stuck') });
    const st = stuck.init(rule, lot);
    const sev = (min: number, v: number) => stuck.onReading!(st, reading(lot, T0 + min * MIN, { occupiedSpotNumber: v }), rule, lot)!.severity;
    assert.deepEqual([sev(0, 50), sev(2, 50), sev(4, 50), sev(10, 50), sev(11, 51)], [null, null, null, 'advisory', null]);
  });
});

describe('freshness (FR1) and offline (FR2) on the virtual clock', () => {
  const road = roadFloodSensor(); // intervalSeconds 60
  it('silent after factor × interval without readings, even while connected; a reading clears it', () => {
    const rule = oneRule({ id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') });
    const st = freshness.init(rule, road);
    assert.equal(freshness.onTick!(st, T0, rule, road), undefined, 'first tick starts the clock for a sensor never heard from');
    freshness.onReading!(st, reading(road, T0 + MIN, { floodDepth: 0 }), rule, road);
    assert.equal(freshness.onTick!(st, T0 + 4 * MIN, rule, road), undefined, 'exactly 3 intervals is not yet silent');
    const v = freshness.onTick!(st, T0 + 4 * MIN + 1, rule, road)!;
    assert.equal(v.severity, 'warning');
    assert.equal(freshness.onTick!(st, T0 + 5 * MIN, rule, road), undefined, 'no repeated verdict while silent');
    assert.equal(freshness.onReading!(st, reading(road, T0 + 6 * MIN, { floodDepth: 0 }), rule, road)!.severity, null);
  });

  it('offline only after graceMs of disconnection; a quick reconnect raises nothing', () => {
    const rule = oneRule({ id: 'off', type: 'offline', graceMinutes: 5, severity: 'advisory', label: L('offline') });
    const st = offline.init(rule, road);
    offline.onConnection(st, false, T0, rule);
    offline.onConnection(st, true, T0 + 2 * MIN, rule);
    assert.equal(offline.onTick!(st, T0 + 10 * MIN, rule, road), undefined);
    offline.onConnection(st, false, T0 + 10 * MIN, rule);
    assert.equal(offline.onTick!(st, T0 + 14 * MIN, rule, road), undefined);
    assert.equal(offline.onTick!(st, T0 + 15 * MIN, rule, road)!.severity, 'advisory');
    assert.equal(offline.onConnection(st, true, T0 + 16 * MIN, rule)!.severity, null);
  });
});
