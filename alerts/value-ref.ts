import type { Sensor, Severity } from '../domain/index.ts';
import type { Persistence, Target, ValueRef } from './types.ts';

/**
 * Small pure helpers every rule type shares: resolving parameter references against
 * the registry, target matching, severity order and the duration/count condition.
 */

/** Resolves `{ param: 'warningLevels.level1', factor }` against sensor.params; NaN when absent. */
export function resolveRef(ref: ValueRef | undefined, sensor: Sensor): number {
  if (ref === undefined) return Number.NaN;
  if (typeof ref === 'number') return ref;
  const v = param(sensor, ref.param);
  if (v === undefined) return Number.NaN;
  const factor = (ref.factorParam !== undefined ? param(sensor, ref.factorParam) : undefined) ?? ref.factor ?? 1;
  return v * factor + (ref.offset ?? 0);
}

function param(sensor: Sensor, dotted: string): number | undefined {
  let v: unknown = sensor.params;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === 'number' ? v : undefined;
}

export function matchesTarget(t: Target, s: Sensor): boolean {
  if (t.kinds && !t.kinds.includes(s.kind)) return false;
  if (t.districts && !t.districts.includes(s.district.code)) return false;
  if (t.ids && !t.ids.includes(s.id)) return false;
  if (t.tags && !t.tags.some((tag) => s.tags.includes(tag))) return false;
  if (t.params) for (const [k, v] of Object.entries(t.params)) if (s.params[k] !== v) return false;
  return true;
}

const RANK: Readonly<Record<Severity, number>> = { advisory: 1, warning: 2, critical: 3 };
export const severityRank = (s: Severity | null): number => (s === null ? 0 : RANK[s]);

/** Duration/count tracker: "held since `since` for `count` readings". */
export interface Streak {
  since: number;
  count: number;
}

export function newStreak(): Streak {
  return { since: Number.NaN, count: 0 };
}

/** Extends (or starts) the streak at ts; returns true once the persistence condition holds. */
export function extend(streak: Streak, ts: number, p: Persistence | undefined): boolean {
  if (streak.count === 0) streak.since = ts;
  streak.count++;
  return satisfied(streak, ts, p);
}

export function satisfied(streak: Streak, ts: number, p: Persistence | undefined): boolean {
  if (streak.count === 0) return false;
  if (p?.count !== undefined && streak.count < p.count) return false;
  if (p?.ms !== undefined && ts - streak.since < p.ms) return false;
  return true;
}

export function reset(streak: Streak): void {
  streak.count = 0;
  streak.since = Number.NaN;
}
