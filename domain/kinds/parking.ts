import { Type } from '@sinclair/typebox';
import type { KindDescription } from '../kind.ts';

/** Fields follow FIWARE OffStreetParking: totalSpotNumber, occupiedSpotNumber, availableSpotNumber (counts). */
export const parking: KindDescription = {
  kind: 'parking',
  label: { 'zh-TW': '停車場', en: 'Parking' },
  order: 3,
  fiwareType: 'OffStreetParking',
  fields: [
    { name: 'totalSpotNumber', type: 'number', unit: '{spaces}', min: 0, max: 100000, label: { 'zh-TW': '總車位', en: 'Total spaces' } },
    { name: 'occupiedSpotNumber', type: 'number', unit: '{spaces}', min: 0, max: 100000, label: { 'zh-TW': '已停車位', en: 'Occupied spaces' } },
    { name: 'availableSpotNumber', type: 'number', unit: '{spaces}', min: 0, max: 100000, label: { 'zh-TW': '剩餘車位', en: 'Available spaces' } },
  ],
  requireAnyOf: ['occupiedSpotNumber', 'availableSpotNumber'],
  defaultIntervalSeconds: 120,
  paramsSchema: Type.Object(
    {
      capacity: Type.Integer({ minimum: 1, maximum: 100000 }),
      /** Occupancy ratio counted as "nearly full" by the basic rule (default 0.95). */
      nearlyFullRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.95 })),
    },
    { additionalProperties: false },
  ),
  derive: (values, sensor) => {
    const capacity = sensor.params.capacity as number;
    let derived = false;
    if (values.totalSpotNumber === undefined) {
      values.totalSpotNumber = capacity;
      derived = true;
    }
    const total = values.totalSpotNumber as number;
    if (values.occupiedSpotNumber === undefined && typeof values.availableSpotNumber === 'number') {
      values.occupiedSpotNumber = Math.max(0, total - values.availableSpotNumber);
      derived = true;
    } else if (values.availableSpotNumber === undefined && typeof values.occupiedSpotNumber === 'number') {
      values.availableSpotNumber = Math.max(0, total - values.occupiedSpotNumber);
      derived = true;
    }
    return derived;
  },
  check: (values) => {
    const { totalSpotNumber: t, occupiedSpotNumber: o, availableSpotNumber: a } = values;
    if (typeof t === 'number' && typeof o === 'number' && o > t) return `occupiedSpotNumber ${o} exceeds totalSpotNumber ${t}`;
    if (typeof t === 'number' && typeof a === 'number' && a > t) return `availableSpotNumber ${a} exceeds totalSpotNumber ${t}`;
    return undefined;
  },
  thresholds: (sensor) => {
    const capacity = sensor.params.capacity as number;
    return [
      { ruleId: 'basic.parking.full', field: 'occupiedSpotNumber', severity: 'advisory', op: 'above', threshold: capacity, label: { 'zh-TW': '停車場已滿', en: 'Parking lot full' } },
    ];
  },
  cap: { category: 'Transport', event: 'parking', instruction: { 'zh-TW': '請改停其他停車場或搭乘大眾運輸。', en: 'Use another car park or public transport.' } },
  openDataCategory: '交通及通訊',
  simulator: { model: 'parking' },
};
