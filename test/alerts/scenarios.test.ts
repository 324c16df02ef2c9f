import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAqiTable } from '../../alerts/aqi/table.ts';
import { loadRules } from '../../alerts/config/load.ts';
import { createAlertEngine } from '../../alerts/engine.ts';
import { SCENARIOS, buildScenario, scenarioStart } from '../../alerts/scenarios.ts';
import type { AlertChange, Reading } from '../../domain/index.ts';
import { Registry } from '../../registry/index.ts';
import { T0 } from '../analytics/fixtures.ts';

/** Every scenario, played through the shipped default rules on the demo registry, on virtual time. */
describe('scenarios × default rules × demo registry', async () => {
  const registry = await Registry.load('config/registry.demo.yaml');
  const sensors = [...registry.sensors()];
  const rules = await loadRules(['config/rules.default.yaml']);
  const table = loadAqiTable();

  for (const name of SCENARIOS) {
    it(`${name} opens ${buildScenario(name, sensors).expect.join(', ')}`, () => {
      const sc = buildScenario(name, sensors);
      const start = scenarioStart(sc, T0);
      const involved = new Set(sc.readings.map((r) => r.sensorId));
      const engine = createAlertEngine({ rules, aqiTable: table, sensors: () => sensors.filter((s) => involved.has(s.id)) });
      const changes: AlertChange[] = [];
      const sorted = [...sc.readings].sort((a, b) => a.atMs - b.atMs);
      let nextTick = start;
      let seq = 1;
      for (const sr of sorted) {
        const ts = start + sr.atMs;
        for (; nextTick <= ts; nextTick += 60_000) changes.push(...engine.onTick(nextTick));
        const s = registry.sensor(sr.sensorId)!;
        const r: Reading = { seq: seq++, sensorId: s.id, kind: s.kind, district: s.district.code, ts, receivedAt: ts, flags: 0, values: sr.values };
        changes.push(...engine.onReading(r, s));
      }
      for (; nextTick <= start + sc.durationMs; nextTick += 60_000) changes.push(...engine.onTick(nextTick));
      const opened = new Set(changes.filter((c) => c.type === 'opened').map((c) => c.alert.ruleId));
      for (const id of sc.expect) assert.ok(opened.has(id), `${name}: expected ${id} to open; opened: ${[...opened].join(', ')}`);
      if (name === 'flood') {
        const crit = changes.find((c) => c.alert.ruleId === 'water.river.warning' && c.alert.severity === 'critical');
        assert.ok(crit, 'the river reaches warning level 1 (critical)');
        const rise = changes.find((c) => c.alert.ruleId === 'water.river.rise');
        assert.ok((rise?.alert as { etaMinutes?: number } | undefined)?.etaMinutes !== undefined, 'the rise alert carries a time-to-level-1 estimate');
        assert.match(rise!.alert.message['zh-TW'], /分鐘後達一級警戒/);
      }
      if (name === 'pollution-episode') {
        const sev = new Set(changes.filter((c) => c.alert.ruleId === 'air.aqi').map((c) => c.alert.severity));
        assert.ok(sev.has('advisory') && sev.has('warning'), `AQI band changes orange → red: ${[...sev].join(',')}`);
      }
    });
  }
});
