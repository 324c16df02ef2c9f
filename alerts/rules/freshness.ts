import { isDrillSensor } from '../../domain/index.ts';
import type { Evaluator, FreshnessRule, OfflineRule, Verdict } from '../types.ts';

/**
 * Two separate health checks (ANCHORS "where none of them is good" #1):
 *
 * FR1 freshness: no reading for factor × the sensor's intervalSeconds → "silent sensor",
 *     whether or not its MQTT connection is alive (ThingsBoard users' complaint: a
 *     keep-alive made a silent sensor look healthy). Evaluated on the clock tick; a
 *     sensor never heard from since start is measured from the first tick.
 *     FR3 (AL6) silence is measured on the pipeline's clock: a reading counts when it was
 *     received (`receivedAt`), not by its device time, so back-filled buffered readings
 *     end a silence once instead of reopening it at every tick.
 *     FR4 (AL10) a drill sensor (tag `drill`) reports only during a scripted scenario: it
 *     is not silent before its first reading (then it is watched like any other).
 * FR2 offline: the connection is down (Last Will / disconnect) for at least graceMs;
 *     a reconnect clears. Driven by broker connection events, not by readings.
 */
export interface FreshState {
  lastTs: number;
  active: boolean;
}

function silentVerdict(st: FreshState, rule: FreshnessRule, limitMs: number, nowMs: number): Verdict {
  return { severity: st.active ? rule.severity : null, field: 'lastSeen', value: Math.round((nowMs - st.lastTs) / 60_000), threshold: Math.round(limitMs / 60_000), label: rule.label };
}

export const freshness: Evaluator<FreshnessRule, FreshState> = {
  init() {
    return { lastTs: Number.NaN, active: false };
  },
  onReading(st, r, rule, sensor) {
    const at = Number.isFinite(r.receivedAt) ? r.receivedAt : r.ts; // FR3
    if (at > st.lastTs || Number.isNaN(st.lastTs)) st.lastTs = at;
    if (!st.active) return undefined;
    st.active = false;
    return silentVerdict(st, rule, rule.factor * sensor.intervalSeconds * 1000, at);
  },
  onTick(st, nowMs, rule, sensor) {
    if (Number.isNaN(st.lastTs)) {
      if (isDrillSensor(sensor)) return undefined; // FR4
      st.lastTs = nowMs;
    }
    const limit = rule.factor * sensor.intervalSeconds * 1000;
    const silent = nowMs - st.lastTs > limit;
    if (silent === st.active) return undefined;
    st.active = silent;
    return silentVerdict(st, rule, limit, nowMs);
  },
};

export interface OfflineState {
  downSince: number;
  active: boolean;
}

export const offline: Evaluator<OfflineRule, OfflineState> & {
  onConnection(st: OfflineState, connected: boolean, ts: number, rule: OfflineRule): Verdict | undefined;
} = {
  init() {
    return { downSince: Number.NaN, active: false };
  },
  onConnection(st, connected, ts, rule) {
    if (!connected) {
      if (Number.isNaN(st.downSince)) st.downSince = ts;
      return undefined;
    }
    st.downSince = Number.NaN;
    if (!st.active) return undefined;
    st.active = false;
    return { severity: null, field: 'connection', value: 1, threshold: 0, label: rule.label };
  },
  onTick(st, nowMs, rule) {
    if (st.active || Number.isNaN(st.downSince) || nowMs - st.downSince < rule.graceMs) return undefined;
    st.active = true;
    return { severity: rule.severity, field: 'connection', value: 0, threshold: 0, label: rule.label };
  },
};
