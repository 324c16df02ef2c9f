import { clamp, HOUR_MS, inWindow, parseHhmm, round } from './clock.ts';
import type { SensorModel, Values } from './model.ts';
import { taipeiMinuteOfDay } from '../../domain/index.ts';

/**
 * Smart streetlight following its schedule (local time). Two failure modes the
 * pipeline must catch (MISSION "Streetlights"): a failed lamp — status defectiveLamp,
 * powerState on while scheduled, zero draw — and a stuck relay that keeps the lamp
 * burning in daylight. Dimmable lamps drop to "low" between 00:00 and 05:00, the
 * usual energy-saving programme of LED retrofits.
 */
export interface StreetlightState {
  on: number;
  off: number;
  dimmable: boolean;
  /** Driver efficiency spread: draw at full output relative to the rating. */
  drawFactor: number;
  failedUntil: number;
  stuckOnUntil: number;
  lastT: number;
}

/** Lamp failures per burning hour: high for an LED fleet, so a week-long demo shows a few. */
const FAILURE_PER_ON_HOUR = 1 / 600;
const STUCK_RELAY_PER_HOUR = 1 / 8000;
const DIM_FROM = 0;
const DIM_TO = 5 * 60;
const DIM_LEVEL = 0.5;

export const streetlightModel: SensorModel<StreetlightState> = {
  init(sensor, rng) {
    const schedule = sensor.params.schedule as { on: string; off: string };
    return {
      on: parseHhmm(schedule.on),
      off: parseHhmm(schedule.off),
      dimmable: rng.chance(0.5),
      drawFactor: rng.range(0.96, 1.06),
      failedUntil: 0,
      stuckOnUntil: 0,
      lastT: Number.NaN,
    };
  },

  next(sensor, t, rng, s) {
    const dtHours = Number.isNaN(s.lastT) ? sensor.intervalSeconds / 3600 : (t - s.lastT) / HOUR_MS;
    s.lastT = t;
    const minute = taipeiMinuteOfDay(t);
    const scheduled = inWindow(minute, s.on, s.off);
    const failed = t < s.failedUntil;
    // Failures strike burning lamps; repair crews take one to three days.
    if (!failed && scheduled && rng.chance(dtHours * FAILURE_PER_ON_HOUR)) s.failedUntil = t + rng.range(24, 72) * HOUR_MS;
    if (t >= s.stuckOnUntil && rng.chance(dtHours * STUCK_RELAY_PER_HOUR)) s.stuckOnUntil = t + rng.range(12, 48) * HOUR_MS;
    const defective = t < s.failedUntil;
    const burning = scheduled || t < s.stuckOnUntil;
    const rated = sensor.params.ratedPowerW as number;

    const values: Values = {};
    if (!burning) {
      values.powerState = 'off';
      values.illuminanceLevel = 0;
      values.powerConsumption = 0;
    } else {
      const dim = s.dimmable && scheduled && inWindow(minute, DIM_FROM, DIM_TO);
      const level = dim ? DIM_LEVEL : 1;
      values.powerState = dim ? 'low' : 'on';
      // The controller reports the level it commands; only the metered draw reveals a dead lamp.
      values.illuminanceLevel = level;
      const draw = rated * level * s.drawFactor * (1 + 0.01 * rng.normal());
      values.powerConsumption = defective ? 0 : round(clamp(draw, 0, rated * 1.2), 1);
    }
    values.status = defective ? 'defectiveLamp' : 'ok';
    return values;
  },
};
