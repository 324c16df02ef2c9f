import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { KINDS, type KindDescription, type SensorKind } from '../domain/index.ts';

/**
 * JSON Schemas generated from the kind descriptions. The same schemas validate
 * ingest (after unit conversion) and are published for vendors (README, /docs).
 */
export function valuesSchema(desc: KindDescription): TObject {
  const props: Record<string, TSchema> = {};
  for (const f of desc.fields) {
    const description = `${f.label['zh-TW']} ${f.label.en}${f.unit ? ` [${f.unit}]` : ''}`;
    props[f.name] =
      f.type === 'number'
        ? Type.Optional(Type.Number({ description, ...(f.min !== undefined ? { minimum: f.min } : {}), ...(f.max !== undefined ? { maximum: f.max } : {}) }))
        : Type.Optional(f.enum ? Type.Union(f.enum.map((e) => Type.Literal(e)), { description }) : Type.String({ description, maxLength: 256 }));
  }
  // P3  at least one of the kind's primary fields must be present.
  return Type.Object(props, { anyOf: desc.requireAnyOf.map((name) => ({ required: [name] })) });
}

/** The published telemetry payload (JSON object form) for one kind. */
export function telemetrySchema(kind: SensorKind): TObject {
  const desc = KINDS[kind];
  const values = valuesSchema(desc);
  return Type.Object(
    {
      dateObserved: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Number()], { description: 'ISO 8601 with offset, or epoch milliseconds' })),
      units: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'non-canonical units by field, e.g. {"pm25":"mg/m3"}' })),
      ...values.properties,
    },
    { $id: `https://civicstream.example/schemas/${kind}.telemetry.json`, title: `${desc.label['zh-TW']} ${desc.label.en} telemetry`, anyOf: values.anyOf },
  );
}

export const StatusSchema = Type.Object(
  {
    dateObserved: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    online: Type.Optional(Type.Boolean()),
    batteryLevel: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'battery charge ratio 0–1 (FIWARE Device.batteryLevel)' })),
    firmwareVersion: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
