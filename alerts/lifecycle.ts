import type { AlertChange, LocalizedText, SensorKind } from '../domain/index.ts';
import { verdictMessage } from './messages.ts';
import type { EngineAlert, FlapPolicy, RuleType, Verdict } from './types.ts';
import { severityRank } from './value-ref.ts';

/**
 * One (subject, rule) slot: the alert lifecycle state machine.
 *
 * LC1 open → acknowledged → resolved; at most one non-resolved alert per slot (AE2).
 * LC2 A verdict with a severity opens an alert, or updates it when severity, threshold
 *     or the flapping mark changes; a rise in severity needs a new acknowledgement
 *     (acknowledged → open). Repeated identical verdicts emit nothing.
 * LC3 A clear verdict resolves (auto-resolve), unless the slot is flapping.
 * LC4 Flapping: more than flap.maxTransitions open/clear transitions inside
 *     flap.windowMs marks the alert flapping; it is then held open through clears and
 *     resolves only after the condition stayed clear for a whole windowMs (onTick).
 * LC5 Every emitted change carries a copy (later changes never mutate it, AE2).
 * LC6 An alert's times never go backwards: updatedAt and resolvedAt of every change are
 *     ≥ the previous change's updatedAt (≥ openedAt), whatever the event time of the
 *     verdict (buffered, out-of-order data, staff actions on the pipeline clock), so
 *     "latest updatedAt wins" in the store is the engine's latest state (AL8).
 * LC7 value and threshold are finite numbers: a verdict without a number (a schedule
 *     window that clears the rule, a missing parameter) keeps the previous one (AL8).
 */

/** AE3 Alert ids are deterministic and unique per opening: `${ruleId}:${subject}:${openedAt}`. */
export function alertId(ruleId: string, subject: string, openedAt: number): string {
  return `${ruleId}:${subject}:${openedAt}`;
}

const finite = (v: number, prev: number): number => (Number.isFinite(v) ? v : Number.isFinite(prev) ? prev : 0);
export interface Slot {
  readonly ruleId: string;
  readonly ruleType: RuleType;
  readonly subject: string;
  readonly kind: SensorKind;
  readonly district: string;
  readonly name: LocalizedText;
  alert: EngineAlert | undefined;
  /** Event times of recent open/clear transitions (LC4). */
  transitions: number[];
  /** While flapping and clear: since when (NaN otherwise). */
  clearSince: number;
  /** Last evaluated event time (AE4). */
  lastTs: number;
  lastVerdict: Verdict | undefined;
}

/**
 * The transitions of a slot that has none: one shared, frozen array (a fleet has a slot per
 * sensor and rule, nearly all without transitions; 880,000 empty arrays were 141 B per sensor
 * at 200,000 sensors, heap snapshot). A slot gets its own array at its first transition.
 */
export const NO_TRANSITIONS: number[] = Object.freeze([]) as unknown as number[];

export function newSlot(ruleId: string, ruleType: RuleType, subject: string, kind: SensorKind, district: string, name: LocalizedText): Slot {
  return { ruleId, ruleType, subject, kind, district, name, alert: undefined, transitions: NO_TRANSITIONS, clearSince: Number.NaN, lastTs: -Infinity, lastVerdict: undefined };
}

function noteTransition(slot: Slot, ts: number, flap: FlapPolicy): boolean {
  if (slot.transitions === NO_TRANSITIONS) slot.transitions = [];
  slot.transitions.push(ts);
  while (slot.transitions.length > 0 && slot.transitions[0]! <= ts - flap.windowMs) slot.transitions.shift();
  return slot.transitions.length > flap.maxTransitions;
}

function emit(slot: Slot, type: AlertChange['type'], alert: EngineAlert, out: AlertChange[]): void {
  slot.alert = type === 'resolved' ? undefined : alert;
  out.push({ type, alert: { ...alert } });
}

