import type { Alert, LocalizedText, Reading, Sensor, SensorKind, Severity } from '../domain/index.ts';

/**
 * Shared types of the alert engine. A rule file (YAML) is validated into `RuleConfig`s;
 * each rule type is a pure evaluator over one subject's readings (rules/*.ts), and the
 * lifecycle (lifecycle.ts) turns the evaluator's verdicts into AlertChanges.
 */

/** A number, or a reference to a sensor registry parameter times a factor (e.g. capacity × 0.95). */
export type ValueRef =
  | number
  | {
      readonly param: string;
      /** Multiplier; `factorParam` (another registry param, e.g. nearlyFullRatio) wins when the sensor has it. */
      readonly factor?: number;
      readonly factorParam?: string;
      readonly offset?: number;
    };

/** Which sensors a rule applies to; every listed criterion must match (empty = all). */
export interface Target {
  readonly kinds?: readonly SensorKind[];
  readonly districts?: readonly string[];
  readonly ids?: readonly string[];
  readonly tags?: readonly string[];
  /** Registry params that must equal these values (e.g. station: river). */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}

/** "for 5 minutes" and/or "3 readings in a row": both must hold when both are given. */
export interface Persistence {
  readonly ms?: number;
  readonly count?: number;
}

export interface ThresholdLevel {
  readonly severity: Severity;
  readonly above?: ValueRef;
  readonly below?: ValueRef;
  /** String condition (lamp status, power state). */
  readonly equals?: string;
  /** Hysteresis: the level holds until the value crosses this clearing threshold (default: the trigger). */
  readonly clear?: ValueRef;
  readonly label: LocalizedText;
}

interface RuleBase {
  readonly id: string;
  readonly name: LocalizedText;
  readonly enabled: boolean;
  readonly target: Target;
  /** Where this rule came from, for error messages and the API. */
  readonly source: string;
  /** Published in the open-data CAP feed (opt-in). */
  readonly public?: boolean;
  /** CAP status of its alerts; only Actual reaches a public feed. */
  readonly capStatus?: 'Actual' | 'Exercise' | 'System' | 'Test' | 'Draft';
  /** Optional CAP content for its public alerts (expiry, bilingual instruction, event codes, contact). */
  readonly cap?: {
    readonly expiresMinutes?: number;
    readonly instruction?: LocalizedText;
    readonly eventCodes?: readonly { readonly valueName: string; readonly value: string }[];
    readonly contact?: string;
  };
}

export interface ThresholdRule extends RuleBase {
  readonly type: 'threshold';
  readonly field: string;
  readonly levels: readonly ThresholdLevel[];
  readonly for?: Persistence;
  readonly clearFor?: Persistence;
  /** Only evaluated while the streetlight schedule says the lamp should be on / off. */
  readonly schedule?: 'on' | 'off';
}

export interface RateOfChangeRule extends RuleBase {
  readonly type: 'rate-of-change';
  readonly field: string;
  readonly windowMs: number;
  /** Rise (positive) or fall (negative) over windowMs that triggers. */
  readonly rise: ValueRef;
  readonly severity: Severity;
  /** Estimate minutes until the value reaches this level at the current rate. */
  readonly etaTo?: ValueRef;
  readonly etaLabel?: LocalizedText;
  /**
   * RC4 Warning levels in any order (e.g. a river station's levels 3, 2 and 1): while
   * rising, the verdict names the next level above the value and the highest one.
   */
  readonly etaLevels?: readonly { readonly at: ValueRef; readonly label: LocalizedText }[];
  readonly label: LocalizedText;
}

export interface OutOfRangeRule extends RuleBase {
  readonly type: 'out-of-range';
  readonly field: string;
  readonly min?: ValueRef;
  readonly max?: ValueRef;
  readonly severity: Severity;
  readonly for?: Persistence;
  readonly label: LocalizedText;
}

export interface StuckRule extends RuleBase {
  readonly type: 'stuck';
  readonly field: string;
  readonly count?: number;
  readonly ms?: number;
  readonly severity: Severity;
  readonly label: LocalizedText;
}

export interface FreshnessRule extends RuleBase {
  readonly type: 'freshness';
  /** Silent after factor × the sensor's intervalSeconds without a reading. */
  readonly factor: number;
  readonly severity: Severity;
  readonly label: LocalizedText;
}

export interface OfflineRule extends RuleBase {
  readonly type: 'offline';
  /** Disconnected for at least this long (a reconnect within it raises nothing). */
  readonly graceMs: number;
  readonly severity: Severity;
  readonly label: LocalizedText;
}

export interface CompositeRule extends RuleBase {
  readonly type: 'composite';
  /** any = OR, all = AND over the listed rules for the same sensor; count = N sensors of a district. */
  readonly op: 'any' | 'all' | 'count';
  readonly rules: readonly string[];
  readonly min?: number;
  readonly minSeverity?: Severity;
  readonly severity: Severity;
  readonly label: LocalizedText;
}

export interface AqiRule extends RuleBase {
  readonly type: 'aqi';
  /** AQI at or above which an alert opens (orange = 101). */
  readonly minAqi: number;
  readonly label: LocalizedText;
}

export type RuleConfig = ThresholdRule | RateOfChangeRule | OutOfRangeRule | StuckRule | FreshnessRule | OfflineRule | CompositeRule | AqiRule;
export type RuleType = RuleConfig['type'];

export interface FlapPolicy {
  /** More than `maxTransitions` open/clear transitions within `windowMs` marks an alert flapping. */
  readonly maxTransitions: number;
  readonly windowMs: number;
}

export interface RuleSet {
  readonly version: number;
  readonly rules: readonly RuleConfig[];
  readonly flap: FlapPolicy;
  readonly files: readonly string[];
}

/** What a rule says about its subject now. severity null = condition clear. */
export interface Verdict {
  readonly severity: Severity | null;
  readonly field: string;
  readonly value: number;
  readonly threshold: number;
  readonly label: LocalizedText;
  /** Per-unit-time change, where the rule knows it (cm or m per hour). */
  readonly trendPerHour?: number;
  readonly etaMinutes?: number;
  readonly etaLabel?: LocalizedText;
  /** RC4 The next warning level on the way to `etaLabel`'s, when that is not the next one. */
  readonly etaNext?: { readonly minutes: number; readonly label: LocalizedText };
}

/**
 * A rule type as a pure evaluator. `S` is per-subject state, created by `init` and
 * updated in place (allocation-light on the hot path). No clock reads: time comes
 * from reading.ts and the tick's nowMs (AE1).
 */
export interface Evaluator<R extends RuleConfig, S> {
  init(rule: R, sensor: Sensor): S;
  onReading?(state: S, r: Reading, rule: R, sensor: Sensor): Verdict | undefined;
  onTick?(state: S, nowMs: number, rule: R, sensor: Sensor): Verdict | undefined;
}

/** The engine's alert: the domain Alert plus what staff and channels need. */
export interface EngineAlert extends Alert {
  ruleType?: RuleType;
  flapping?: boolean;
  trendPerHour?: number;
  etaMinutes?: number;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  assignee?: string;
  resolvedBy?: string;
  resolveReason?: string;
}
