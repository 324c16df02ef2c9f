import { Observable, type OperatorFunction } from 'rxjs';
import type { AlertChange, Reading, Sensor } from '../domain/index.ts';
import type { AlertEngine } from './alert-engine.ts';
import { AnalyticsError, asAnalyticsError, type AnalyticsErrorHandler } from './errors.ts';

export interface EvaluateAlertsOptions {
  /** Rule failures and unknown sensors; the stream goes on (STYLE habit 9). */
  readonly onError?: AnalyticsErrorHandler;
}

/**
 * Runs each reading through `engine` and emits the alert changes it causes; each
 * `tick$` value (epoch ms) runs `engine.onTick` for time-based rules.
 *
 * - `lookup` resolves the reading's sensor (the registry); an unknown id is reported
 *   as UNKNOWN_SENSOR and skipped.
 * - A rule that throws for one reading is reported as RULE_FAILED through `onError`;
 *   later readings are still evaluated, so one bad sensor cannot silence the others.
 * - Only non-empty change lists are emitted. Source completion completes the output;
 *   errors of the source or of tick$ are passed on; unsubscribing tears both down.
 *
 * @example
 * readings$.pipe(evaluateAlerts(new BasicThresholdAlerts(), (id) => registry.get(id), tick$, { onError }))
 *   .subscribe((changes) => store.writeAlertChanges(changes));
 */
export function evaluateAlerts(
  engine: AlertEngine,
  lookup: (sensorId: string) => Sensor | undefined,
  tick$: Observable<number>,
  options: EvaluateAlertsOptions = {},
): OperatorFunction<Reading, AlertChange[]> {
  const { onError } = options;
  return (source) =>
    new Observable<AlertChange[]>((subscriber) => {
      const emit = (changes: AlertChange[]): void => {
        if (changes.length > 0) subscriber.next(changes);
      };
      subscriber.add(
        tick$.subscribe({
          next: (nowMs) => {
            let changes: AlertChange[];
            try {
              changes = engine.onTick(nowMs);
            } catch (err) {
              onError?.(asAnalyticsError(err, 'TICK_FAILED'));
              return;
            }
            emit(changes);
          },
          error: (err: unknown) => subscriber.error(err),
        }),
      );
      subscriber.add(
        source.subscribe({
          next: (r) => {
            let changes: AlertChange[];
            try {
              const sensor = lookup(r.sensorId);
              if (sensor === undefined) throw new AnalyticsError('UNKNOWN_SENSOR', r.sensorId);
              changes = engine.onReading(r, sensor);
            } catch (err) {
              onError?.(asAnalyticsError(err, 'RULE_FAILED'), r);
              return;
            }
            emit(changes);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
    });
}
