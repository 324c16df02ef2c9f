import { perKind, QualityFlag, type FieldValue, type SensorKind } from '../domain/index.ts';

/**
 * SPIKE and STUCK flags from the kind descriptions' per-field `spike` and `stuck`
 * parameters (README "Quality flags"). "Consecutive" means in the order ingest accepts a
 * sensor's readings (journal order), whatever their device times.
 *
 * QF1 SPIKE: a numeric field with `spike` = r (per minute) is flagged when
 *     |v − ref| > r × max(1, |t − tRef| / 1 min), where (ref, tRef) is the value and time
 *     of the sensor's latest reading of that field that was not itself a spike of it. A
 *     spike is not the reference, so a lone outlier flags only itself, not the return to
 *     normal; a real level shift stops being flagged once the allowance, which grows with
 *     the time since the reference, covers it. The sensor's first reading of the field
 *     is the first reference.
 * QF2 STUCK: a numeric field with `stuck` = { count, ignore } is flagged when it carries
 *     the same value as in the sensor's previous `count − 1` readings of that field (this
 *     one the count-th or later), unless the value is `ignore`. An exact re-send of the
 *     previous reading (same time, same value) does not lengthen the run.
 * QF3 The flags are information: the reading is stored, aggregated and evaluated by the
 *     alert rules as any other. One state record per sensor (allocated at its first
 *     reading, a few typed arrays), O(fields with parameters) per reading, no timers and
 *     no allocation per reading. The state lives in memory: after a restart each sensor's
 *     first reading starts a fresh reference and run.
 */

interface Tracked {
  readonly name: string;
  /** Allowed change per millisecond (NaN: no SPIKE check). */
  readonly spikePerMs: number;
  /** Run length that flags STUCK (0: no STUCK check). */
  readonly stuckCount: number;
  /** A value that may repeat without being STUCK (NaN: none). */
  readonly stuckIgnore: number;
}

const MINUTE_MS = 60_000;

const TRACKED = perKind((d): readonly Tracked[] =>
  d.fields
    .filter((f) => f.type === 'number' && (f.spike !== undefined || f.stuck !== undefined))
    .map((f): Tracked => ({ name: f.name, spikePerMs: f.spike !== undefined ? f.spike / MINUTE_MS : Number.NaN, stuckCount: f.stuck?.count ?? 0, stuckIgnore: f.stuck?.ignore ?? Number.NaN })),
);

/**
 * Per-sensor state: one Float64Array, five slots per tracked field (index-aligned with the
 * kind's tracked fields). One array instead of five cut ≈ 400 B per sensor (a typed array,
 * its ArrayBuffer and a malloc'd backing store each; heap snapshot at 200,000 sensors).
 */
export interface QualityTrack {
  readonly kind: SensorKind;
  /** Per field i, at i × STRIDE: QF1 reference value, its time (NaN: none yet); QF2 previous value, its time, its run length. */
  readonly s: Float64Array;
}

const STRIDE = 5;
const REF = 0;
const REF_TS = 1;
const LAST = 2;
const LAST_TS = 3;
const RUN = 4;

/** The state for a sensor of `kind`, or undefined when the kind has no field with parameters. */
export function newQualityTrack(kind: SensorKind): QualityTrack | undefined {
  const n = TRACKED(kind).length;
  if (n === 0) return undefined;
  const s = new Float64Array(n * STRIDE);
  for (let i = 0; i < n; i++) s[i * STRIDE + REF_TS] = s[i * STRIDE + LAST_TS] = Number.NaN;
  return { kind, s };
}

/** QF1/QF2: the SPIKE and STUCK bits of a reading at `ts`; advances the sensor's state. */
export function spikeStuckFlags(track: QualityTrack, values: Readonly<Record<string, FieldValue>>, ts: number): number {
  const fields = TRACKED(track.kind);
  const s = track.s;
  let flags = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = values[f.name];
    if (typeof v !== 'number') continue;
    const o = i * STRIDE;
    if (!Number.isNaN(f.spikePerMs)) {
      const refTs = s[o + REF_TS]!;
      if (!Number.isNaN(refTs) && Math.abs(v - s[o + REF]!) > f.spikePerMs * Math.max(MINUTE_MS, Math.abs(ts - refTs))) flags |= QualityFlag.SPIKE;
      else {
        s[o + REF] = v;
        s[o + REF_TS] = ts;
      }
    }
    if (f.stuckCount > 0) {
      const resend = ts === s[o + LAST_TS] && v === s[o + LAST];
      if (!resend) {
        s[o + RUN] = !Number.isNaN(s[o + LAST_TS]!) && v === s[o + LAST] ? s[o + RUN]! + 1 : 1;
        s[o + LAST] = v;
        s[o + LAST_TS] = ts;
      }
      if (s[o + RUN]! >= f.stuckCount && v !== f.stuckIgnore) flags |= QualityFlag.STUCK;
    }
  }
  return flags;
}

/** The kind's fields with SPIKE/STUCK parameters (documentation and tests). */
export function trackedFields(kind: SensorKind): readonly string[] {
  return TRACKED(kind).map((f) => f.name);
}
