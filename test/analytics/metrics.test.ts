import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry as MetricsRegistry } from 'prom-client';
import { createAlertEngine } from '../../alerts/index.ts';
import { Aggregator, AnalyticsError, analyticsMetrics } from '../../analytics/index.ts';
import { L, ruleSet } from '../alerts/helpers.ts';
import { MIN, T0, airSensor, parkingSensor, reading, riverSensor } from './fixtures.ts';

describe('analyticsMetrics (real prom-client registry)', () => {
  it('reports aggregated, late, open windows, sensors, watermark lag, open alerts and errors', async () => {
    const registry = new MetricsRegistry();
    const aggregator = new Aggregator({ allowedLatenessMs: MIN });
    const alerts = createAlertEngine({
      rules: ruleSet([
        { id: 'river', type: 'threshold', field: 'currentLevel', levels: [{ severity: 'critical', above: 4, label: L('L1') }] },
        { id: 'pm25', type: 'threshold', field: 'pm25', levels: [{ severity: 'warning', above: 35.5, label: L('pm') }] },
      ]),
    });
    const m = analyticsMetrics(registry, { aggregator, alerts, now: () => T0 + 5 * MIN });
    aggregator.add(reading(parkingSensor(), T0 + 4 * MIN, { occupiedSpotNumber: 1 }));
    aggregator.advance(T0 + 5 * MIN);
    aggregator.add(reading(parkingSensor(), T0, { occupiedSpotNumber: 1 })); // late
    alerts.onReading(reading(riverSensor(), T0, { currentLevel: 4.5 }), riverSensor());
    alerts.onReading(reading(airSensor(), T0, { pm25: 40 }), airSensor());
    const logged: string[] = [];
    const onError = m.onError('alerts', (e) => logged.push(e.code));
    onError(new AnalyticsError('RULE_FAILED', 'x'));
    onError(new AnalyticsError('RULE_FAILED', 'y'));
    const text = await registry.metrics();
    const line = (re: RegExp): string => text.split('\n').find((l) => re.test(l)) ?? '';
    assert.equal(line(/^civic_analytics_aggregated_readings_total /), 'civic_analytics_aggregated_readings_total 1');
    assert.equal(line(/^civic_analytics_late_readings_total /), 'civic_analytics_late_readings_total 1');
    assert.equal(line(/^civic_analytics_open_windows\{period="1m"\}/), 'civic_analytics_open_windows{period="1m"} 1');
    assert.equal(line(/^civic_analytics_sensors /), 'civic_analytics_sensors 1');
    assert.equal(line(/^civic_analytics_watermark_lag_seconds /), 'civic_analytics_watermark_lag_seconds 60');
    assert.equal(line(/^civic_alerts_open\{severity="critical"\}/), 'civic_alerts_open{severity="critical"} 1');
    assert.equal(line(/^civic_alerts_open\{severity="warning"\}/), 'civic_alerts_open{severity="warning"} 1');
    assert.equal(line(/^civic_analytics_errors_total\{/), 'civic_analytics_errors_total{stage="alerts",code="RULE_FAILED"} 2');
    assert.deepEqual(logged, ['RULE_FAILED', 'RULE_FAILED']);
  });
});
