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
}

export function numericFields(desc: KindDescription): readonly string[] {
  return desc.fields.filter((f) => f.type === 'number').map((f) => f.name);
}
