import type { Evaluator, StuckRule } from '../types.ts';

/**
 * Stuck / flatline (ST1): the identical value for `count` readings and/or `ms`
 * milliseconds opens a sensor-fault alert; any different value clears it. An audit of
 * Taiwan's road flood sensors found most had never reported a flood (MISSION), so a
 * sensor frozen at 0 cm is as important to catch as a flood.
 */
export interface StuckState {
  last: number | string | undefined;
  since: number;
  count: number;
}

export const stuck: Evaluator<StuckRule, StuckState> = {
  init() {
    return { last: undefined, since: 0, count: 0 };
  },
  onReading(st, r, rule) {
    const v = r.values[rule.field];
    if (v === undefined) return undefined;
    if (v === st.last) st.count++;
    else {
      st.last = v;
      st.since = r.ts;
      st.count = 1;
    }
    const byCount = rule.count === undefined || st.count >= rule.count;
    const byTime = rule.ms === undefined || r.ts - st.since >= rule.ms;
    const active = byCount && byTime && (rule.count !== undefined || rule.ms !== undefined);
    return { severity: active ? rule.severity : null, field: rule.field, value: typeof v === 'number' ? v : st.count, threshold: rule.count ?? rule.ms ?? 0, label: rule.label };
  },
};
