import { stringify } from 'yaml';
import { parseRules } from '../../alerts/config/load.ts';
import type { RuleConfig, RuleSet } from '../../alerts/types.ts';

/** Builds a validated RuleSet from plain rule objects, through the real YAML loader. */
export function ruleSet(rules: Record<string, unknown>[], flap?: { maxTransitions: number; windowMinutes: number }): RuleSet {
  const doc = { version: 1, ...(flap ? { flap } : {}), rules: rules.map((r) => ({ name: { 'zh-TW': String(r.id), en: String(r.id) }, ...r })) };
  return parseRules([{ file: 'test.yaml', text: stringify(doc) }]);
}

export function oneRule<T extends RuleConfig['type']>(r: Record<string, unknown> & { type: T }): Extract<RuleConfig, { type: T }> {
  return ruleSet([r]).rules[0] as Extract<RuleConfig, { type: T }>;
}

export const L = (s: string) => ({ 'zh-TW': s, en: s });
