import { Type, type Static } from '@sinclair/typebox';
import { KIND_NAMES } from '../domain/index.ts';

const Localized = Type.Object({ 'zh-TW': Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const Id = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

/** A WGS84 [lon, lat] position and a closed linear ring of at least 4 of them (RFC 7946 §3.1.6). */
const Position = Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })]);
const Ring = Type.Array(Position, { minItems: 4, maxItems: 10_000 });
/** Optional district outline (GeoJSON Polygon or MultiPolygon): CAP <polygon> and STA spatial filters use it. */
export const Boundary = Type.Union([
  Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Ring, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Ring, { minItems: 1, maxItems: 100 }), { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
]);

export const DistrictDoc = Type.Object({ code: Type.String({ minLength: 1 }), name: Localized, boundary: Type.Optional(Boundary) }, { additionalProperties: false });

export const GatewayDoc = Type.Object(
  { id: Id, name: Localized, secretHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })) },
  { additionalProperties: false },
);

export const SensorDoc = Type.Object(
  {
    id: Id,
    kind: Type.Union(KIND_NAMES.map((k) => Type.Literal(k))),
    name: Localized,
    /** District code; must be listed under `districts`. */
    district: Type.String({ minLength: 1 }),
    location: Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false }),
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    params: Type.Record(Type.String(), Type.Unknown()),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    gateway: Type.Optional(Id),
    secretHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
  },
  { additionalProperties: false },
);

export const RegistryDoc = Type.Object(
  {
    districts: Type.Array(DistrictDoc),
    gateways: Type.Optional(Type.Array(GatewayDoc)),
    sensors: Type.Array(SensorDoc),
  },
  { additionalProperties: false },
);

export type RegistryDocT = Static<typeof RegistryDoc>;
export type SensorDocT = Static<typeof SensorDoc>;
export type GatewayDocT = Static<typeof GatewayDoc>;
