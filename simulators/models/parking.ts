import { bell, clamp, isWeekend, localHours, localWeekday, MINUTE_MS } from './clock.ts';
import { ar1, type SensorModel, type Values } from './model.ts';

/**
 * Public parking lot occupancy following the users of the lot, chosen by tag:
 * commuter (railway stations: fills before 09:00, empties after 18:00),
 * office (city hall: office hours on weekdays only), hsr (high-speed-rail station:
 * long stays, busier Fridays and Sundays), leisure (arts district: evenings, weekends).
 * A quarter of the lots report only availableSpotNumber, as many lot counters do,
 * which exercises the pipeline's derivation of the other counts.
 */
type Profile = 'commuter' | 'office' | 'hsr' | 'leisure';

export interface ParkingState {
  profile: Profile;
  availableOnly: boolean;
  noise: number;
  lastT: number;
}

function sig(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** ≈1 between hours `up` and `down`, with transitions `w` hours wide. */
function window(h: number, up: number, down: number, w: number): number {
  return sig((h - up) / w) * sig((down - h) / w);
}

/** Target occupancy ratio 0–1 for a profile at time t. */
export function targetOccupancy(profile: Profile, t: number): number {
  const h = localHours(t);
  const weekend = isWeekend(t);
  switch (profile) {
    case 'commuter':
      return weekend ? 0.15 + 0.45 * window(h, 9.5, 20, 1) : 0.12 + 0.83 * window(h, 7.6, 18.6, 0.45);
    case 'office':
      return weekend ? 0.05 + 0.15 * window(h, 10, 17, 1) : 0.06 + 0.86 * window(h, 8.3, 17.8, 0.35);
    case 'hsr': {
      const day = localWeekday(t);
      const travelPeak = day === 5 || day === 0 ? 0.08 : 0;
      return 0.35 + (0.5 + travelPeak) * window(h, 7.5, 21, 0.8);
    }
    case 'leisure':
      return weekend
        ? 0.15 + 0.55 * window(h, 10.5, 22.5, 1) + 0.28 * bell(h, 19, 2.5)
        : 0.1 + 0.35 * window(h, 11, 22, 1) + 0.45 * bell(h, 19.5, 1.6);
  }
}

function profileOf(tags: readonly string[]): Profile {
  for (const p of ['commuter', 'office', 'hsr', 'leisure'] as const) if (tags.includes(p)) return p;
  return 'commuter';
}

export const parkingModel: SensorModel<ParkingState> = {
  init(sensor, rng) {
    return { profile: profileOf(sensor.tags), availableOnly: rng.chance(0.25), noise: 0, lastT: Number.NaN };
  },
  next(sensor, t, rng, s) {
    const dt = Number.isNaN(s.lastT) ? sensor.intervalSeconds * 1000 : t - s.lastT;
    s.lastT = t;
    s.noise = ar1(s.noise, dt, 40 * MINUTE_MS, 0.035, rng);
    const capacity = sensor.params.capacity as number;
    const occupied = Math.round(capacity * clamp(targetOccupancy(s.profile, t) + s.noise, 0, 1));
    const available = capacity - occupied;
    const values: Values = s.availableOnly
      ? { availableSpotNumber: available }
      : { totalSpotNumber: capacity, occupiedSpotNumber: occupied, availableSpotNumber: available };
    return values;
  },
};
