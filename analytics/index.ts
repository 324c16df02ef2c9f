/**
 * Analytics stage: pure, I/O-free streaming aggregates and alerts (see aggregator.ts
 * W1–W8 for windows and the watermark). Alerts are evaluated by the alert service
 * (alerts/, AL1–AL9), the one owner of alert changes.
 */
export { Aggregator, type AggregatorOptions, type AggregatorStats } from './aggregator.ts';
export { aggregateWith, type AggregateWithOptions } from './aggregate-with.ts';
export { analyticsMetrics, type AnalyticsMetrics, type AnalyticsMetricsSources } from './metrics.ts';
export { ANALYTICS_ERRORS, AnalyticsError, type AnalyticsErrorCode, type AnalyticsErrorHandler } from './errors.ts';
export { LateWindows, recompute, type DirtyReading, type RecomputeJob } from './late-windows.ts';
export { AnalyticsPipeline, type AnalyticsPipelineOptions, type AnalyticsStreams, type ClassifiedReading, type RecomputeSource, type SensedReading } from './pipeline.ts';
