import { kindOf, toTaipeiIso, type Sensor } from '../domain/index.ts';
import type { Values } from './models/index.ts';
import { Rng } from './rng.ts';

/**
 * Fault injection. The audit in MISSION ("most road flood sensors had never reported
 * a flood") is why sensor health matters: silent and stuck sensors are as important
 * to simulate as bad payloads.
 */
export interface FaultOptions {
  /** Probability per reading that the payload is malformed (bad JSON, wrong types, not JSON). */
  readonly malformedRate: number;
  /** Number of sensors that go silent after a few readings (connection stays up). */
  readonly silentSensors: number;
  /** Probability per reading of a spike (a jump far beyond the sensor's normal variation). */
  readonly spikeRate: number;
  /** Number of sensors that repeat their first reading forever. */
  readonly stuckSensors: number;
}

export interface FaultPlan {
  /** Sensor id → readings published before going silent. */
  readonly silentAfter: ReadonlyMap<string, number>;
  readonly stuck: ReadonlySet<string>;
}

/**
 * Chooses which sensors go silent and which get stuck (disjoint sets), from a
 * stream keyed only by the seed, over ids sorted so the plan ignores input order.
 */
export function planFaults(sensorIds: readonly string[], faults: FaultOptions, seed: number): FaultPlan {
  const rng = new Rng(seed, 'fault-plan');
  const order = rng.shuffled([...sensorIds].sort());
  const silentCount = Math.min(order.length, Math.max(0, Math.floor(faults.silentSensors)));
  const stuckCount = Math.min(order.length - silentCount, Math.max(0, Math.floor(faults.stuckSensors)));
  const silentAfter = new Map<string, number>();
  // A silent sensor first reports a little, so the pipeline knows it and must notice the silence
  // while the connection (and its keep-alives) stays up — the case ThingsBoard users hit.
  for (const id of order.slice(0, silentCount)) silentAfter.set(id, 1 + rng.int(3));
  const stuck = new Set(order.slice(silentCount, silentCount + stuckCount));
  return { silentAfter, stuck };
}

const MALFORMED_VARIANTS = ['truncated', 'wrongType', 'notJson'] as const;
export type MalformedVariant = (typeof MALFORMED_VARIANTS)[number];

/** A malformed telemetry payload built from a real reading, so it looks like a real firmware bug. */
export function malformedPayload(t: number, values: Values, rng: Rng): { variant: MalformedVariant; payload: string } {
  const variant = rng.pick(MALFORMED_VARIANTS);
  const body: Record<string, unknown> = { dateObserved: toTaipeiIso(t), ...values };
  switch (variant) {
    case 'truncated': {
      const json = JSON.stringify(body);
      return { variant, payload: json.slice(0, Math.max(1, Math.floor(json.length * rng.range(0.3, 0.9)))) };
    }
    case 'wrongType': {
      const names = Object.keys(values);
      const name = rng.pick(names);
      const v = values[name];
      // Numbers sent as strings with a unit glued on, strings sent as numbers.
      body[name] = typeof v === 'number' ? `${v} units` : 1;
      return { variant, payload: JSON.stringify(body) };
    }
    case 'notJson':
      return { variant, payload: Object.entries(values).map(([k, v]) => `${k}=${v}`).join(';') };
  }
}

/**
 * Replaces one numeric value with a spike that stays inside the kind's hard bounds, so it
 * is accepted, not dead-lettered. A field with a `spike` rate (QF1) jumps by 3–5 × the
 * change its rate allows over one reporting interval, so ingest flags the reading SPIKE.
 * Kinds without a rate get a fault only the alert rules see: parking swaps occupied and
 * available (the counts stay consistent with the total), a streetlight over-draws under
 * the 3 × rating check.
 */
export function applySpike(sensor: Sensor, values: Values, rng: Rng): Values {
  const out: Values = { ...values };
  const rated = kindOf(sensor.kind).fields.filter((f) => f.type === 'number' && f.spike !== undefined && typeof out[f.name] === 'number');
  if (rated.length > 0) {
    const spec = rng.pick(rated);
    const v = out[spec.name] as number;
    const jump = (spec.spike as number) * Math.max(1, sensor.intervalSeconds / 60) * rng.range(3, 5);
    const hi = spec.max ?? Infinity;
    const lo = spec.min ?? -Infinity;
    const spiked = v + jump <= hi ? v + jump : Math.max(lo, v - jump);
    out[spec.name] = Math.round(spiked * 100) / 100;
    return out;
  }
  if (sensor.kind === 'parking') {
    const capacity = sensor.params.capacity as number;
    const a = out.availableSpotNumber;
    if (typeof a === 'number') {
      out.availableSpotNumber = capacity - a;
      if (typeof out.occupiedSpotNumber === 'number') out.occupiedSpotNumber = a;
    }
    return out;
  }
  // A streetlight's telling spike is in its metered draw, not its dimming ratio.
  const numeric = kindOf(sensor.kind).fields.filter((f) => f.type === 'number' && typeof out[f.name] === 'number' && (sensor.kind !== 'streetlight' || f.name === 'powerConsumption'));
  if (numeric.length === 0) return out;
  const spec = rng.pick(numeric);
  const v = out[spec.name] as number;
  let spiked: number;
  if (sensor.kind === 'streetlight') spiked = (sensor.params.ratedPowerW as number) * rng.range(1.8, 2.8);
  else if (spec.name === 'temperature') spiked = v + rng.range(15, 25);
  else if (spec.name === 'relativeHumidity') spiked = rng.range(0, 5);
  else spiked = Math.max(v, 1) * rng.range(5, 15);
  const lo = spec.min ?? -Infinity;
  const hi = spec.max ?? Infinity;
  out[spec.name] = Math.round(Math.min(hi, Math.max(lo, spiked)) * 10) / 10;
  return out;
}
