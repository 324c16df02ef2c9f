import type { TSchema } from '@sinclair/typebox';
import type { FieldValue, LocalizedText, Sensor, SensorKind, Severity } from './types.ts';

/** How a non-canonical unit converts: canonical = value × factor + offset. */
export interface UnitConversion {
  readonly factor: number;
  readonly offset?: number;
}

export interface FieldSpec {
  /** Field name in payloads, storage and feeds (FIWARE Smart Data Models name where one exists). */
  readonly name: string;
  readonly type: 'number' | 'string';
  /** Canonical unit as a SenML/UCUM-style code (e.g. "ug/m3", "m", "W", "%"). */
  readonly unit?: string;
  readonly label: LocalizedText;
  /** Hard bounds: a value outside is a schema violation (dead-lettered). */
  readonly min?: number;
  readonly max?: number;
  /** Plausible bounds: a value outside is accepted but flagged OUT_OF_RANGE. */
  readonly plausible?: readonly [number, number];
  readonly enum?: readonly string[];
  /**
   * QF1 SPIKE: the largest plausible change of this field per minute between two
   * consecutive readings of one sensor (canonical unit per minute; a gap under a minute
   * counts as one minute). Numeric fields only; absent = never flagged SPIKE.
   */
  readonly spike?: number;
  /**
   * QF2 STUCK: after `count` consecutive identical values (this one included) the field
   * is flagged STUCK until it changes; `ignore` is a value that legitimately repeats
   * (0 W for a lamp that is off). Numeric fields only; absent = never flagged STUCK.
   */
  readonly stuck?: { readonly count: number; readonly ignore?: number };
  /** Other units accepted on input, converted to `unit`. */
  readonly accepts?: Readonly<Record<string, UnitConversion>>;
}

/** A basic threshold derived from a sensor's registry parameters. */
export interface ThresholdSpec {
  readonly ruleId: string;
  readonly field: string;
  readonly severity: Severity;
  /** 'above': alert when value ≥ threshold; 'below': when value ≤ threshold; 'equals': when value === match. */
  readonly op: 'above' | 'below' | 'equals';
  readonly threshold: number;
  readonly match?: string;
  readonly label: LocalizedText;
}

/**
 * Everything the pipeline knows about a sensor kind. Adding a kind means adding
 * one of these (see ARCHITECTURE.md "Adding a sensor kind"); no stage branches on kind names.
 */
export interface KindDescription {
  readonly kind: SensorKind;
  readonly label: LocalizedText;
  /** Position in lists (catalogue, feeds, dashboards, console), lowest first (KD3). */
  readonly order: number;
  /** FIWARE Smart Data Models entity type the fields follow. */
  readonly fiwareType: string;
  readonly fields: readonly FieldSpec[];
  /** A telemetry message must carry at least one of these fields. */
  readonly requireAnyOf: readonly string[];
  readonly defaultIntervalSeconds: number;
  /** TypeBox schema of the registry `params` for this kind. */
  readonly paramsSchema: TSchema;
  /** Fill derived values (flagged ESTIMATED by the caller when it returns true). Must be pure. */
  readonly derive?: (values: Record<string, FieldValue>, sensor: Sensor) => boolean;
  /** Cross-field checks the JSON Schema cannot express; returns an error message or undefined. */
  readonly check?: (values: Readonly<Record<string, FieldValue>>, sensor: Sensor) => string | undefined;
  /** Basic threshold alerts from registry parameters (replaced by the alert engine's rules later). */
  readonly thresholds: (sensor: Sensor) => readonly ThresholdSpec[];
  /** How this kind's public alerts read in CAP 1.2 (OD-A2). */
  readonly cap: {
    /** CAP <category> (CAP 1.2 §3.2.2); flood is Met ("Meteorological, inc. flood"). */
    readonly category: CapCategory;
    /** <eventCode> value under `civicstream:event` when the deployment gives none. */
    readonly event: string;
    /** Default <instruction> when the rule gives none (zh-TW first). */
    readonly instruction: LocalizedText;
  };
  /** data.gov.tw 服務分類 of this kind's open dataset (e.g. 生活安全及品質, 交通及通訊). */
  readonly openDataCategory: string;
  /**
   * Default alert rules for this kind, in the rule-file format (alerts/config/schema.ts,
   * config/rules.default.yaml), validated with the rule files and added after them; a rule
   * file's rule of the same id replaces one of these. Absent = the rule files only.
   */
  readonly rules?: readonly Readonly<Record<string, unknown>>[];
  /**
   * The demo simulator: `model` names a model of simulators/models (one per sensor when it is a
   * function); absent = a generic model that walks every numeric field inside its plausible
   * range. `senmlRate` is the share of readings sent as SenML (default 0).
   */
  readonly simulator?: {
    readonly model?: string | ((sensor: Sensor) => string);
    readonly senmlRate?: number;
  };
}

/** CAP 1.2 §3.2.2 <category> values. */
export type CapCategory = 'Geo' | 'Met' | 'Safety' | 'Security' | 'Rescue' | 'Fire' | 'Health' | 'Env' | 'Transport' | 'Infra' | 'CBRNE' | 'Other';


export function numericFields(desc: KindDescription): readonly string[] {
  return desc.fields.filter((f) => f.type === 'number').map((f) => f.name);
}
