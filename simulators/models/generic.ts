import { kindOf, type FieldSpec, type Sensor } from '../../domain/index.ts';
import { clamp, HOUR_MS } from './clock.ts';
import { ar1, type SensorModel, type Values } from './model.ts';

/**
 * The model of a kind whose description names none (`simulator.model` absent): every numeric
 * field wanders (AR(1), one-hour time constant) around the middle of its plausible range (or
 * its hard bounds, or 0–100), within a tenth of that range, clamped to it; a string field with
 * an enum reports its first value. Enough for a demo map and a feed; a kind with behaviour
 * worth showing gets its own model.
 */
interface Walk {
  readonly field: FieldSpec;
  readonly lo: number;
  readonly hi: number;
  x: number;
}

interface GenericState {
  readonly walks: Walk[];
  lastT: number;
}

function bounds(f: FieldSpec): [number, number] {
  if (f.plausible) return [f.plausible[0], f.plausible[1]];
  return [f.min ?? 0, f.max ?? (f.min ?? 0) + 100];
}

export const genericModel: SensorModel<GenericState> = {
  init(sensor: Sensor, rng, _weather, t) {
    const walks = kindOf(sensor.kind)
      .fields.filter((f) => f.type === 'number')
      .map((field): Walk => {
        const [lo, hi] = bounds(field);
        return { field, lo, hi, x: rng.normal() * 0.1 * (hi - lo) };
      });
    return { walks, lastT: t };
  },
  next(sensor: Sensor, t, rng, state) {
    const dt = t - state.lastT;
    state.lastT = t;
    const out: Values = {};
    for (const w of state.walks) {
      w.x = ar1(w.x, dt, HOUR_MS, 0.1 * (w.hi - w.lo), rng);
      out[w.field.name] = Math.round(clamp((w.lo + w.hi) / 2 + w.x, w.lo, w.hi) * 100) / 100;
    }
    for (const f of kindOf(sensor.kind).fields) if (f.type === 'string' && f.enum?.[0] !== undefined) out[f.name] = f.enum[0];
    return out;
  },
};
