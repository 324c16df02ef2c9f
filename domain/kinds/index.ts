import type { KindDescription } from '../kind.ts';
import type { SensorKind } from '../types.ts';
import { airQuality } from './air-quality.ts';
import { parking } from './parking.ts';
import { streetlight } from './streetlight.ts';
import { waterLevel } from './water-level.ts';

/** The sensor kinds this build knows. A fifth kind is one more description here (and a SensorKind literal). */
export const KINDS: Readonly<Record<SensorKind, KindDescription>> = Object.freeze({
  'air-quality': airQuality,
  'water-level': waterLevel,
  streetlight,
  parking,
});

export const KIND_NAMES = Object.keys(KINDS) as SensorKind[];

export function isSensorKind(s: string): s is SensorKind {
  return Object.prototype.hasOwnProperty.call(KINDS, s);
}
