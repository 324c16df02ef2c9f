import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backtest, formatBacktest } from '../../alerts/backtest.ts';
import { toTaipeiIso } from '../../domain/index.ts';
import { MIN, T0, reading, riverSensor, roadFloodSensor } from '../analytics/fixtures.ts';
import { L, ruleSet } from './helpers.ts';

describe('backtest (BT1–BT3)', () => {
  const river = riverSensor('wl-1');
  const road = roadFloodSensor('rf-1');
  const rules = ruleSet([
    { id: 'river', type: 'threshold', field: 'currentLevel', target: { params: { station: 'river' } }, levels: [{ severity: 'advisory', above: 2, label: L('L3') }, { severity: 'critical', above: 4, label: L('L1') }], for: { count: 2 } },
    { id: 'silent', type: 'freshness', factor: 3, severity: 'warning', label: L('silent') },
  ]);
  // Two episodes: 10 min above 2 m (peak 4.5 m), then 5 min above 2 m still open at `to`.
  const levels = [1, 1, 2.5, 2.6, 4.5, 4.6, 3, 2.5, 1, 1, 1, 2.2, 2.3, 2.4];
  const series = levels.map((v, i) => reading(river, T0 + i * 5 * MIN, { currentLevel: v }));

  it('replays a rule over readings on virtual time and reports each alert with its duration', async () => {
    const r = await backtest({ rules, ruleId: 'river', sensors: [river, road], readings: series, from: T0, to: T0 + 80 * MIN });
    assert.equal(r.readings, levels.length, 'only the targeted sensors count');
    assert.equal(r.alerts.length, 2);
    assert.deepEqual(r.alerts.map((a) => [a.openedAt - T0, a.resolvedAt !== undefined ? a.resolvedAt - T0 : 'open', a.peakSeverity]), [
      [15 * MIN, 40 * MIN, 'critical'],
      [60 * MIN, 'open', 'advisory'],
    ]);
    assert.equal(r.totalOpenMs, 25 * MIN + 20 * MIN);
    assert.match(formatBacktest(r, toTaipeiIso), /rule river: 2 alert\(s\).*\n.*critical.*\n.*still open/);
  });

  it('tick-driven rules run on event time: a silent gap in history is found', async () => {
    const gap = [reading(road, T0, { floodDepth: 0 }), reading(road, T0 + 10 * MIN, { floodDepth: 0 })];
    const r = await backtest({ rules, ruleId: 'silent', sensors: [road], readings: gap, from: T0, to: T0 + 12 * MIN });
    assert.equal(r.alerts.length, 1);
    assert.equal(r.alerts[0]!.openedAt, T0 + 4 * MIN);
    assert.equal(r.alerts[0]!.resolvedAt, T0 + 10 * MIN);
  });
});
