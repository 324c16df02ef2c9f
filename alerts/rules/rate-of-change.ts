import type { Evaluator, RateOfChangeRule, Verdict } from '../types.ts';
import { resolveRef } from '../value-ref.ts';

/**
 * Rate of change over a sliding window, with a time-to-threshold estimate.
 *
 * RC1 The change is value(now) − the oldest value inside [ts − windowMs, ts]; it needs a
 *     span of at least half the window, so two readings a minute apart cannot fake a
 *     "10-minute rise". Spans shorter than the window are scaled to it.
 * RC2 A positive `rise` triggers when the change ≥ rise; a negative one when ≤ rise.
 * RC3 While rising toward `etaTo` (e.g. warning level 1 of the station), the verdict
 *     carries minutes until the level is reached at the current rate — "warning level 1
 *     in about 25 minutes" (ANCHORS: "flood alerts that estimate time-to-threshold").
 * RC4 With `etaLevels` (levels 3, 2, 1 of a river station), the estimate goes to the
 *     highest level not yet reached (etaMinutes/etaLabel) and, when that is not the next
 *     one, also to the next level above the current value (etaNext): "warning level 2 in
 *     about 12 minutes, level 1 in about 40". A level passed is never named (FE3).
 * The window is a ring of (ts, value) bounded by the points that fit in it: O(1) amortised.
 */
export interface RateState {
  ts: number[];
  vs: number[];
  head: number;
  rise: number;
  etaTo: number;
  /** RC4 resolved levels, ascending, with their labels (empty without etaLevels). */
  etaAt: { at: number; label: RateOfChangeRule['label'] }[];
  active: boolean;
}

export const rateOfChange: Evaluator<RateOfChangeRule, RateState> = {
  init(rule, sensor) {
    const etaAt = (rule.etaLevels ?? []).map((l) => ({ at: resolveRef(l.at, sensor), label: l.label })).filter((l) => !Number.isNaN(l.at)).sort((a, b) => a.at - b.at);
    return { ts: [], vs: [], head: 0, rise: resolveRef(rule.rise, sensor), etaTo: resolveRef(rule.etaTo, sensor), etaAt, active: false };
  },
  onReading(st, r, rule) {
    const v = r.values[rule.field];
    if (typeof v !== 'number' || Number.isNaN(st.rise)) return undefined;
    st.ts.push(r.ts);
    st.vs.push(v);
    while (st.head < st.ts.length - 1 && st.ts[st.head]! < r.ts - rule.windowMs) st.head++;
    if (st.head > 64 && st.head * 2 > st.ts.length) {
      st.ts.splice(0, st.head);
      st.vs.splice(0, st.head);
      st.head = 0;
    }
    const span = r.ts - st.ts[st.head]!;
    if (span < rule.windowMs / 2) return verdict(st, rule, v, undefined);
    const change = ((v - st.vs[st.head]!) * rule.windowMs) / span;
    st.active = st.rise >= 0 ? change >= st.rise : change <= st.rise;
    return verdict(st, rule, v, change / rule.windowMs);
  },
};

function verdict(st: RateState, rule: RateOfChangeRule, v: number, perMs: number | undefined): Verdict {
  const base: Verdict = { severity: st.active ? rule.severity : null, field: rule.field, value: v, threshold: st.rise, label: rule.label };
  if (perMs === undefined) return base;
  const trendPerHour = perMs * 3_600_000;
  const minutes = (to: number) => Math.round((to - v) / perMs / 60_000);
  if (st.etaAt.length > 0) {
    // RC4: the highest level and, on the way, the next one above the value (levels passed are not named).
    const top = st.etaAt[st.etaAt.length - 1]!;
    if (!(perMs > 0) || v >= top.at) return { ...base, trendPerHour };
    const next = st.etaAt.find((l) => v < l.at)!;
    return { ...base, trendPerHour, etaMinutes: minutes(top.at), etaLabel: top.label, ...(next !== top ? { etaNext: { minutes: minutes(next.at), label: next.label } } : {}) };
  }
  let etaMinutes: number | undefined;
  if (!Number.isNaN(st.etaTo) && perMs > 0 && v < st.etaTo) etaMinutes = minutes(st.etaTo);
  return { ...base, trendPerHour, ...(etaMinutes !== undefined ? { etaMinutes, ...(rule.etaLabel ? { etaLabel: rule.etaLabel } : {}) } : {}) };
}
