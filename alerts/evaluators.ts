import type { AqiTable } from './aqi/table.ts';
import { createAqiEvaluator } from './rules/aqi.ts';
import { freshness, offline, type FreshState } from './rules/freshness.ts';
import { outOfRange } from './rules/out-of-range.ts';
import { rateOfChange } from './rules/rate-of-change.ts';
import { stuck, type StuckState } from './rules/stuck.ts';
import { restoreThreshold, threshold, type ThresholdState } from './rules/threshold.ts';
import type { EngineAlert, Evaluator, RuleConfig, RuleType } from './types.ts';

/**
 * The rule-type table: one pure evaluator per type (rules/*.ts), plus how each one
 * takes back an alert restored after a restart (AE4: no re-open, no spurious resolve).
 */
export type AnyEvaluator = Evaluator<any, any> & { restore?(state: any, alert: EngineAlert, rule: any): void };

const markActive = (st: { active: boolean }): void => {
  st.active = true;
};

export function evaluatorTable(aqi: AqiTable | undefined): Partial<Record<RuleType, AnyEvaluator>> {
  return {
    threshold: { ...threshold, restore: (st: ThresholdState, a: EngineAlert) => restoreThreshold(st, a.severity) },
    'rate-of-change': { ...rateOfChange, restore: markActive },
    'out-of-range': { ...outOfRange, restore: markActive },
    stuck: {
      ...stuck,
      restore: (st: StuckState, a: EngineAlert, rule: RuleConfig & { count?: number }) => {
        st.last = a.value;
        st.since = a.openedAt;
        st.count = rule.count ?? 1;
      },
    },
    // A silent alert's value is the minutes of silence at opening: the last reading was then.
    freshness: { ...freshness, restore: (st: FreshState, a: EngineAlert) => Object.assign(st, { active: true, lastTs: a.openedAt - a.value * 60_000 }) },
    offline: { ...offline, restore: markActive },
    ...(aqi ? { aqi: { ...createAqiEvaluator(aqi), restore: (st: { aqi: number }, a: EngineAlert) => void (st.aqi = a.value) } } : {}),
  };
}
