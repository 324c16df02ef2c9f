import { Type } from '@sinclair/typebox';
import type { KindDescription, ThresholdSpec } from '../kind.ts';

const ppmToPpb = { factor: 1000 } as const;
const mgToUg = { factor: 1000 } as const;
/**
 * QF1/QF2 parameters. A micro-sensor's minute mean of PM2.5 can climb fast near a fire or
 * fireworks, but not by more than ~50 µg/m³ a minute (PM10, coarser and dustier, ~100);
 * a low-cost counter reporting to 0.1 µg/m³ does not repeat one value for an hour
 * (60 readings at 60 s) unless it is stuck.
 */
const PM25_SPIKE = 50;
const PM10_SPIKE = 100;
const PARTICLE_STUCK = { count: 60 } as const;

/** Fields follow FIWARE AirQualityObserved. Concentrations in µg/m³ (particles) and ppb/ppm (gases) as Taiwan's MOENV reports them. */
export const airQuality: KindDescription = {
  kind: 'air-quality',
  label: { 'zh-TW': '空氣品質', en: 'Air quality' },
  order: 0,
  fiwareType: 'AirQualityObserved',
  fields: [
    { name: 'pm25', type: 'number', unit: 'ug/m3', min: 0, max: 2000, plausible: [0, 500], spike: PM25_SPIKE, stuck: PARTICLE_STUCK, accepts: { 'mg/m3': mgToUg }, label: { 'zh-TW': '細懸浮微粒 PM2.5', en: 'PM2.5' } },
    { name: 'pm10', type: 'number', unit: 'ug/m3', min: 0, max: 5000, plausible: [0, 1000], spike: PM10_SPIKE, stuck: PARTICLE_STUCK, accepts: { 'mg/m3': mgToUg }, label: { 'zh-TW': '懸浮微粒 PM10', en: 'PM10' } },
    { name: 'no2', type: 'number', unit: 'ppb', min: 0, max: 5000, plausible: [0, 500], accepts: { ppm: ppmToPpb }, label: { 'zh-TW': '二氧化氮', en: 'Nitrogen dioxide' } },
    { name: 'o3', type: 'number', unit: 'ppb', min: 0, max: 5000, plausible: [0, 500], accepts: { ppm: ppmToPpb }, label: { 'zh-TW': '臭氧', en: 'Ozone' } },
    { name: 'co', type: 'number', unit: 'ppm', min: 0, max: 1000, plausible: [0, 50], accepts: { ppb: { factor: 0.001 } }, label: { 'zh-TW': '一氧化碳', en: 'Carbon monoxide' } },
    { name: 'so2', type: 'number', unit: 'ppb', min: 0, max: 5000, plausible: [0, 500], accepts: { ppm: ppmToPpb }, label: { 'zh-TW': '二氧化硫', en: 'Sulphur dioxide' } },
    { name: 'temperature', type: 'number', unit: 'Cel', min: -50, max: 80, plausible: [-10, 45], accepts: { K: { factor: 1, offset: -273.15 } }, label: { 'zh-TW': '氣溫', en: 'Temperature' } },
    { name: 'relativeHumidity', type: 'number', unit: '%RH', min: 0, max: 100, label: { 'zh-TW': '相對濕度', en: 'Relative humidity' } },
  ],
  requireAnyOf: ['pm25', 'pm10', 'no2', 'o3', 'co', 'so2'],
  defaultIntervalSeconds: 60,
  paramsSchema: Type.Object(
    {
      pollutants: Type.Array(Type.Union([Type.Literal('pm25'), Type.Literal('pm10'), Type.Literal('no2'), Type.Literal('o3'), Type.Literal('co'), Type.Literal('so2')]), { minItems: 1, uniqueItems: true }),
      /** PM2.5 µg/m³ above which the basic rule raises a warning (default 35.5, MOENV's orange band floor for the 24 h mean before 2025; the alert engine uses the full AQI). */
      pm25Threshold: Type.Optional(Type.Number({ minimum: 0, default: 35.5 })),
    },
    { additionalProperties: false },
  ),
  thresholds: (sensor) => {
    const t = (sensor.params.pm25Threshold as number | undefined) ?? 35.5;
    const rules: ThresholdSpec[] = [
      { ruleId: 'basic.aq.pm25', field: 'pm25', severity: 'warning', op: 'above', threshold: t, label: { 'zh-TW': 'PM2.5 濃度偏高', en: 'PM2.5 high' } },
    ];
    return rules;
  },
  cap: { category: 'Env', event: 'air-quality', instruction: { 'zh-TW': '敏感族群應減少戶外活動，外出請配戴口罩並留意身體狀況。', en: 'Sensitive groups should reduce outdoor activity; wear a mask outdoors and watch for symptoms.' } },
  openDataCategory: '生活安全及品質',
  simulator: { model: 'air-quality', senmlRate: 0.1 },
};
