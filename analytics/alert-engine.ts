import type { Alert, AlertChange, Reading, Sensor } from '../domain/index.ts';

/**
 * The seam between the pipeline and whatever decides alerts. BasicThresholdAlerts
 * implements it now; the full engine (durations, hysteresis, deadman, composite rules)
 * replaces the implementation later without touching the operators or the pipeline.
 *
 * Contract (cited by tests as AE1–AE4):
 * AE1  onReading and onTick are pure state transitions: no I/O, no timers, no clock
 *      reads; all time comes from reading.ts and the tick's nowMs, so a replay of the
 *      same input gives the same changes.
 * AE2  At most one non-resolved alert per (subject, ruleId); a change carries a copy
 *      of the alert as it is after the change (later changes never mutate it).
 * AE3  Alert ids are deterministic and unique per opening: `${ruleId}:${subject}:${openedAt}`.
 * AE4  After restore(open), replaying readings already evaluated before the restart
 *      (ts ≤ the alert's updatedAt) neither reopens nor resolves anything.
 */
export interface AlertEngine {
  /** State after a restart, from storage: the alerts that were not resolved. */
  restore(open: readonly Alert[]): void;
  /** Pure state transition for one reading of `sensor`. */
  onReading(r: Reading, sensor: Sensor): AlertChange[];
  /** Time-based work (deadman, durations); basic thresholds need none, the hook stays. */
  onTick(nowMs: number): AlertChange[];
  /** The alerts currently not resolved. */
  open(): Alert[];
}

/** AE3 */
export function alertId(ruleId: string, subject: string, openedAt: number): string {
  return `${ruleId}:${subject}:${openedAt}`;
}
