import type { FleetKind } from '../fleet.ts';

/**
 * Telemetry payloads per kind (topic/payload contract T1, FIWARE field names), built
 * as strings without JSON.stringify: the generator's core budget goes to sockets.
 * Values stay inside each kind's normal range, so background load never opens an
 * alert; only the probes' `floodHigh` payloads cross a threshold (10 cm, see fleet.ts).
 */
let seed = 0x9e3779b9;
/** xorshift32: deterministic and allocation-free. */
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4_294_967_296;
}

export function payloadFor(kind: FleetKind, ts: number, capacity = 200): Buffer {
  switch (kind) {
    case 'streetlight':
      return Buffer.from(`{"dateObserved":${ts},"powerState":"on","status":"ok","powerConsumption":${(90 + rnd() * 40).toFixed(1)}}`);
    case 'air-quality':
      return Buffer.from(`{"dateObserved":${ts},"pm25":${(5 + rnd() * 25).toFixed(1)},"pm10":${(10 + rnd() * 40).toFixed(1)}}`);
    case 'parking':
      return Buffer.from(`{"dateObserved":${ts},"occupiedSpotNumber":${Math.floor(rnd() * capacity * 0.9)}}`);
    case 'road-flood':
      return Buffer.from(`{"dateObserved":${ts},"floodDepth":${(rnd() * 3).toFixed(1)}}`);
    case 'river':
      return Buffer.from(`{"dateObserved":${ts},"currentLevel":${(2 + rnd() * 4).toFixed(2)}}`);
  }
}

/** A road-flood reading of 25 cm: above the 10 cm threshold, below the 30 cm critical level (rule water.road.flood). */
export function floodHigh(ts: number): Buffer {
  return Buffer.from(`{"dateObserved":${ts},"floodDepth":25}`);
}

export function telemetryTopic(kind: FleetKind, id: string): string {
  const k = kind === 'road-flood' || kind === 'river' ? 'water-level' : kind;
  return `sensors/${k}/${id}/telemetry`;
}
