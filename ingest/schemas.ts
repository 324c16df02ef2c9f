import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { KindDescription } from '../domain/index.ts';

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

export const StatusSchema = Type.Object(
  {
    dateObserved: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    online: Type.Optional(Type.Boolean()),
    batteryLevel: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'battery charge ratio 0–1 (FIWARE Device.batteryLevel)' })),
    firmwareVersion: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
