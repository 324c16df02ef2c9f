import { KINDS, type Alert, type AlertChange, type FieldValue, type Reading, type Sensor, type ThresholdSpec } from '../domain/index.ts';
import { alertId, type AlertEngine } from './alert-engine.ts';
import { activeMessage, resolvedMessage } from './alert-messages.ts';
import { activeRule, groupRules, severityRank, type RuleGroup } from './threshold-groups.ts';

/** Per sensor, arrays indexed like `groups`; rebuilt when the registry hands out a new Sensor object. */
interface SensorState {
  readonly sensor: Sensor;
  readonly groups: readonly RuleGroup[];
  /** Event time of the last reading evaluated per group (AE4). */
  readonly lastTs: Float64Array;
  readonly alerts: (Alert | undefined)[];
  /** The rule behind each open alert: its severity, threshold and label. */
  readonly active: (ThresholdSpec | undefined)[];
}

/**
 * Threshold alerts from the kind descriptions' `thresholds(sensor)` (registry params),
 * grouped per rule A1 (threshold-groups.ts): one alert per (sensor, field, direction)
 * whose severity follows the most severe level that holds.
 *
 * A2  Opened when a level holds and no alert is open; 'updated' only when the active
 *     level changes (not on every reading: channels would be flooded every 1–10 min).
 *     A rise in severity puts an acknowledged alert back to 'open' (it needs a new ack).
 * A3  Resolved on the first evaluated reading where no level holds. No hysteresis here:
 *     the full alert engine adds it.
 * A4  Readings with ts ≤ the last evaluated ts of that (sensor, group) are ignored, so
 *     late, duplicate and replayed readings cannot flip state (AE4).
 * A5  Times are event times: openedAt / updatedAt / resolvedAt = reading.ts (AE1, AE3).
 * A6  `value` is the reading's value; for string conditions (lamp status) it is 1 while
 *     the condition holds and 0 when resolved, because Alert.value is numeric.
 */
export class BasicThresholdAlerts implements AlertEngine {
  private readonly states = new Map<string, SensorState>();
  /** Restored alerts not yet matched to a rule group (sensor not seen since restart, or rule gone). */
  private readonly pending = new Map<string, Alert[]>();

  restore(open: readonly Alert[]): void {
    for (const a of open) {
      if (a.state === 'resolved') continue;
      const st = this.states.get(a.subject);
      if (st === undefined || !attach(st, a)) this.keepPending(a);
    }
  }

  onReading(r: Reading, sensor: Sensor): AlertChange[] {
    const st = this.stateFor(sensor);
    const out: AlertChange[] = [];
    for (let i = 0; i < st.groups.length; i++) {
      const group = st.groups[i]!;
      const v = r.values[group.field];
      if (v === undefined) continue;
      if (r.ts <= st.lastTs[i]!) continue; // A4
      st.lastTs[i] = r.ts;
      const rule = activeRule(group, v);
      const cur = st.alerts[i];
      if (rule !== undefined && cur === undefined) {
        const alert: Alert = {
          id: alertId(group.id, sensor.id, r.ts),
          ruleId: group.id,
          subject: sensor.id,
          kind: sensor.kind,
          district: sensor.district.code,
          severity: rule.severity,
          state: 'open',
          openedAt: r.ts,
          updatedAt: r.ts,
          field: group.field,
          value: numeric(v, true),
          threshold: rule.threshold,
          message: activeMessage(sensor, rule, v),
        };
        this.set(st, i, alert, rule, 'opened', out);
      } else if (rule !== undefined && cur !== undefined && rule !== st.active[i]) {
        const rising = severityRank(rule.severity) > severityRank(cur.severity);
        const alert: Alert = {
          ...cur,
          severity: rule.severity,
          state: rising && cur.state === 'acknowledged' ? 'open' : cur.state,
          updatedAt: r.ts,
          value: numeric(v, true),
          threshold: rule.threshold,
          message: activeMessage(sensor, rule, v),
        };
        this.set(st, i, alert, rule, 'updated', out);
      } else if (rule === undefined && cur !== undefined) {
        const last = st.active[i] ?? group.rules[group.rules.length - 1]!;
        const alert: Alert = { ...cur, state: 'resolved', updatedAt: r.ts, resolvedAt: r.ts, value: numeric(v, false), message: resolvedMessage(sensor, last, v) };
        this.set(st, i, alert, undefined, 'resolved', out);
      }
    }
    return out;
  }

  onTick(_nowMs: number): AlertChange[] {
    return [];
  }

  open(): Alert[] {
    const list: Alert[] = [];
    for (const st of this.states.values()) for (const a of st.alerts) if (a !== undefined) list.push({ ...a });
    for (const alerts of this.pending.values()) for (const a of alerts) list.push({ ...a });
    return list;
  }

  /** Stores the new state and emits a copy, so no emitted alert is mutated later (AE2). */
  private set(st: SensorState, i: number, alert: Alert, rule: ThresholdSpec | undefined, type: AlertChange['type'], out: AlertChange[]): void {
    st.alerts[i] = type === 'resolved' ? undefined : alert;
    st.active[i] = rule;
    out.push({ type, alert: { ...alert } });
  }

  private stateFor(sensor: Sensor): SensorState {
    const prev = this.states.get(sensor.id);
    if (prev !== undefined && prev.sensor === sensor) return prev;
    const groups = groupRules(KINDS[sensor.kind].thresholds(sensor));
    const st: SensorState = {
      sensor,
      groups,
      lastTs: new Float64Array(groups.length).fill(-Infinity),
      alerts: new Array<Alert | undefined>(groups.length).fill(undefined),
      active: new Array<ThresholdSpec | undefined>(groups.length).fill(undefined),
    };
    // A registry reload hands out new Sensor objects: carry open alerts over by rule id.
    const carried = prev === undefined ? [] : prev.alerts.filter((a): a is Alert => a !== undefined);
    for (let i = 0; prev !== undefined && i < prev.groups.length; i++) {
      const j = groups.findIndex((g) => g.id === prev.groups[i]!.id);
      if (j >= 0) st.lastTs[j] = prev.lastTs[i]!;
    }
    const restored = this.pending.get(sensor.id) ?? [];
    this.pending.delete(sensor.id);
    for (const a of [...carried, ...restored]) if (!attach(st, a)) this.keepPending(a);
    this.states.set(sensor.id, st);
    return st;
  }

  private keepPending(a: Alert): void {
    const list = this.pending.get(a.subject);
    if (list) list.push(a);
    else this.pending.set(a.subject, [a]);
  }
}

/** Puts a restored alert in its group's slot; false when no group of this sensor has its rule id. */
function attach(st: SensorState, a: Alert): boolean {
  const i = st.groups.findIndex((g) => g.id === a.ruleId);
  if (i < 0) return false;
  const group = st.groups[i]!;
  st.alerts[i] = a;
  st.active[i] = group.rules.find((r) => r.severity === a.severity && r.threshold === a.threshold) ?? group.rules.find((r) => r.severity === a.severity);
  if (a.updatedAt > st.lastTs[i]!) st.lastTs[i] = a.updatedAt; // AE4
  return true;
}

function numeric(v: FieldValue, holding: boolean): number {
  if (typeof v === 'number') return v;
  return holding ? 1 : 0; // A6
}
