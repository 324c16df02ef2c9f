import { Type } from '@sinclair/typebox';
import type { KindDescription } from '../kind.ts';

const hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/**
 * Fields follow FIWARE Streetlight: `status`, `powerState`, `powerConsumption` (instantaneous draw, W here), `illuminanceLevel` (dimming ratio 0–1).
 * QF2: a metered draw repeating one non-zero value for 24 readings (2 h at 5 min) is a stuck
 * meter (0 W, a lamp that is off, repeats legitimately). No SPIKE rate: switching on or off
 * is a legitimate step of the full rating.
 */
export const streetlight: KindDescription = {
  kind: 'streetlight',
  label: { 'zh-TW': '智慧路燈', en: 'Smart streetlight' },
  order: 2,
  fiwareType: 'Streetlight',
  fields: [
    { name: 'powerState', type: 'string', enum: ['on', 'off', 'low', 'bootingUp'], label: { 'zh-TW': '電源狀態', en: 'Power state' } },
    { name: 'status', type: 'string', enum: ['ok', 'defectiveLamp', 'columnIssue', 'brokenLantern'], label: { 'zh-TW': '設備狀態', en: 'Status' } },
    { name: 'powerConsumption', type: 'number', unit: 'W', min: 0, max: 5000, stuck: { count: 24, ignore: 0 }, accepts: { kW: { factor: 1000 } }, label: { 'zh-TW': '耗電功率', en: 'Power draw' } },
    { name: 'illuminanceLevel', type: 'number', unit: '/', min: 0, max: 1, label: { 'zh-TW': '調光比例', en: 'Dimming level' } },
  ],
  requireAnyOf: ['powerState', 'status', 'powerConsumption'],
  defaultIntervalSeconds: 300,
  paramsSchema: Type.Object(
    {
      /** Local time (+08:00) the lamp is scheduled on and off. */
      schedule: Type.Object({ on: hhmm, off: hhmm }, { additionalProperties: false }),
      ratedPowerW: Type.Number({ minimum: 1, maximum: 5000 }),
    },
    { additionalProperties: false },
  ),
  check: (values, sensor) => {
    const p = values.powerConsumption;
    const rated = sensor.params.ratedPowerW as number;
    if (typeof p === 'number' && p > rated * 3) return `powerConsumption ${p} W exceeds 3 × rated power ${rated} W`;
    return undefined;
  },
  thresholds: () => [
    { ruleId: 'basic.light.defective', field: 'status', severity: 'warning', op: 'equals', threshold: 0, match: 'defectiveLamp', label: { 'zh-TW': '路燈燈具故障', en: 'Defective lamp' } },
  ],
  cap: { category: 'Infra', event: 'streetlight', instruction: { 'zh-TW': '夜間行經該路段請注意行車與行人安全。', en: 'Take extra care on this road at night.' } },
  openDataCategory: '公共資訊',
  simulator: { model: 'streetlight' },
};
