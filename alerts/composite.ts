import type { CompositeRule, EngineAlert, Verdict } from './types.ts';
import { severityRank } from './value-ref.ts';

/**
 * Composite rules (CP1–CP2), evaluated over the currently open alerts of other rules:
 * CP1 any / all: OR / AND of the listed rules for one sensor (subject = sensor id).
 * CP2 count: at least `min` distinct sensors of one district with an open alert of any
 *     listed rule (subject = "district:{code}"), e.g. 3 road flood sensors above 10 cm.
 * CP3 a count never mixes drill sensors (AL10) with real ones: `counts` says which open
 *     alerts belong to the subject's group (the engine keeps drills in "district:{code}:drill").
 * Only alerts at or above minSeverity count. Pure: `openOf` lists open alerts by rule.
 */
export function evaluateComposite(
  rule: CompositeRule,
  subject: string,
  district: string,
  openOf: (ruleId: string) => Iterable<EngineAlert>,
  counts: (a: EngineAlert) => boolean = () => true,
): Verdict {
  const min = severityRank(rule.minSeverity ?? 'advisory');
  let value: number;
  let threshold: number;
  let holds: boolean;
  if (rule.op === 'count') {
    const sensors = new Set<string>();
    for (const id of rule.rules) for (const a of openOf(id)) if (a.district === district && severityRank(a.severity) >= min && counts(a)) sensors.add(a.subject);
    value = sensors.size;
    threshold = rule.min ?? 1;
    holds = value >= threshold;
  } else {
    let n = 0;
    for (const id of rule.rules) {
      for (const a of openOf(id)) {
        if (a.subject === subject && severityRank(a.severity) >= min) {
          n++;
          break;
        }
      }
    }
    value = n;
    threshold = rule.op === 'all' ? rule.rules.length : 1;
    holds = n >= threshold;
  }
  return { severity: holds ? rule.severity : null, field: rule.op, value, threshold, label: rule.label };
}