export function applyVerdict(slot: Slot, v: Verdict, ts: number, flap: FlapPolicy, out: AlertChange[]): void {
  slot.lastVerdict = v;
  const cur = slot.alert;
  if (v.severity !== null) {
    if (cur === undefined) {
      const flapping = noteTransition(slot, ts, flap);
      const alert: EngineAlert = {
        id: alertId(slot.ruleId, slot.subject, ts),
        ruleId: slot.ruleId,
        ruleType: slot.ruleType,
        subject: slot.subject,
        kind: slot.kind,
        district: slot.district,
        severity: v.severity,
        state: 'open',
        openedAt: ts,
        updatedAt: ts,
        field: v.field,
        value: finite(v.value, 0),
        threshold: finite(v.threshold, 0),
        message: verdictMessage(slot.name, v, false),
        ...(flapping ? { flapping: true } : {}),
        ...(v.trendPerHour !== undefined ? { trendPerHour: v.trendPerHour } : {}),
        ...(v.etaMinutes !== undefined ? { etaMinutes: v.etaMinutes } : {}),
      };
      return emit(slot, 'opened', alert, out);
    }
    // LC4: a held (flapping) alert that triggers again stays open; the re-trigger counts as a transition.
    if (!Number.isNaN(slot.clearSince)) noteTransition(slot, ts, flap);
    slot.clearSince = Number.NaN;
    if (v.severity === cur.severity && (v.threshold === cur.threshold || !Number.isFinite(v.threshold))) {
      // Same level: keep value/trend current for the API without emitting (LC2).
      cur.value = finite(v.value, cur.value);
      if (v.trendPerHour !== undefined) {
        cur.trendPerHour = v.trendPerHour;
        cur.message = verdictMessage(slot.name, v, false); // a trend rule's text names the current trend and ETA (FE3, RC4)
      }
      if (v.etaMinutes !== undefined) cur.etaMinutes = v.etaMinutes;
      else delete cur.etaMinutes; // FE3: no ETA once the level is passed or the trend reverses
      return;
    }
    const rising = severityRank(v.severity) > severityRank(cur.severity);
    const alert: EngineAlert = {
      ...cur,
      severity: v.severity,
      state: rising && cur.state === 'acknowledged' ? 'open' : cur.state,
      updatedAt: Math.max(ts, cur.updatedAt),
      field: v.field,
      value: finite(v.value, cur.value),
      threshold: finite(v.threshold, cur.threshold),
      message: verdictMessage(slot.name, v, false),
      ...(v.trendPerHour !== undefined ? { trendPerHour: v.trendPerHour } : {}),
      ...(v.etaMinutes !== undefined ? { etaMinutes: v.etaMinutes } : {}),
    };
    if (v.etaMinutes === undefined) delete alert.etaMinutes;
    if (rising && alert.state === 'open') {
      delete alert.acknowledgedBy;
      delete alert.acknowledgedAt;
    }
    return emit(slot, 'updated', alert, out);
  }
  if (cur === undefined || !Number.isNaN(slot.clearSince)) return;
  const flapping = noteTransition(slot, ts, flap) || cur.flapping === true;
  if (flapping) {
    slot.clearSince = ts;
    if (cur.flapping) return;
    return emit(slot, 'updated', { ...cur, flapping: true, updatedAt: Math.max(ts, cur.updatedAt) }, out);
  }
  resolve(slot, v, ts, out);
}

function resolve(slot: Slot, v: Verdict, ts: number, out: AlertChange[]): void {
  const cur = slot.alert!;
  const at = Math.max(ts, cur.updatedAt); // LC6
  const alert: EngineAlert = { ...cur, state: 'resolved', updatedAt: at, resolvedAt: at, value: finite(v.value, cur.value), message: verdictMessage(slot.name, { ...v, value: finite(v.value, cur.value) }, true) };
  slot.clearSince = Number.NaN;
  emit(slot, 'resolved', alert, out);
}

/** LC4: a flapping alert resolves after the condition stayed clear for a whole window. */
export function tickSlot(slot: Slot, nowMs: number, flap: FlapPolicy, out: AlertChange[]): void {
  if (slot.alert === undefined || Number.isNaN(slot.clearSince) || nowMs - slot.clearSince < flap.windowMs) return;
  const v = slot.lastVerdict ?? { severity: null, field: slot.alert.field, value: slot.alert.value, threshold: slot.alert.threshold, label: { 'zh-TW': '', en: '' } };
  resolve(slot, v, nowMs, out);
  slot.transitions = NO_TRANSITIONS;
}
