/**
 * The composition root's start/stop order as one list (ARCHITECTURE.md "Start and stop"):
 * SU1 units start in list order and stop in exactly the reverse order, each started unit once;
 * SU2 a start that fails stops the units already started, in reverse, then rethrows;
 * SU3 a stop that throws is reported (with the unit's name) and the remaining units still stop.
 */
export interface Unit {
  /** For logs and reports: what failed to start or stop. */
  readonly name: string;
  /** A start that throws undoes its own partial work (its stop is not called: it never started, SU2). */
  start(): void | Promise<void>;
  /** Omitted = nothing to undo (the unit only builds or wires something). */
  stop?(): void | Promise<void>;
}

export interface StopFailure {
  readonly unit: string;
  readonly error: unknown;
}

export class Units {
  private readonly started: Unit[] = [];
  private running: Promise<void> | undefined;
  private abandoned = false;
  private stopping: Promise<StopFailure[]> | undefined;
  private unwinding: Promise<StopFailure[]> | undefined;

  /** `onStopError` hears every failed stop as it happens (the app logs it). */
  constructor(
    private readonly units: readonly Unit[],
    private readonly onStopError: (f: StopFailure) => void = () => undefined,
  ) {}

  /** SU1, SU2. Call once. */
  start(): Promise<void> {
    if (this.running) return Promise.reject(new Error('units already started'));
    this.running = (async () => {
      for (const u of this.units) {
        if (this.abandoned) throw new Error(`start abandoned before ${u.name}: stop was called`);
        try {
          await u.start();
        } catch (err) {
          await this.unwind();
          throw err;
        }
        this.started.push(u);
      }
    })();
    return this.running;
  }

  /**
   * SU1, SU3: stops what has started, last first, and resolves with the failures (empty when
   * every stop succeeded). During a start it lets the unit in progress finish, starts no
   * further one, then stops. Calling it again returns the same result.
   */
  stop(): Promise<StopFailure[]> {
    this.abandoned = true;
    this.stopping ??= (async () => {
      await this.running?.catch(() => undefined);
      return this.unwind();
    })();
    return this.stopping;
  }

  /** Names of the units started and not yet stopped, in start order. */
  get startedNames(): string[] {
    return this.started.map((u) => u.name);
  }

  private unwind(): Promise<StopFailure[]> {
    this.unwinding ??= (async () => {
      const failures: StopFailure[] = [];
      for (let u = this.started.pop(); u; u = this.started.pop()) {
        try {
          await u.stop?.();
        } catch (error) {
          const f = { unit: u.name, error };
          failures.push(f);
          this.onStopError(f);
        }
      }
      return failures;
    })();
    return this.unwinding;
  }
}
