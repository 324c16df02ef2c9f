import type { Observable, Subscription } from 'rxjs';
import type { AnalyticsPipeline, SensedReading } from '../analytics/index.ts';
import type { Reading, Sensor } from '../domain/index.ts';
import type { StoreWriter } from '../storage/index.ts';

export interface AnalyticsSinks {
  readonly writer: StoreWriter;
  /**
   * The alert service (AL7: the one owner of alert changes): it evaluates each reading,
   * records, stores and delivers the changes; its tick runs from the app's clock tick.
   */
  readonly alerts: { onReading(r: Reading, sensor: Sensor): void };
}

/**
 * The one place the analytics streams meet their sinks: aggregates and readings (LATE already
 * decided by the pipeline) go to the store writer, readings of registered sensors to the alert
 * service, and the writer's revised readings (AC3) back to the pipeline. Separate subscriptions,
 * so a failing sink cannot keep a reading from the others.
 */
export function connectAnalytics(pipeline: AnalyticsPipeline, readings$: Observable<SensedReading>, sinks: AnalyticsSinks): Subscription {
  sinks.writer.onRevised((revised) => pipeline.markRevised(revised));
  const out = pipeline.connect(readings$);
  const sub = out.aggregates$.subscribe((batch) => sinks.writer.addAggregates(batch));
  sub.add(out.readings$.subscribe(({ reading, sensor }) => sensor && sinks.alerts.onReading(reading, sensor)));
  sub.add(out.readings$.subscribe(({ reading }) => sinks.writer.addReading(reading)));
  return sub;
}
