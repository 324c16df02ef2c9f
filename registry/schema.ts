import { Type, type Static } from '@sinclair/typebox';

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

/** A district code is an identifier like a sensor id (MOI codes are 8 digits): it becomes a storage tag and a topic-free key, so no quoting character can reach them. */
export const DistrictDoc = Type.Object({ code: Id, name: Localized, boundary: Type.Optional(Boundary) }, { additionalProperties: false });

export const GatewayDoc = Type.Object(
  {
    id: Id,
    name: Localized,
    secretHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
    /** RG4: a disabled principal is refused at CONNECT; its sensors stay registered. */
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const SensorDoc = Type.Object(
  {
    id: Id,
    /** A registered kind (domain/kinds, KD1–KD2); checked against the registry of kinds after the schema, so this schema lists none. */
    kind: Type.String({ minLength: 1 }),
    name: Localized,
    /** District code; must be listed under `districts`. */
    district: Type.String({ minLength: 1 }),
    location: Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false }),
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    params: Type.Record(Type.String(), Type.Unknown()),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    gateway: Type.Optional(Id),
    secretHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
    /** RG4: refused at CONNECT (own secret) and its gateway's publishes for it are refused. */
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** An MQTT topic filter (MQTT 3.1.1 §4.7): `#` last and alone, `+` a whole level, no `$` at the start. */
const Filter = Type.String({ minLength: 1, maxLength: 256, pattern: '^(?!\\$)(?:(?:[^#+/]*|\\+)/)*(?:[^#+/]*|\\+|#)$' });

/**
 * An integration principal (RG5): Node-RED, Telegraf, a data-lake bridge, a second
 * alerting system. Subscribe-only unless `publish` is given; `publish` patterns must lie
 * under `integrations/{id}/` so they can never cover a sensor's or another principal's topics.
 */
export const IntegrationDoc = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Localized])),
    secretHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
    read: Type.Array(Filter, { maxItems: 64 }),
    publish: Type.Optional(Type.Array(Filter, { maxItems: 64 })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RegistryDoc = Type.Object(
  {
    districts: Type.Array(DistrictDoc),
    gateways: Type.Optional(Type.Array(GatewayDoc)),
    sensors: Type.Array(SensorDoc),
    integrations: Type.Optional(Type.Array(IntegrationDoc)),
  },
  { additionalProperties: false },
);

/** RG8 The header line of an NDJSON registry: the document without its sensors, plus format and version. */
export const LineHeader = Type.Object(
  {
    format: Type.Literal('civicstream-registry'),
    version: Type.Literal(1),
    districts: Type.Array(DistrictDoc),
    gateways: Type.Optional(Type.Array(GatewayDoc)),
    integrations: Type.Optional(Type.Array(IntegrationDoc)),
  },
  { additionalProperties: false },
);

export type RegistryDocT = Static<typeof RegistryDoc>;
export type SensorDocT = Static<typeof SensorDoc>;
export type GatewayDocT = Static<typeof GatewayDoc>;
export type IntegrationDocT = Static<typeof IntegrationDoc>;

const ID = /^[A-Za-z0-9._-]{1,64}$/u;
const SCRYPT = /^scrypt\$/u;
const OPTIONAL = new Set(['intervalSeconds', 'tags', 'gateway', 'secretHash', 'disabled']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function isLocalized(v: unknown): boolean {
  if (!isObject(v)) return false;
  let n = 0;
  for (const k in v) {
    if ((k !== 'zh-TW' && k !== 'en') || !isText(v[k])) return false;
    n++;
  }
  return n === 2;
}

function isLocation(v: unknown): boolean {
  if (!isObject(v)) return false;
  let n = 0;
  for (const k in v) {
    const x = v[k];
    if (typeof x !== 'number') return false;
    if (k === 'lat') {
      if (!(x >= -90 && x <= 90)) return false;
    } else if (k !== 'lon' || !(x >= -180 && x <= 180)) return false;
    n++;
  }
  return n === 2;
}

/**
 * RG8 The fast path of a sensor line: true only for a document `SensorDoc` (above) accepts,
 * checked by hand in one pass over its keys, so that a 1,000,000-line registry does not run the
 * generated validator per line. It may say false to a valid document (anything unusual):
 * the caller then asks Ajv, which also words the errors. It must never say true to a document
 * Ajv rejects (property test in test/registry/sensor-shape.test.ts); a change to `SensorDoc`
 * needs the same change here (the test pins the schema it was written against).
 */
export function isSensorDocShape(v: unknown): v is SensorDocT {
  if (!isObject(v)) return false;
  let required = 0;
  for (const k in v) {
    const x = v[k];
    // as Ajv: an optional field whose value is undefined is absent (JSON never makes one)
    if (x === undefined && OPTIONAL.has(k)) continue;
    switch (k) {
      case 'id':
        if (typeof x !== 'string' || !ID.test(x)) return false;
        required++;
        break;
      case 'kind':
      case 'district':
        if (!isText(x)) return false;
        required++;
        break;
      case 'name':
        if (!isLocalized(x)) return false;
        required++;
        break;
      case 'location':
        if (!isLocation(x)) return false;
        required++;
        break;
      case 'params':
        if (!isObject(x)) return false;
        required++;
        break;
      case 'intervalSeconds':
        if (!Number.isInteger(x) || (x as number) < 1 || (x as number) > 86_400) return false;
        break;
      case 'tags':
        if (!Array.isArray(x)) return false;
        // an index loop, not every(): a hole is undefined for Ajv, and not a string
        for (let i = 0; i < x.length; i++) if (!isText(x[i])) return false;
        break;
      case 'gateway':
        if (typeof x !== 'string' || !ID.test(x)) return false;
        break;
      case 'secretHash':
        if (typeof x !== 'string' || !SCRYPT.test(x)) return false;
        break;
      case 'disabled':
        if (typeof x !== 'boolean') return false;
        break;
      default:
        return false;
    }
  }
  return required === 6;
}
