import type { FieldValue, Reading, Sensor } from '../../domain/index.ts';
import type { Evaluator, ThresholdLevel, ThresholdRule, Verdict } from '../types.ts';
import { extend, newStreak, reset, resolveRef, type Streak } from '../value-ref.ts';
import { scheduledOn } from './schedule.ts';

/**
 * Threshold with severity levels, a duration/count condition and hysteresis.
 *
 * TH1 Levels are kept most severe first; the raw level is the most severe one whose
 *     trigger holds (above: v ≥ t, below: v ≤ t, equals: v === match).
 * TH2 A rise to a more severe level takes effect once it has held for `for`
 *     (ms and/or count; ThingsBoard "> 100 for 10 min", "5 times in a row").
 * TH3 Hysteresis: the active level holds while the value has not crossed its `clear`
 *     threshold (default: the trigger). Stepping down — to a lower level or to clear —
 *     takes effect once the value stayed past it for `clearFor` (Grafana's recovery
 *     threshold + keep-firing-for; what Kapacitor users ask for).
 * TH4 With `schedule`, the rule only holds while the streetlight schedule is on/off
 *     (sensor.params.schedule, local +08:00 time); outside it the verdict is clear.
 */
export interface ThresholdState {
  /** Index into the sorted levels of the active level; levels.length = none. */
  current: number;
  readonly levels: readonly ResolvedLevel[];
  readonly rise: Streak;
  readonly fall: Streak;
}

interface ResolvedLevel {
  readonly level: ThresholdLevel;
  readonly trigger: number;
  readonly clear: number;
  readonly op: 'above' | 'below' | 'equals';
}

const RANK = { advisory: 1, warning: 2, critical: 3 } as const;

function resolveLevels(rule: ThresholdRule, sensor: Sensor): ResolvedLevel[] {
  const out = rule.levels.map((level): ResolvedLevel => {
    const op = level.equals !== undefined ? 'equals' : level.above !== undefined ? 'above' : 'below';
    const trigger = op === 'equals' ? 1 : resolveRef(op === 'above' ? level.above : level.below, sensor);
    const clear = level.clear === undefined ? trigger : resolveRef(level.clear, sensor);
    return { level, trigger, clear, op };
  });
  // A level whose parameter is missing for this sensor (NaN) can never hold: drop it.
  return out.filter((l) => !Number.isNaN(l.trigger)).sort((a, b) => RANK[b.level.severity] - RANK[a.level.severity] || (a.op === 'below' ? a.trigger - b.trigger : b.trigger - a.trigger));
}

function triggers(l: ResolvedLevel, v: FieldValue): boolean {
  if (l.op === 'equals') return v === l.level.equals;
  if (typeof v !== 'number') return false;
  return l.op === 'above' ? v >= l.trigger : v <= l.trigger;
}

function holds(l: ResolvedLevel, v: FieldValue): boolean {
  if (l.op === 'equals' || l.clear === l.trigger) return triggers(l, v);
  if (typeof v !== 'number') return false;
  return l.op === 'above' ? v > l.clear : v < l.clear;
}

function firstIndex(levels: readonly ResolvedLevel[], test: (l: ResolvedLevel) => boolean): number {
  for (let i = 0; i < levels.length; i++) if (test(levels[i]!)) return i;
  return levels.length;
}

export function thresholdVerdict(st: ThresholdState, rule: ThresholdRule, v: FieldValue): Verdict {
  const none = st.levels.length;
  const active = st.current < none ? st.levels[st.current]! : undefined;
  const shown = active ?? st.levels[none - 1];
  return {
    severity: active ? active.level.severity : null,
    field: rule.field,
    value: typeof v === 'number' ? v : active ? 1 : 0,
    threshold: shown?.trigger ?? Number.NaN,
    label: (shown?.level.label ?? rule.name),
  };
}

/** One step of TH1–TH3 for value v at ts; mutates st. */
export function stepThreshold(st: ThresholdState, rule: ThresholdRule, v: FieldValue, ts: number): void {
  const none = st.levels.length;
  const raw = firstIndex(st.levels, (l) => triggers(l, v));
  if (raw < st.current) {
    reset(st.fall);
    if (extend(st.rise, ts, rule.for)) {
      st.current = raw;
      reset(st.rise);
    }
    return;
  }
  reset(st.rise);
  if (st.current === none) return;
  const held = firstIndex(st.levels, (l) => holds(l, v));
  if (held <= st.current) return reset(st.fall);
  if (extend(st.fall, ts, rule.clearFor)) {
    st.current = held;
    reset(st.fall);
  }
}

export const threshold: Evaluator<ThresholdRule, ThresholdState> = {
  init(rule, sensor) {
    const levels = resolveLevels(rule, sensor);
    return { current: levels.length, levels, rise: newStreak(), fall: newStreak() };
  },
  onReading(st, r: Reading, rule, sensor) {
    let v = r.values[rule.field];
    if (v === undefined || st.levels.length === 0) return undefined;
    // TH4: outside the schedule window the condition cannot hold; feed a value that clears.
    if (rule.schedule !== undefined && scheduledOn(sensor, r.ts) !== (rule.schedule === 'on')) v = Number.NaN;
    stepThreshold(st, rule, v, r.ts);
    return thresholdVerdict(st, rule, v);
  },
};

/** After a restart the active level is the restored alert's severity (AE4: no re-open). */
export function restoreThreshold(st: ThresholdState, severity: string): void {
  const i = st.levels.findIndex((l) => l.level.severity === severity);
  if (i >= 0) st.current = i;
}
