import type { Evaluator, OutOfRangeRule } from '../types.ts';
import { extend, newStreak, reset, resolveRef, type Streak } from '../value-ref.ts';

/**
 * Out-of-range as a sensor-fault alert (OR1): a value below `min` or above `max`
 * (defaults: the rule's numbers or registry params) for `for` opens; the first value
 * back in range clears. Distinct from thresholds: it says "the sensor is wrong",
 * not "the river is high", and is routed to maintenance rather than responders.
 */
export interface RangeState {
  readonly min: number;
  readonly max: number;
  readonly streak: Streak;
  active: boolean;
}

export const outOfRange: Evaluator<OutOfRangeRule, RangeState> = {
  init(rule, sensor) {
    const min = resolveRef(rule.min, sensor);
    const max = resolveRef(rule.max, sensor);
    return { min: Number.isNaN(min) ? -Infinity : min, max: Number.isNaN(max) ? Infinity : max, streak: newStreak(), active: false };
  },
  onReading(st, r, rule) {
    const v = r.values[rule.field];
    if (typeof v !== 'number') return undefined;
    const out = v < st.min || v > st.max;
    if (!out) {
      reset(st.streak);
      st.active = false;
    } else if (extend(st.streak, r.ts, rule.for)) st.active = true;
    return { severity: st.active ? rule.severity : null, field: rule.field, value: v, threshold: v < st.min ? st.min : st.max, label: rule.label };
  },
};
