import type { FieldValue, Reading, Sensor, SensorKind } from '../../domain/index.ts';

/** Sensors built with the domain types and registry-shaped params (domain/kinds/*.ts paramsSchema). */
export const TAOYUAN = { code: '6800100', name: { 'zh-TW': '桃園區', en: 'Taoyuan District' } } as const;
export const ZHONGLI = { code: '6800200', name: { 'zh-TW': '中壢區', en: 'Zhongli District' } } as const;

function sensor(id: string, kind: SensorKind, district: Sensor['district'], params: Record<string, unknown>, zh: string, en: string): Sensor {
  return Object.freeze({
    id,
    kind,
    name: { 'zh-TW': zh, en },
    district,
    location: { lat: 24.99, lon: 121.31 },
    intervalSeconds: 60,
    params: Object.freeze(params),
    tags: [],
  });
}

export const airSensor = (id = 'aq-1', district: Sensor['district'] = TAOYUAN, pm25Threshold?: number): Sensor =>
  sensor(id, 'air-quality', district, { pollutants: ['pm25', 'pm10'], ...(pm25Threshold !== undefined ? { pm25Threshold } : {}) }, '桃園站微型感測器', 'Taoyuan micro-sensor');
export const riverSensor = (id = 'wl-river-1', district: Sensor['district'] = TAOYUAN): Sensor =>
  sensor(id, 'water-level', district, { station: 'river', warningLevels: { level3: 2, level2: 3, level1: 4 } }, '南崁溪橋', 'Nankan Creek Bridge');
export const roadFloodSensor = (id = 'wl-road-1', district: Sensor['district'] = ZHONGLI, floodThresholdCm = 10): Sensor =>
  sensor(id, 'water-level', district, { station: 'road-flood', floodThresholdCm }, '中正路地下道', 'Zhongzheng Rd underpass');
export const streetlightSensor = (id = 'sl-1', district: Sensor['district'] = ZHONGLI): Sensor =>
  sensor(id, 'streetlight', district, { schedule: { on: '18:00', off: '06:00' }, ratedPowerW: 120 }, '中央路燈 12 號', 'Zhongyang Rd lamp 12');
export const parkingSensor = (id = 'pk-1', district: Sensor['district'] = TAOYUAN, capacity = 200): Sensor =>
  sensor(id, 'parking', district, { capacity }, '桃園火車站停車場', 'Taoyuan Station car park');

let nextSeq = 1;

/** A validated reading as ingest hands it over; seq increases across the test file unless given. */
export function reading(s: Sensor, ts: number, values: Record<string, FieldValue>, seq = nextSeq++): Reading {
  return { seq, sensorId: s.id, kind: s.kind, district: s.district.code, ts, receivedAt: ts, flags: 0, values };
}

export const MIN = 60_000;
export const HOUR = 3_600_000;
/** 2026-11-22T00:00:00Z: an hour-aligned base so test windows are easy to read. */
export const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
