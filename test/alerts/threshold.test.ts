import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threshold } from '../../alerts/rules/threshold.ts';
import type { ThresholdRule } from '../../alerts/types.ts';
import { MIN, T0, reading, riverSensor, streetlightSensor } from '../analytics/fixtures.ts';
import { L, oneRule } from './helpers.ts';

const river = riverSensor(); // warning levels 2 / 3 / 4 m
const levels = [
  { severity: 'advisory', above: { param: 'warningLevels.level3' }, clear: { param: 'warningLevels.level3', offset: -0.2 }, label: L('level 3') },
  { severity: 'warning', above: { param: 'warningLevels.level2' }, label: L('level 2') },
  { severity: 'critical', above: { param: 'warningLevels.level1' }, label: L('level 1') },
];

function run(rule: ThresholdRule, series: [number, number][]): (string | null)[] {
  const st = threshold.init(rule, river);
  return series.map(([min, v]) => threshold.onReading!(st, reading(river, T0 + min * MIN, { currentLevel: v }), rule, river)!.severity);
}

describe('threshold rule (TH1–TH4)', () => {
  it('TH1 picks the most severe level that holds, from registry params', () => {
    const rule = oneRule({ id: 'r', type: 'threshold', field: 'currentLevel', levels });
    assert.deepEqual(run(rule, [[0, 1], [1, 2.1], [2, 3.5], [3, 4.2], [4, 3.1]]), [null, 'advisory', 'warning', 'critical', 'warning']);
  });

  it('TH2 count: "2 readings in a row" above the level before it takes effect', () => {
    const rule = oneRule({ id: 'r', type: 'threshold', field: 'currentLevel', levels, for: { count: 2 } });
    assert.deepEqual(run(rule, [[0, 2.5], [1, 1], [2, 2.5], [3, 2.6], [4, 4.5], [5, 4.6]]), [null, null, null, 'advisory', 'advisory', 'critical']);
  });

  it('TH2 duration: "for 5 minutes" counts event time, not readings', () => {
    const rule = oneRule({ id: 'r', type: 'threshold', field: 'currentLevel', levels, for: { minutes: 5 } });
    assert.deepEqual(run(rule, [[0, 2.5], [4, 2.5], [5, 2.5], [6, 2.5]]), [null, null, 'advisory', 'advisory']);
  });

  it('TH3 hysteresis: holds until the value crosses the clearing threshold for clearFor', () => {
    const rule = oneRule({ id: 'r', type: 'threshold', field: 'currentLevel', levels, clearFor: { minutes: 10 } });
    // trigger 2.0, clear 1.8: 1.9 keeps it; 1.7 starts the clearing period; 10 minutes of it clears.
    assert.deepEqual(run(rule, [[0, 2.0], [1, 1.9], [2, 1.7], [8, 1.7], [9, 1.9], [10, 1.7], [19, 1.6], [20, 1.5]]), ['advisory', 'advisory', 'advisory', 'advisory', 'advisory', 'advisory', 'advisory', null]);
  });

  it('TH3 steps down one level at a time when a lower level still holds', () => {
    const rule = oneRule({ id: 'r', type: 'threshold', field: 'currentLevel', levels });
    assert.deepEqual(run(rule, [[0, 4.1], [1, 2.5], [2, 1.9], [3, 1.7]]), ['critical', 'advisory', 'advisory', null]);
  });

  it('TH4 schedule gate: "scheduled on but no draw" holds only inside the on window', () => {
    const lamp = streetlightSensor(); // on 18:00–06:00 local (+08:00) = 10:00–22:00 UTC
    const rule = oneRule({ id: 'nd', type: 'threshold', field: 'powerConsumption', schedule: 'on', levels: [{ severity: 'warning', below: 1, label: L('no draw') }] });
    const st = threshold.init(rule, lamp);
    const at = (utcHour: number, w: number) => threshold.onReading!(st, reading(lamp, T0 + utcHour * 60 * MIN, { powerConsumption: w }), rule, lamp)!.severity;
    assert.equal(at(3, 0), null, '11:00 local: scheduled off, 0 W is normal');
    assert.equal(at(11, 0), 'warning', '19:00 local: scheduled on, 0 W is a failure');
    assert.equal(at(12, 110), null);
  });

  it('string levels: equals matches the state name', () => {
    const lamp = streetlightSensor();
    const rule = oneRule({ id: 'st', type: 'threshold', field: 'status', levels: [{ severity: 'warning', equals: 'defectiveLamp', label: L('defective') }] });
    const st = threshold.init(rule, lamp);
    const v1 = threshold.onReading!(st, reading(lamp, T0, { status: 'defectiveLamp' }), rule, lamp)!;
    assert.equal(v1.severity, 'warning');
    assert.equal(v1.value, 1);
    assert.equal(threshold.onReading!(st, reading(lamp, T0 + MIN, { status: 'ok' }), rule, lamp)!.severity, null);
  });
});
