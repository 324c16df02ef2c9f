import { Type } from '@sinclair/typebox';
import type { KindDescription, ThresholdSpec } from '../kind.ts';

/**
 * Fields follow FIWARE FloodMonitoring (`currentLevel`). River stations report the
 * water stage in metres against warning levels 3/2/1 (三級/二級/一級警戒, 1 most severe);
 * road flood sensors report water depth above the road in centimetres (`floodDepth`)
 * against a per-sensor threshold, because agencies disagree (6 cm vs 10 cm).
 *
 * QF1/QF2: a river stage rises at most ~0.2 m a minute even in a flash flood (a 10-minute
 * station: 2 m between readings), and a gauge reading to the centimetre does not repeat
 * one stage for 36 readings (6 h) unless stuck. Standing water on a road builds by up to
 * ~10 cm a minute in a cloudburst; a dry road reads 0 for weeks (ignored), but one depth
 * above 0 for 288 readings (24 h at 5 min) is a stuck sensor.
 */
export const waterLevel: KindDescription = {
  kind: 'water-level',
  label: { 'zh-TW': '水位', en: 'Water level' },
  order: 1,
  fiwareType: 'FloodMonitoring',
  fields: [
    { name: 'currentLevel', type: 'number', unit: 'm', min: -50, max: 500, spike: 0.2, stuck: { count: 36 }, accepts: { cm: { factor: 0.01 }, mm: { factor: 0.001 } }, label: { 'zh-TW': '水位', en: 'Water stage' } },
    { name: 'floodDepth', type: 'number', unit: 'cm', min: 0, max: 1000, plausible: [0, 300], spike: 10, stuck: { count: 288, ignore: 0 }, accepts: { m: { factor: 100 }, mm: { factor: 0.1 } }, label: { 'zh-TW': '淹水深度', en: 'Flood depth' } },
  ],
  requireAnyOf: ['currentLevel', 'floodDepth'],
  defaultIntervalSeconds: 600,
  paramsSchema: Type.Union([
    Type.Object(
      {
        station: Type.Literal('river'),
        /** Warning levels in metres: level3 (lowest) < level2 < level1 (most severe). */
        warningLevels: Type.Object({ level3: Type.Number(), level2: Type.Number(), level1: Type.Number() }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        station: Type.Literal('road-flood'),
        /** Depth in cm counted as flooding at this sensor. */
        floodThresholdCm: Type.Number({ minimum: 1, maximum: 200 }),
      },
      { additionalProperties: false },
    ),
  ]),
  check: (values, sensor) => {
    const station = sensor.params.station;
    if (station === 'river' && values.currentLevel === undefined) return 'river station must report currentLevel';
    if (station === 'road-flood' && values.floodDepth === undefined) return 'road flood sensor must report floodDepth';
    return undefined;
  },
  thresholds: (sensor) => {
    if (sensor.params.station === 'river') {
      const w = sensor.params.warningLevels as { level3: number; level2: number; level1: number };
      const rules: ThresholdSpec[] = [
        { ruleId: 'basic.water.level3', field: 'currentLevel', severity: 'advisory', op: 'above', threshold: w.level3, label: { 'zh-TW': '河川水位達三級警戒', en: 'River at warning level 3' } },
        { ruleId: 'basic.water.level2', field: 'currentLevel', severity: 'warning', op: 'above', threshold: w.level2, label: { 'zh-TW': '河川水位達二級警戒', en: 'River at warning level 2' } },
        { ruleId: 'basic.water.level1', field: 'currentLevel', severity: 'critical', op: 'above', threshold: w.level1, label: { 'zh-TW': '河川水位達一級警戒', en: 'River at warning level 1' } },
      ];
      return rules;
    }
    const cm = sensor.params.floodThresholdCm as number;
    return [{ ruleId: 'basic.water.flood', field: 'floodDepth', severity: 'warning', op: 'above', threshold: cm, label: { 'zh-TW': '道路積淹水', en: 'Road flooding' } }];
  },
  cap: { category: 'Met', event: 'flood', instruction: { 'zh-TW': '請避開低窪地區與積淹水路段，勿涉水通行，並留意市府最新資訊。', en: 'Avoid low-lying areas and flooded roads, do not walk or drive through water, and follow the city\'s updates.' } },
  openDataCategory: '生活安全及品質',
  simulator: { model: (sensor) => (sensor.params.station === 'river' ? 'river' : 'road-flood'), senmlRate: 0.05 },
};
