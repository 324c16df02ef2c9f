/**
 * The data model every stage shares. Times are epoch milliseconds (UTC) inside
 * the pipeline; they become ISO 8601 with +08:00 only at the edges (API, exports).
 */

/**
 * The name of a registered sensor kind (domain/kinds, KD1–KD2): a string, because a kind is a
 * description file found at load, not a literal in this union. Check unknown input with
 * `isSensorKind`; every fact about a kind is read from its description via `kindOf`.
 */
export type SensorKind = string;

export interface LocalizedText {
  readonly 'zh-TW': string;
  readonly en: string;
}

export interface District {
  /** Administrative code, e.g. Taoyuan's Zhongli District = 6800200 (see registry). */
  readonly code: string;
  readonly name: LocalizedText;
  /** Outline as GeoJSON (WGS84 [lon, lat]), when the registry gives one (CAP polygon, STA spatial filters). */
  readonly boundary?: DistrictBoundary;
}

export type DistrictBoundary =
  | { readonly type: 'Polygon'; readonly coordinates: readonly (readonly (readonly [number, number])[])[] }
  | { readonly type: 'MultiPolygon'; readonly coordinates: readonly (readonly (readonly (readonly [number, number])[])[])[] };

export interface GeoPoint {
  /** WGS84 latitude, degrees. */
  readonly lat: number;
  /** WGS84 longitude, degrees. */
  readonly lon: number;
}

/** One sensor as the registry describes it. Never serialised with its secret. */
export interface Sensor {
  readonly id: string;
  readonly kind: SensorKind;
  readonly name: LocalizedText;
  readonly district: District;
  readonly location: GeoPoint;
  /** Expected seconds between two readings; drives freshness and completeness. */
  readonly intervalSeconds: number;
  /** Kind-specific parameters, validated against the kind's `paramsSchema`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  /** Gateway principal allowed to publish for this sensor, if any. */
  readonly gateway?: string;
  /** scrypt hash (see broker/credentials.ts); absent when only a gateway publishes. */
  readonly secretHash?: string;
}

/**
 * Registry tag of a drill sensor (演練, AL10): dedicated to the scripted alert scenarios.
 * The background simulators never play it, its silence before its first reading is no
 * health alert, and the per-feed quality figures leave it out.
 */
export const DRILL_TAG = 'drill';
export const isDrillSensor = (s: Pick<Sensor, 'tags'>): boolean => s.tags.includes(DRILL_TAG);
/** The group subject of a composite count over drill sensors ("district:{code}:drill", CP3). */
export const DRILL_GROUP_SUFFIX = ':drill';

/** A principal that publishes on behalf of the sensors assigned to it (LoRaWAN NS, vendor bridge). */
export interface Gateway {
  readonly id: string;
  readonly name: LocalizedText;
  readonly secretHash: string;
}

/**
 * Quality flags (bitmask). Documented in README "Quality flags"; the exporter
 * renders them by name. Values are part of the public contract: never renumber.
 */
export const QualityFlag = {
  /** Device time was outside the accepted skew; receive time used instead. */
  CLOCK_SKEW: 1 << 0,
  /** Payload had no timestamp; receive time used. */
  NO_DEVICE_TIME: 1 << 1,
  /** Arrived behind the analytics watermark: stored, not in streaming aggregates. */
  LATE: 1 << 2,
  /** Inside the accepted schema range but outside the kind's plausible range. */
  OUT_OF_RANGE: 1 << 3,
  /** A field jumped by more than its kind's `spike` rate since the sensor's previous reading (QF1). */
  SPIKE: 1 << 4,
  /** A field repeated one value for its kind's `stuck.count` consecutive readings or more (QF2). */
  STUCK: 1 << 5,
  /** A value derived by the pipeline (e.g. occupied = total − available). */
  ESTIMATED: 1 << 6,
  /** Replaces an earlier, different reading of the same sensor and time; the earlier values are kept in the audit trail (AC2). */
  CORRECTED: 1 << 7,
} as const;
export type QualityFlagName = keyof typeof QualityFlag;

export function flagNames(flags: number): QualityFlagName[] {
  const names: QualityFlagName[] = [];
  for (const name of Object.keys(QualityFlag) as QualityFlagName[]) {
    if (flags & QualityFlag[name]) names.push(name);
  }
  return names;
}

export type FieldValue = number | string;

/** A validated, normalised reading. `values` holds only fields the kind declares, in canonical units. */
export interface Reading {
  /** Journal sequence number: unique, increasing, assigned at acknowledgement. */
  seq: number;
  readonly sensorId: string;
  readonly kind: SensorKind;
  /** District code, copied from the registry for grouping without a lookup. */
  readonly district: string;
  /** Event time (device time or receive time, see flags), epoch ms. */
  readonly ts: number;
  readonly receivedAt: number;
  flags: number;
  readonly values: Readonly<Record<string, FieldValue>>;
}

export type AggregatePeriod = '1m' | '1h';
export const PERIOD_MS: Readonly<Record<AggregatePeriod, number>> = { '1m': 60_000, '1h': 3_600_000 };

/** Summary of one numeric field over one window. `scope` says whether `key` is a sensor id or a district code. */
export interface Aggregate {
  readonly scope: 'sensor' | 'district';
  readonly key: string;
  readonly kind: SensorKind;
  readonly district: string;
  readonly period: AggregatePeriod;
  /** Window start, epoch ms, aligned to the period in UTC (Taipei has no DST, so hours align too). */
  readonly start: number;
  readonly field: string;
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly last: number;
  /** LA6: the window was still open (shutdown flush, W8, or a day not yet ended); absent when complete. */
  readonly partial?: boolean;
}

export type Severity = 'advisory' | 'warning' | 'critical';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface Alert {
  /** Stable id: one open alert per (subject, rule). */
  readonly id: string;
  readonly ruleId: string;
  /** Sensor id, or a group key such as a district for composite rules. */
  readonly subject: string;
  readonly kind: SensorKind;
  readonly district: string;
  severity: Severity;
  state: AlertState;
  readonly openedAt: number;
  updatedAt: number;
  resolvedAt?: number;
  field: string;
  value: number;
  threshold: number;
  message: LocalizedText;
}

/** An alert as it changed; what storage records and what channels deliver. */
export interface AlertChange {
  readonly type: 'opened' | 'updated' | 'resolved';
  readonly alert: Alert;
}

/** Reject reasons (ingest error catalogue codes). Dead letters and metrics use these. */
export type RejectReason =
  | 'BAD_TOPIC'
  | 'BAD_JSON'
  | 'BAD_SENML'
  | 'SCHEMA'
  | 'UNKNOWN_SENSOR'
  | 'TOPIC_KIND_MISMATCH'
  | 'TIMESTAMP_RANGE'
  | 'UNIT'
  | 'OVERSIZED'
  | 'RATE_LIMITED'
  | 'NOT_AUTHORIZED';

export interface DeadLetter {
  readonly at: number;
  readonly reason: RejectReason;
  readonly message: string;
  readonly topic: string;
  readonly clientId: string;
  readonly sensorId?: string;
  /** Raw payload as UTF-8 (invalid bytes replaced), cut to the configured bound. */
  readonly payload: string;
  readonly payloadBytes: number;
}

/** Device status (status topic or Last Will). */
export interface SensorStatus {
  readonly sensorId: string;
  readonly ts: number;
  readonly online?: boolean;
  readonly batteryLevel?: number;
  readonly firmwareVersion?: string;
}
