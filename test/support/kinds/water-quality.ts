import { Type } from '@sinclair/typebox';
import type { KindDescription } from '../../../domain/kind.ts';

/**
 * A sensor kind that exists only in the test folder (KD2): water quality at a reservoir or
 * river intake, pH and turbidity (FIWARE WaterQualityObserved). The whole kind is this one
 * description; `test/e2e/fixture-kind.test.ts` registers it and runs it end to end.
 */
export const waterQuality: KindDescription = {
  kind: 'water-quality',
  label: { 'zh-TW': '水質', en: 'Water quality' },
  order: 10,
  fiwareType: 'WaterQualityObserved',
  fields: [
    { name: 'pH', type: 'number', unit: '[pH]', min: 0, max: 14, plausible: [4, 10], label: { 'zh-TW': '酸鹼值', en: 'pH' } },
    { name: 'turbidity', type: 'number', unit: 'NTU', min: 0, max: 4000, plausible: [0, 1000], accepts: { FNU: { factor: 1 } }, label: { 'zh-TW': '濁度', en: 'Turbidity' } },
  ],
  requireAnyOf: ['pH', 'turbidity'],
  defaultIntervalSeconds: 300,
  paramsSchema: Type.Object(
    {
      intake: Type.Union([Type.Literal('reservoir'), Type.Literal('river')]),
      /** Turbidity (NTU) above which the raw water needs extra treatment. */
      turbidityLimitNtu: Type.Number({ minimum: 1, maximum: 4000 }),
    },
    { additionalProperties: false },
  ),
  thresholds: () => [],
  cap: {
    category: 'Health',
    event: 'water-quality',
    instruction: { 'zh-TW': '自來水可能短暫混濁，請留意自來水公司公告。', en: 'Tap water may be cloudy for a while; follow the water company\'s notices.' },
  },
  openDataCategory: '生活安全及品質',
  rules: [
    {
      id: 'water-quality.turbidity',
      type: 'threshold',
      public: true,
      name: { 'zh-TW': '原水濁度偏高', en: 'High raw-water turbidity' },
      target: { kinds: ['water-quality'] },
      field: 'turbidity',
      levels: [{ severity: 'warning', above: { param: 'turbidityLimitNtu' }, label: { 'zh-TW': '原水濁度偏高', en: 'High turbidity' } }],
    },
  ],
};
