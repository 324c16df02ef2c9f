import { Observable, type OperatorFunction } from 'rxjs';
import { QualityFlag, type Aggregate, type Reading } from '../domain/index.ts';
import type { Aggregator } from './aggregator.ts';
import { asAnalyticsError, type AnalyticsErrorHandler } from './errors.ts';

export interface AggregateWithOptions {
  /** Per-reading and per-tick failures; the stream goes on (STYLE habit 9). */
  readonly onError?: AnalyticsErrorHandler;
  /** Called after a late reading got QualityFlag.LATE (W4), e.g. to count it. */
  readonly onLate?: (r: Reading) => void;
  /** Emit flushAll() when the source completes (default true): the shutdown path (W8). */
  readonly flushOnComplete?: boolean;
  /** LA6: mark the flushed windows `partial` (the pipeline does; default false). */
  readonly partialOnFlush?: boolean;
}

/**
 * Feeds readings into `aggregator` and emits the windows each clock tick closes.
 *
 * - Every reading goes to `aggregator.add()`. A late one (W4) gets `QualityFlag.LATE`
 *   set on the reading object itself — the Reading type keeps `flags` mutable for this —
 *   so a storage batch holding the same object stores the flag.
 * - Every `tick$` value is the pipeline's clock in epoch ms; it calls `advance(now)` and
 *   emits the closed aggregates, if any (no empty arrays).
 * - A reading that throws is handed to `onError` and skipped; the stream continues.
 * - Source completion emits the partial windows (flushAll) then completes; a source or
 *   tick error is passed on; unsubscribing tears down both without flushing.
 *
 * @example
 * const tick$ = interval(1_000).pipe(map(() => Date.now()));
 * readings$.pipe(aggregateWith(new Aggregator({ allowedLatenessMs: 60_000 }), tick$, { onError }))
 *   .subscribe((batch) => store.writeAggregates(batch));
 */
export function aggregateWith(aggregator: Aggregator, tick$: Observable<number>, options: AggregateWithOptions = {}): OperatorFunction<Reading, Aggregate[]> {
  const { onError, onLate, flushOnComplete = true, partialOnFlush = false } = options;
  return (source) =>
    new Observable<Aggregate[]>((subscriber) => {
      const emit = (batch: Aggregate[]): void => {
        if (batch.length > 0) subscriber.next(batch);
      };
      subscriber.add(
        tick$.subscribe({
          next: (nowMs) => {
            let batch: Aggregate[];
            try {
              batch = aggregator.advance(nowMs);
            } catch (err) {
              onError?.(asAnalyticsError(err, 'TICK_FAILED'));
              return;
            }
            emit(batch);
          },
          error: (err: unknown) => subscriber.error(err),
        }),
      );
      subscriber.add(
        source.subscribe({
          next: (r) => {
            try {
              if (!aggregator.add(r)) {
                r.flags |= QualityFlag.LATE;
                onLate?.(r);
              }
            } catch (err) {
              onError?.(asAnalyticsError(err, 'AGGREGATE_FAILED'), r);
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            if (flushOnComplete) emit(aggregator.flushAll(partialOnFlush));
            subscriber.complete();
          },
        }),
      );
    });
}
