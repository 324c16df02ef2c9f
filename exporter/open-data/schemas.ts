import { Type, type TSchema } from '@sinclair/typebox';
import { LICENSE } from '../schemas.ts';

/**
 * The JSON Schemas of the open-data JSON bodies. They are published at
 * /open-data/v1/schemas/{name}.json (so civic developers can validate what they pull),
 * appear in the OpenAPI document, and test/open-data validates every response against
 * them with Ajv. Changing one is a contract change: add, never rename.
 */
const Localized = Type.Object({ 'zh-TW': Type.String(), en: Type.String() }, { additionalProperties: false });
const Iso = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?\\+08:00$', description: 'ISO 8601, +08:00' });
const Values = Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]), { description: '欄位值（標準單位）/ values in canonical units' });
const Units = Type.Record(Type.String(), Type.String(), { description: '欄位單位 / unit per field' });
const Flags = Type.Array(Type.String({ enum: ['out-of-range', 'spike', 'stuck', 'late', 'estimated', 'clock-skew', 'no-device-time'] }), { description: '品質旗標，空陣列表示 ok / quality flags; empty means ok' });
export const LicenseSchema = Type.Object({ name: Localized, url: Type.Literal(LICENSE.url) }, { additionalProperties: false });

export const PublicSensorSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Localized,
    district: Type.Object({ code: Type.String(), name: Localized }, { additionalProperties: false }),
    location: Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false }),
    locationCoarsened: Type.Boolean(),
    intervalSeconds: Type.Number(),
  },
  { additionalProperties: false },
);

export const LatestFeedSchema = Type.Object(
  {
    dataset: Type.String(),
    generatedAt: Iso,
    license: LicenseSchema,
    units: Units,
    count: Type.Integer({ minimum: 0 }),
    items: Type.Array(
      Type.Object(
        { sensor: PublicSensorSchema, time: Iso, epochMs: Type.Integer(), values: Values, flags: Flags, stale: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'latest.json' },
);

export const ReadingsFeedSchema = Type.Object(
  {
    dataset: Type.String(),
    sensor: PublicSensorSchema,
    period: Type.Literal('raw'),
    from: Iso,
    to: Iso,
    license: LicenseSchema,
    units: Units,
    count: Type.Integer({ minimum: 0 }),
    items: Type.Array(Type.Object({ time: Iso, epochMs: Type.Integer(), values: Values, flags: Flags }, { additionalProperties: false })),
    next: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, $id: 'readings.json' },
);

export const AggregatesFeedSchema = Type.Object(
  {
    dataset: Type.String(),
    period: Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d')]),
    from: Iso,
    to: Iso,
    license: LicenseSchema,
    note: Type.Optional(Type.String()),
    count: Type.Integer({ minimum: 0 }),
    items: Type.Array(
      Type.Object(
        {
          sensorId: Type.String(), period: Type.String(), start: Iso, startMs: Type.Integer(), field: Type.String(), unit: Type.Optional(Type.String()),
          count: Type.Integer({ minimum: 0 }), complete: Type.Optional(Type.Boolean()), mean: Type.Number(), min: Type.Number(), max: Type.Number(), last: Type.Number(),
        },
        { additionalProperties: false },
      ),
    ),
    next: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, $id: 'aggregates.json' },
);

export const PUBLISHED_SCHEMAS: Readonly<Record<string, TSchema>> = Object.freeze({
  latest: LatestFeedSchema,
  readings: ReadingsFeedSchema,
  aggregates: AggregatesFeedSchema,
  sensor: { ...PublicSensorSchema, $id: 'sensor.json' },
});
