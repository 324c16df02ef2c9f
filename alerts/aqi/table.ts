import { readFileSync } from 'node:fs';
import type { LocalizedText, Severity } from '../../domain/index.ts';

/**
 * The AQI breakpoint table is versioned data (aqi/*.json), not code: MOENV tightened
 * the pollutant thresholds from 2025-01-01, and a future revision is a new file.
 * AQ1 Sub-index: linear interpolation inside the row holding the concentration
 *     (truncated to the table's decimals): I = (Ihi − Ilo)/(Chi − Clo) × (C − Clo) + Ilo,
 *     rounded to an integer; above the last row the index is capped at 500.
 * AQ2 AQI = the largest sub-index; the band is the one whose [min, max] holds it.
 */
export type Pollutant = 'pm25' | 'pm10';

export interface AqiBand {
  readonly min: number;
  readonly max: number;
  readonly color: string;
  readonly name: LocalizedText;
  readonly severity?: Severity;
}

export interface Averaging {
  readonly longHours: number;
  readonly shortHours: number;
  readonly longWeight: number;
  readonly shortWeight: number;
  readonly minValidLong: number;
  readonly minValidShort: number;
}

export interface AqiTable {
  readonly id: string;
  readonly verification: { readonly verified: boolean; readonly statement: string };
  readonly averaging: Readonly<Record<Pollutant, Averaging>>;
  readonly validHour: { readonly minCoverage: number };
  readonly bands: readonly AqiBand[];
  readonly breakpoints: Readonly<Record<Pollutant, { readonly decimals: number; readonly rows: readonly (readonly [number, number, number, number])[]; readonly provenance?: readonly string[] }>>;
  /** AQ6 how the rows were checked (see shared/standards/moenv-aqi-2025.md). */
  readonly provenance?: { readonly record: string; readonly method: string; readonly values: Readonly<Record<string, string>> };
}

/**
 * AQ6 Provenance per breakpoint row, for `civicstream rules check` and the one info line
 * logged at start: "pm25 0.0–12.4 → 0–50 corroborated" … A row without a recorded
 * provenance is reported as "unrecorded".
 */
export function provenanceLines(t: AqiTable): string[] {
  const lines: string[] = [];
  for (const p of ['pm25', 'pm10'] as const) {
    const bp = t.breakpoints[p];
    bp.rows.forEach(([cLo, cHi, iLo, iHi], i) => lines.push(`${p} ${cLo}–${cHi} → AQI ${iLo}–${iHi}: ${bp.provenance?.[i] ?? 'unrecorded'}`));
  }
  return lines;
}

/** AQ6 counts per provenance value, e.g. { corroborated: 4, 'not-corroborated': 10 }. */
export function provenanceSummary(t: AqiTable): Record<string, number> {
  const n: Record<string, number> = {};
  for (const p of ['pm25', 'pm10'] as const) {
    const bp = t.breakpoints[p];
    bp.rows.forEach((_r, i) => {
      const k = bp.provenance?.[i] ?? 'unrecorded';
      n[k] = (n[k] ?? 0) + 1;
    });
  }
  return n;
}

export const DEFAULT_AQI_TABLE_FILE = new URL('./moenv-2025.json', import.meta.url);

export function loadAqiTable(file: string | URL = DEFAULT_AQI_TABLE_FILE): AqiTable {
  const t = JSON.parse(readFileSync(file, 'utf8')) as AqiTable;
  if (!t.breakpoints?.pm25?.rows?.length || !t.bands?.length) throw new Error(`${String(file)}: not an AQI table (breakpoints.pm25.rows and bands required)`);
  return t;
}

export function subIndex(table: AqiTable, p: Pollutant, concentration: number): number {
  const bp = table.breakpoints[p];
  const f = 10 ** bp.decimals;
  const c = Math.floor(concentration * f + 1e-9) / f;
  for (const [cLo, cHi, iLo, iHi] of bp.rows) {
    if (c >= cLo && c <= cHi) return Math.round(((iHi - iLo) / (cHi - cLo)) * (c - cLo) + iLo);
  }
  return c < 0 ? 0 : 500;
}

export function bandOf(table: AqiTable, aqi: number): AqiBand {
  for (const b of table.bands) if (aqi <= b.max) return b;
  return table.bands[table.bands.length - 1]!;
}
