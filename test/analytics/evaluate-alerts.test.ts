import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import type { AlertChange, Reading, Sensor } from '../../domain/index.ts';
import { BasicThresholdAlerts, evaluateAlerts, type AnalyticsError } from '../../analytics/index.ts';
import { T0, airSensor, reading, riverSensor } from './fixtures.ts';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

const aq = airSensor('aq-1');
const river = riverSensor('wl-1');
const broken: Sensor = { ...riverSensor('wl-broken'), params: { station: 'river' } }; // no warningLevels: its rules throw
const registry = new Map<string, Sensor>([aq, river, broken].map((s) => [s.id, s]));
const lookup = (id: string): Sensor | undefined => registry.get(id);

describe('evaluateAlerts (virtual time)', () => {
  it('emits the changes each reading causes, nothing for readings that change nothing', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const readings = cold<Reading>('-a-b-c-d|', {
        a: reading(aq, T0, { pm25: 10 }),
        b: reading(aq, T0 + 1, { pm25: 50 }),
        c: reading(river, T0 + 2, { currentLevel: 3.5 }),
        d: reading(aq, T0 + 3, { pm25: 5 }),
      });
      const out = readings.pipe(evaluateAlerts(new BasicThresholdAlerts(), lookup, hot<number>('--t--', { t: T0 })));
      expectObservable(out).toBe('---b-c-d|', {
        b: [expect('opened', aq, 'basic.aq.pm25', T0 + 1)],
        c: [expect('opened', river, 'basic.water.currentLevel', T0 + 2)],
        d: [expect('resolved', aq, 'basic.aq.pm25', T0 + 1)],
      });
    });
  });

  it('isolates a failing rule and an unknown sensor: coded errors go to onError, other sensors keep alerting (habit 9)', () => {
    const errors: [string, string | undefined][] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const readings = cold<Reading>('-a-b-c|', {
        a: reading(broken, T0, { currentLevel: 9 }),
        b: { ...reading(aq, T0, { pm25: 1 }), sensorId: 'ghost' },
        c: reading(river, T0 + 2, { currentLevel: 3.5 }),
      });
      const onError = (e: AnalyticsError, r?: Reading): void => void errors.push([e.code, r?.sensorId]);
      const out = readings.pipe(evaluateAlerts(new BasicThresholdAlerts(), lookup, cold<number>('-'), { onError }));
      expectObservable(out).toBe('-----c|', { c: [expect('opened', river, 'basic.water.currentLevel', T0 + 2)] });
    });
    assert.deepEqual(errors, [['RULE_FAILED', 'wl-broken'], ['UNKNOWN_SENSOR', 'ghost']]);
  });

  it('ticks run onTick; basic thresholds have no time-based work, so ticks emit nothing', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      expectObservable(cold<Reading>('-----|').pipe(evaluateAlerts(new BasicThresholdAlerts(), lookup, hot<number>('-x-y-', { x: T0, y: T0 + 1 })))).toBe('-----|');
    });
  });

  it('never and errors: silent while nothing happens; source and clock errors are passed on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const e = () => new BasicThresholdAlerts();
      expectObservable(cold<Reading>('-').pipe(evaluateAlerts(e(), lookup, cold<number>('-')))).toBe('-');
      expectObservable(cold<Reading>('--#').pipe(evaluateAlerts(e(), lookup, cold<number>('-')))).toBe('--#');
      expectObservable(cold<Reading>('-').pipe(evaluateAlerts(e(), lookup, cold<number>('---#')))).toBe('---#');
    });
  });

  it('early unsubscribe tears down readings and ticks', () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const readings = hot<Reading>('---------a-|', { a: reading(aq, T0 + 100, { pm25: 99 }) });
      const ticks = hot<number>('    -----------');
      expectObservable(readings.pipe(evaluateAlerts(new BasicThresholdAlerts(), lookup, ticks)), '^-----!').toBe('-------');
      expectSubscriptions(readings.subscriptions).toBe('^-----!');
      expectSubscriptions(ticks.subscriptions).toBe('^-----!');
    });
  });
});

/** The change the engine must produce, built field by field from the sensor (not copied from engine output). */
function expect(type: AlertChange['type'], s: Sensor, ruleId: string, openedAt: number): AlertChange {
  const isAq = s.kind === 'air-quality';
  const resolved = type === 'resolved';
  const value = isAq ? (resolved ? 5 : 50) : 3.5;
  const message = isAq
    ? resolved
      ? { 'zh-TW': '桃園站微型感測器：PM2.5 濃度偏高 已解除（細懸浮微粒 PM2.5 5 µg/m³）', en: 'Taoyuan micro-sensor: PM2.5 high cleared (PM2.5 5 µg/m³)' }
      : { 'zh-TW': '桃園站微型感測器：PM2.5 濃度偏高（細懸浮微粒 PM2.5 50 µg/m³，門檻 ≥ 35.5 µg/m³）', en: 'Taoyuan micro-sensor: PM2.5 high (PM2.5 50 µg/m³, threshold ≥ 35.5 µg/m³)' }
    : { 'zh-TW': '南崁溪橋：河川水位達二級警戒（水位 3.5 m，門檻 ≥ 3 m）', en: 'Nankan Creek Bridge: River at warning level 2 (Water stage 3.5 m, threshold ≥ 3 m)' };
  return {
    type,
    alert: {
      id: `${ruleId}:${s.id}:${openedAt}`,
      ruleId,
      subject: s.id,
      kind: s.kind,
      district: s.district.code,
      severity: 'warning',
      state: resolved ? 'resolved' : 'open',
      openedAt,
      updatedAt: resolved ? T0 + 3 : openedAt,
      ...(resolved ? { resolvedAt: T0 + 3 } : {}),
      field: isAq ? 'pm25' : 'currentLevel',
      value,
      threshold: isAq ? 35.5 : 3,
      message,
    },
  };
}
