import type { Alert } from '../domain/index.ts';
import type { ConfigurableAlertEngine } from './engine.ts';
import type { RuleConfig } from './types.ts';

export type CapStatusName = NonNullable<RuleConfig['capStatus']>;

/**
 * AL9 The publication facts of an alert, from its rule in force: whether the rule is marked
 * `public` (opt-in) and its CAP status (Actual unless the rule says Exercise, Test, System or
 * Draft). The staff list shows both on every alert; the public outputs admit an alert only when
 * it is public AND Actual (the open-data gate, exporter/open-data/cap/visibility.ts). One
 * function, so the composition root and the tests cannot disagree about it.
 */
export function publication(engine: Pick<ConfigurableAlertEngine, 'ruleConfig'>) {
  const rule = (a: Pick<Alert, 'ruleId'>) => engine.ruleConfig(a.ruleId);
  return {
    isPublic: (a: Pick<Alert, 'ruleId'>): boolean => rule(a)?.public === true,
    status: (a: Pick<Alert, 'ruleId'>): CapStatusName => rule(a)?.capStatus ?? 'Actual',
    /** The rule's CAP content (expiry, instruction, event codes, contact), OD-A2. */
    profile: (a: Pick<Alert, 'ruleId'>) => rule(a)?.cap,
    meta: (a: Pick<Alert, 'ruleId'>) => ({ public: rule(a)?.public === true, capStatus: rule(a)?.capStatus ?? 'Actual' }),
  };
}
