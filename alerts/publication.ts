import { DRILL_GROUP_SUFFIX, isDrillSensor, type Alert, type Sensor } from '../domain/index.ts';
import type { ConfigurableAlertEngine } from './engine.ts';
import type { RuleConfig } from './types.ts';

export type CapStatusName = NonNullable<RuleConfig['capStatus']>;

/**
 * AL9 The publication facts of an alert, from its rule in force: whether the rule is marked
 * `public` (opt-in) and its CAP status (Actual unless the rule says Exercise, Test, System or
 * Draft). An alert on a drill sensor (AL10, tag `drill`) or on a composite group of drill
 * sensors (CP3, "district:{code}:drill") is an Exercise whatever its rule says, so a scenario's flood never reaches a public feed as a real one. The staff list shows
 * both on every alert; the public outputs admit an alert only when it is public AND Actual (the
 * open-data gate, exporter/open-data/cap/visibility.ts). One function, so the composition root
 * and the tests cannot disagree about it.
 */
export function publication(engine: Pick<ConfigurableAlertEngine, 'ruleConfig'>, sensorOf: (id: string) => Pick<Sensor, 'tags'> | undefined = () => undefined) {
  type Subject = Pick<Alert, 'ruleId' | 'subject'>;
  const rule = (a: Pick<Alert, 'ruleId'>) => engine.ruleConfig(a.ruleId);
  const status = (a: Subject): CapStatusName => {
    const sensor = sensorOf(a.subject);
    const drill = a.subject.endsWith(DRILL_GROUP_SUFFIX) || (sensor !== undefined && isDrillSensor(sensor)); // AL10, CP3
    return drill ? 'Exercise' : (rule(a)?.capStatus ?? 'Actual');
  };
  return {
    isPublic: (a: Pick<Alert, 'ruleId'>): boolean => rule(a)?.public === true,
    status,
    /** The rule's CAP content (expiry, instruction, event codes, contact), OD-A2. */
    profile: (a: Pick<Alert, 'ruleId'>) => rule(a)?.cap,
    meta: (a: Subject) => ({ public: rule(a)?.public === true, capStatus: status(a) }),
  };
}
