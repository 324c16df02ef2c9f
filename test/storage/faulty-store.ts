import type { Aggregate, AlertChange, DeadLetter, Reading } from '../../domain/index.ts';
import type { Store } from '../../storage/port.ts';

/**
 * Fault injection around a real store: write calls fail while `failures` > 0, can be held
 * at a gate, and every attempt is recorded. Queries pass straight through.
 */
export class FaultyStore implements Store {
  readonly name: string;
  failures = 0;
  attempts = 0;
  /** Sizes and first seqs of the reading batches that reached the real store. */
  readonly written: { size: number; firstSeq: number }[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(private readonly inner: Store) {
    this.name = `faulty(${inner.name})`;
  }

  /** Holds every write until release() is called. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  private async attempt<T>(run: () => Promise<T>): Promise<T> {
    this.attempts++;
    await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('injected store failure');
    }
    return run();
  }

  writeReadings(batch: readonly Reading[]): Promise<void> {
    return this.attempt(async () => {
      await this.inner.writeReadings(batch);
      this.written.push({ size: batch.length, firstSeq: batch[0]!.seq });
    });
  }
  writeAggregates(batch: readonly Aggregate[]): Promise<void> {
    return this.attempt(() => this.inner.writeAggregates(batch));
  }
  writeAlertChanges(batch: readonly AlertChange[]): Promise<void> {
    return this.attempt(() => this.inner.writeAlertChanges(batch));
  }
  writeDeadLetters(batch: readonly DeadLetter[]): Promise<void> {
    return this.attempt(() => this.inner.writeDeadLetters(batch));
  }

  open = () => this.inner.open();
  close = () => this.inner.close();
  latest: Store['latest'] = (q) => this.inner.latest(q);
  readings: Store['readings'] = (q) => this.inner.readings(q);
  readingSpans: Store['readingSpans'] = (q) => this.inner.readingSpans(q);
  aggregates: Store['aggregates'] = (q) => this.inner.aggregates(q);
  alerts: Store['alerts'] = (q) => this.inner.alerts(q);
  deadLetters: Store['deadLetters'] = (q) => this.inner.deadLetters(q);
  deadLetterCounts: Store['deadLetterCounts'] = () => this.inner.deadLetterCounts();
  health: Store['health'] = () => this.inner.health();
}
