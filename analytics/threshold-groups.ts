import type { FieldValue, Severity, ThresholdSpec } from '../domain/index.ts';

/**
 * Alert rule A1: one alert per (sensor, field, direction), not one per threshold rule.
 *
 * Threshold rules on the same field and direction are levels of one hazard — the river
 * warning levels 3/2/1 (三級/二級/一級警戒) are the case in point. As one alert whose
 * severity rises and falls, an operator acknowledges one incident instead of three,
 * escalation follows the severity of that one alert, and "resolved" means the river is
 * below every level. (ThingsBoard models alarms the same way: unique per originator
 * and type, with a changing severity.) The group's rule id is the rule id when a group
 * has a single rule, else the rules' common dotted prefix plus the field, e.g.
 * basic.water.level3/2/1 → "basic.water.currentLevel". 'equals' rules each stay alone.
 */
export interface RuleGroup {
  readonly id: string;
  readonly field: string;
  /** Most severe first; among equal severities the most extreme threshold first. */
  readonly rules: readonly ThresholdSpec[];
}

const RANK: Readonly<Record<Severity, number>> = { advisory: 1, warning: 2, critical: 3 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** True when the rule's condition holds for `value` (ThresholdSpec semantics in domain/kind.ts). */
export function holds(rule: ThresholdSpec, value: FieldValue): boolean {
  if (rule.op === 'equals') return rule.match !== undefined ? value === rule.match : value === rule.threshold;
  if (typeof value !== 'number') return false;
  return rule.op === 'above' ? value >= rule.threshold : value <= rule.threshold;
}

/** The most severe rule of the group that holds, or undefined. */
export function activeRule(group: RuleGroup, value: FieldValue): ThresholdSpec | undefined {
  for (const rule of group.rules) if (holds(rule, value)) return rule;
  return undefined;
}

function commonPrefix(ids: readonly string[]): string {
  const parts = ids.map((id) => id.split('.'));
  const first = parts[0] ?? [];
  let n = 0;
  while (n < first.length && parts.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n).join('.');
}

function compareRules(a: ThresholdSpec, b: ThresholdSpec): number {
  const bySeverity = RANK[b.severity] - RANK[a.severity];
  if (bySeverity !== 0) return bySeverity;
  return a.op === 'below' ? a.threshold - b.threshold : b.threshold - a.threshold;
}

export function groupRules(specs: readonly ThresholdSpec[]): RuleGroup[] {
  const buckets = new Map<string, ThresholdSpec[]>();
  for (const spec of specs) {
    const key = spec.op === 'equals' ? `=${spec.ruleId}` : `${spec.op}\u0000${spec.field}`;
    const bucket = buckets.get(key);
    if (bucket) bucket.push(spec);
    else buckets.set(key, [spec]);
  }
  const groups: RuleGroup[] = [];
  for (const rules of buckets.values()) {
    const first = rules[0]!;
    let id = first.ruleId;
    if (rules.length > 1) {
      const prefix = commonPrefix(rules.map((r) => r.ruleId));
      id = prefix ? `${prefix}.${first.field}` : first.field;
      // Two directions on one field (a "too low" and a "too high" group) must not share an id.
      if (first.op === 'below') id += '.low';
    }
    groups.push({ id, field: first.field, rules: Object.freeze([...rules].sort(compareRules)) });
  }
  return groups;
}
