import { TAIPEI_OFFSET_MS, isDrillSensor, type FieldValue, type LocalizedText, type Sensor } from '../domain/index.ts';

/**
 * Scripted alert scenarios (issue 3 §9) as data: which sensor reports what, and when
 * (offset from the scenario start). The simulator plays them over MQTT
 * (`civicstream simulate --scenario …`); the tests replay them through the engine with
 * the default rules on virtual time, so the shipped rules are checked against the demo
 * registry. Pure and deterministic: no randomness, no clock.
 *
 * SC1 (AL10) A scenario plays drill sensors (tag `drill`) when the registry has them,
 *     else the first sensors that fit. The background simulators never play a drill
 *     sensor, so a scenario's readings are the only ones of its sensors: they are not
 *     behind the fleet's newer readings (which the engine would skip, AE4), nor mixed
 *     with the fleet's values.
 */
export const SCENARIOS = ['flood', 'pollution-episode', 'streetlight-failure', 'parking-full', 'silent-sensor'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScriptedReading {
  readonly atMs: number;
  readonly sensorId: string;
  readonly values: Readonly<Record<string, FieldValue>>;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: LocalizedText;
  /** Local (+08:00) hour the scenario should start at for schedule-dependent rules, if any. */
  readonly startLocalHour?: number;
  readonly durationMs: number;
  readonly readings: readonly ScriptedReading[];
  /** Rule ids the default rules are expected to open. */
  readonly expect: readonly string[];
}

const MIN = 60_000;

function first(sensors: readonly Sensor[], f: (s: Sensor) => boolean, what: string): Sensor {
  const s = sensors.find(f);
  if (!s) throw new Error(`scenario needs a ${what} in the registry`);
  return s;
}

function every(s: Sensor, fromMs: number, toMs: number, values: (tMs: number) => Record<string, FieldValue>): ScriptedReading[] {
  const step = s.intervalSeconds * 1000;
  const out: ScriptedReading[] = [];
  for (let t = fromMs; t < toMs; t += step) out.push({ atMs: t, sensorId: s.id, values: values(t) });
  return out;
}

export function buildScenario(name: ScenarioName, registered: readonly Sensor[]): Scenario {
  const drills = registered.filter(isDrillSensor);
  const sensors = drills.length > 0 ? drills : registered; // SC1
  switch (name) {
    case 'flood': {
      // A cloudburst: the river climbs from below level 3 past level 1 in 90 minutes; road sensors flood.
      const river = first(sensors, (s) => s.params.station === 'river', 'river station');
      const w = river.params.warningLevels as { level3: number; level1: number };
      const start = w.level3 - 0.6;
      const rise = (w.level1 + 0.3 - start) / (90 * MIN);
      const roads = sensors.filter((s) => s.params.station === 'road-flood').slice(0, 3);
      const readings = [
        ...every(river, 0, 120 * MIN, (t) => ({ currentLevel: Math.round((start + rise * Math.min(t, 90 * MIN)) * 100) / 100 })),
        ...roads.flatMap((r) => every(r, 0, 120 * MIN, (t) => ({ floodDepth: t < 20 * MIN ? 0 : Math.min(60, Math.round(((t - 20 * MIN) / MIN) * 1.5)) }))),
      ];
      return { name, description: { 'zh-TW': '豪雨：河川水位升破一級警戒、道路淹水', en: 'Cloudburst: river passes warning level 1, roads flood' }, durationMs: 120 * MIN, readings, expect: ['water.river.warning', 'water.river.rise', 'water.road.flood'] };
    }
    case 'pollution-episode': {
      // 12 clean hours then 6 hours of heavy PM2.5: the moving average crosses into orange and red.
      const aq = first(sensors, (s) => s.kind === 'air-quality', 'air-quality sensor');
      const readings = every(aq, 0, 18 * 60 * MIN, (t) => (t < 12 * 60 * MIN ? { pm25: 8, pm10: 20 } : { pm25: 90, pm10: 120 }));
      return { name, description: { 'zh-TW': '空污事件：PM2.5 移動平均達橘色以上', en: 'Pollution episode: PM2.5 moving average reaches orange or worse' }, durationMs: 18 * 60 * MIN, readings, expect: ['air.aqi'] };
    }
    case 'streetlight-failure': {
      // After the lamp is scheduled on, it reports "on" but draws nothing.
      const lamp = first(sensors, (s) => s.kind === 'streetlight', 'streetlight');
      const readings = every(lamp, 0, 60 * MIN, () => ({ powerState: 'on', status: 'ok', powerConsumption: 0 }));
      return { name, description: { 'zh-TW': '路燈故障：排程開燈但無耗電', en: 'Streetlight failure: scheduled on but no power draw' }, startLocalHour: 20, durationMs: 60 * MIN, readings, expect: ['light.no-draw'] };
    }
    case 'parking-full': {
      const lot = first(sensors, (s) => s.kind === 'parking', 'parking lot');
      const cap = lot.params.capacity as number;
      const readings = every(lot, 0, 60 * MIN, (t) => {
        const occupied = Math.min(cap, Math.round(cap * 0.7 + (cap * 0.4 * t) / (45 * MIN)));
        return { totalSpotNumber: cap, occupiedSpotNumber: occupied, availableSpotNumber: cap - occupied };
      });
      return { name, description: { 'zh-TW': '停車場客滿', en: 'Parking lot fills up' }, durationMs: 60 * MIN, readings, expect: ['parking.full'] };
    }
    case 'silent-sensor': {
      // A road flood sensor stays connected but stops reporting after 10 minutes.
      // Not one of the flood scenario's three roads when there is a fourth: the two drills stay apart.
      const roads = sensors.filter((x) => x.params.station === 'road-flood');
      const s = roads[3] ?? first(sensors, (x) => x.params.station === 'road-flood', 'road flood sensor');
      const readings = every(s, 0, 10 * MIN, () => ({ floodDepth: 0 }));
      return { name, description: { 'zh-TW': '感測器沉默：連線仍在但不再回報', en: 'Silent sensor: connected but no longer reporting' }, durationMs: 10 * MIN + 4 * s.intervalSeconds * 1000, readings, expect: ['health.silent'] };
    }
  }
}

/** Epoch ms to start at so that `startLocalHour` (if any) is the local (+08:00) hour. */
export function scenarioStart(sc: Scenario, nowMs: number): number {
  if (sc.startLocalHour === undefined) return nowMs;
  const day = Math.floor((nowMs + TAIPEI_OFFSET_MS) / 86_400_000) * 86_400_000 - TAIPEI_OFFSET_MS;
  return day + sc.startLocalHour * 3_600_000;
}
