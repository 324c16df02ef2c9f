/**
 * Runs async jobs one at a time, in submission order. A DuckDB connection must not run
 * two statements at once, and the write connection must not interleave two batches'
 * BEGIN … COMMIT, so every use of a connection goes through one of these.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Jobs submitted and not yet finished (used to pick the least busy reader). */
  get depth(): number {
    return this.queued;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(job);
    // The chain continues whether the job failed or not; the caller sees the failure.
    this.tail = result.then(
      () => this.queued--,
      () => this.queued--,
    );
    return result;
  }

  /** Resolves once every job submitted so far has finished. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
