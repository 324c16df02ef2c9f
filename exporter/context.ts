import type { SensorStatus } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Store } from '../storage/index.ts';
import type { VerifyStaff } from './staff/auth.ts';

/**
 * Bounds on what one request may ask for. Each is a default the composition root may
 * override from the validated config; the reasons are the ones users of other systems
 * ran into (ANCHORS: OpenRemote failing at 50k–250k assets, FROST "latest" timing out).
 */
export interface ApiLimits {
  /** Longest from..to a range query may span. A month of 1-minute readings is ~45k rows per sensor. */
  readonly maxRangeDays: number;
  /** Range used when `from` is omitted. */
  readonly defaultRangeHours: number;
  /** Page size of readings when `limit` is omitted, and its ceiling. */
  readonly readingsDefaultLimit: number;
  readonly readingsMaxLimit: number;
  /** Page size of sensor listings; Taipei alone has 100k+ streetlights, so the list is paged. */
  readonly sensorsDefaultLimit: number;
  readonly sensorsMaxLimit: number;
  /** Aggregates, alerts, dead letters. */
  readonly listDefaultLimit: number;
  readonly listMaxLimit: number;
  /** Dead-letter payloads are already cut by ingest; this second bound keeps one API page small. */
  readonly deadLetterPayloadChars: number;
  /** A latest reading older than this many expected intervals is marked `stale` ("not live" badge). */
  readonly staleAfterIntervals: number;
}

export const DEFAULT_LIMITS: ApiLimits = Object.freeze({
  maxRangeDays: 31,
  defaultRangeHours: 24,
  readingsDefaultLimit: 1000,
  readingsMaxLimit: 10_000,
  sensorsDefaultLimit: 1000,
  sensorsMaxLimit: 10_000,
  listDefaultLimit: 100,
  listMaxLimit: 5000,
  deadLetterPayloadChars: 4096,
  staleAfterIntervals: 3,
});

/** What every route plugin receives: the data sources and the bounds, nothing else. */
export interface ApiContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly sensorStatus?: (id: string) => SensorStatus | undefined;
  readonly limits: ApiLimits;
  /** Prefix for `next` links; empty means root-relative links. */
  readonly baseUrl: string;
  /** Injected clock so range defaults and staleness are testable. */
  readonly now: () => number;
  /** Staff token check for every staff-only route (the alert list, dead letters); absent = they answer 401 (AL9, OD-P1). */
  readonly verifyStaff?: VerifyStaff;
  /** AL9 The alert's rule facts staff see on every alert: published (`public`) and its CAP status. */
  readonly alertMeta?: AlertMeta;
}

export type AlertMeta = (a: { ruleId: string; subject: string }) => { public: boolean; capStatus: string };
