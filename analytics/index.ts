/**
 * Analytics stage: pure, I/O-free streaming aggregates and alerts (see aggregator.ts
 * W1–W8 for windows and the watermark, alert-engine.ts AE1–AE4, threshold-groups.ts A1,
 * basic-threshold-alerts.ts A2–A6).
 */
export { Aggregator, type AggregatorOptions, type AggregatorStats } from './aggregator.ts';
export { alertId, type AlertEngine } from './alert-engine.ts';
export { BasicThresholdAlerts } from './basic-threshold-alerts.ts';
export { groupRules, type RuleGroup } from './threshold-groups.ts';
export { aggregateWith, type AggregateWithOptions } from './aggregate-with.ts';
export { evaluateAlerts, type EvaluateAlertsOptions } from './evaluate-alerts.ts';
export { analyticsMetrics, type AnalyticsMetrics, type AnalyticsMetricsSources } from './metrics.ts';
export { ANALYTICS_ERRORS, AnalyticsError, type AnalyticsErrorCode, type AnalyticsErrorHandler } from './errors.ts';
export { LateWindows, recompute, type DirtyReading, type RecomputeJob } from './late-windows.ts';
