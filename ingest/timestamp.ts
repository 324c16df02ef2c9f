import { QualityFlag, RejectError, parseTime } from '../domain/index.ts';

export interface TimePolicy {
  readonly maxFutureSkewMs: number;
  readonly maxPastSkewMs: number;
  readonly rejectOlderThanMs: number;
}

/** Beyond this a device time is nonsense rather than skew (TIMESTAMP_RANGE). */
const REJECT_FUTURE_MS = 86_400_000;

/**
 * Step 5 of ingest — the timestamp policy (P5):
 * - no device time → receive time, flag NO_DEVICE_TIME;
 * - device time within [received − maxPastSkew, received + maxFutureSkew] → device time;
 * - outside that but within [received − rejectOlderThan, received + 1 day] → receive time, flag CLOCK_SKEW;
 * - otherwise, or unparseable → rejected with TIMESTAMP_RANGE.
 */
export function stampTime(deviceTime: unknown, receivedAt: number, policy: TimePolicy): { ts: number; flags: number } {
  if (deviceTime === undefined) return { ts: receivedAt, flags: QualityFlag.NO_DEVICE_TIME };
  const ts = parseTime(deviceTime);
  if (Number.isNaN(ts)) throw new RejectError('TIMESTAMP_RANGE', `dateObserved ${JSON.stringify(deviceTime)} is not ISO 8601 with an offset nor epoch milliseconds`);
  const delta = ts - receivedAt;
  if (delta <= policy.maxFutureSkewMs && -delta <= policy.maxPastSkewMs) return { ts, flags: 0 };
  if (delta > REJECT_FUTURE_MS || -delta > policy.rejectOlderThanMs) {
    throw new RejectError('TIMESTAMP_RANGE', `dateObserved ${new Date(ts).toISOString()} is ${Math.round(delta / 1000)} s from receive time`);
  }
  return { ts: receivedAt, flags: QualityFlag.CLOCK_SKEW };
}
