import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KIND_NAMES } from '../../domain/index.ts';
import { Registry, RegistryError } from '../../registry/index.ts';
import { renderLines } from '../../registry/lines.ts';
import { validateSensorDoc } from '../../registry/registry.ts';
import { isSensorDocShape, SensorDoc } from '../../registry/schema.ts';

// RG8: the hand-written check of a sensor line (isSensorDocShape) stands in for Ajv on the load
// path. It must never accept what Ajv rejects; on JSON input it should agree with Ajv exactly,
// so that a valid line never takes the slow path.

const idChar = fc.constantFrom(...'abcXYZ019._-'.split(''), ' ', '/', 'é', '感', '\n');
const goodId = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abXY09._-'.split('')) });
const anId = fc.oneof(
  { weight: 4, arbitrary: goodId },
  { weight: 1, arbitrary: fc.string({ minLength: 0, maxLength: 70, unit: idChar }) },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(64), 'a'.repeat(65), '', 'gw-1') },
);
const text = fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) }, fc.constantFrom('', ' ', '感測器', '"\\\n', '🌧'));
const coordinate = (limit: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -limit, max: limit, noNaN: true }) },
    fc.constantFrom(limit, -limit, limit + 1e-9, -limit - 1e-9, 0, -0, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE),
    fc.double(),
    fc.integer(),
  );
const junk = fc.oneof(fc.constantFrom(null, true, false, 0, 1, -1, 1.5, '', 'x', [], {}, [1], ['x']), fc.anything({ maxDepth: 2 }));

/** A field's value: mostly well typed (which includes values at and past the bounds), now and then the wrong type. */
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 20, arbitrary: good }, { weight: 1, arbitrary: junk });

const sensorLike = fc
  .record({
    id: field(anId),
    kind: field(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KIND_NAMES) }, text)),
    name: field(
      fc.oneof(
        { weight: 8, arbitrary: fc.record({ 'zh-TW': text, en: text }) },
        fc.record({ 'zh-TW': text }),
        fc.record({ 'zh-TW': text, en: text, fr: text }),
        fc.record({ en: text, extra: junk }),
      ),
    ),
    district: field(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('68000010', 'x') }, text)),
    location: field(
      fc.oneof(
        { weight: 8, arbitrary: fc.record({ lat: coordinate(90), lon: coordinate(180) }) },
        fc.record({ lat: coordinate(90) }),
        fc.record({ lat: coordinate(90), lon: coordinate(180), alt: fc.integer() }),
        fc.record({ lat: field(fc.double()), lon: field(fc.double()) }),
      ),
    ),
    intervalSeconds: field(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 86_400 }) }, fc.constantFrom(0, -1, 86_401, 1.5, 60.0000001, Number.NaN, Infinity), fc.double())),
    params: field(fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), junk, { maxKeys: 3 }), fc.constant({ capacity: 3 }))),
    tags: field(fc.oneof({ weight: 4, arbitrary: fc.array(text, { maxLength: 3 }) }, fc.array(junk, { maxLength: 2 }), fc.constant([, 'x']))), // eslint-disable-line no-sparse-arrays
    gateway: field(anId),
    secretHash: field(fc.oneof(fc.constantFrom('scrypt$a$b', 'scrypt$', 'Scrypt$x', 'scrypt', ' scrypt$x', ''), fc.string().map((s) => `scrypt$${s}`))),
    disabled: field(fc.oneof({ weight: 4, arbitrary: fc.boolean() }, fc.constantFrom(0, 1, 'true', null))),
    // an unknown key now and then (`toString` too: for-in and `in` are not the same test)
    extra: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.record({ key: fc.constantFrom('extra', 'toString', 'constructor', 'Id', ''), value: fc.oneof(junk, fc.constant(undefined)) })),
    // keys to drop: optional ones often, a required one now and then; dropped or undefined
    drop: fc.array(fc.constantFrom('id', 'kind', 'name', 'district', 'location', 'params', ...['intervalSeconds', 'tags', 'gateway', 'secretHash', 'disabled'].flatMap((k) => Array<string>(6).fill(k))), { maxLength: 4 }),
    undef: fc.boolean(),
  })
  .map(({ drop, extra, undef, ...d }) => {
    const out: Record<string, unknown> = { ...d };
    for (const k of drop) {
      if (undef) out[k] = undefined;
      else delete out[k];
    }
    if (extra) out[extra.key] = extra.value;
    return out;
  });

/** Plausible sensor documents: every required field present and well typed, optional ones sometimes. */
const plausible = fc.record(
  {
    id: goodId,
    kind: fc.constantFrom(...KIND_NAMES),
    name: fc.record({ 'zh-TW': text, en: text }),
    district: fc.constantFrom('68000010', '68000020'),
    location: fc.record({ lat: coordinate(90), lon: coordinate(180) }),
    intervalSeconds: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 86_400 }) }, fc.constantFrom(0, 1.5, 86_401)),
    params: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    tags: fc.array(text, { maxLength: 3 }),
    gateway: anId,
    secretHash: fc.constantFrom('scrypt$a$b', 'scrypt$', 'nope'),
    disabled: fc.boolean(),
  },
  { requiredKeys: ['id', 'kind', 'name', 'district', 'location', 'params'] },
);

const values = fc.oneof(sensorLike, plausible, junk);

describe('fast sensor line check (RG8)', () => {
  it('never accepts a document the SensorDoc schema (Ajv) rejects', () => {
    fc.assert(
      fc.property(values, (v) => {
        if (isSensorDocShape(v)) assert.ok(validateSensorDoc(v), `fast path accepted what Ajv rejects: ${JSON.stringify(validateSensorDoc.errors)}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with Ajv exactly, on generated values and on the lines JSON.parse makes of them (a valid line never falls back to Ajv)', () => {
    fc.assert(
      fc.property(values, (v) => {
        assert.equal(isSensorDocShape(v), validateSensorDoc(v));
        const json = JSON.stringify(v);
        if (json === undefined) return;
        const line: unknown = JSON.parse(json);
        assert.equal(isSensorDocShape(line), validateSensorDoc(line), json);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a key JSON.parse makes own, like __proto__, as Ajv does', () => {
    const line: unknown = JSON.parse('{"id":"a","kind":"parking","name":{"zh-TW":"a","en":"a"},"district":"68000010","location":{"lat":1,"lon":1},"params":{},"__proto__":{"x":1}}');
    assert.equal(validateSensorDoc(line), false);
    assert.equal(isSensorDocShape(line), false);
  });

  it('was written against this SensorDoc schema: a change to the schema needs the same change in isSensorDocShape', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(SensorDoc)), {
      additionalProperties: false,
      type: 'object',
      required: ['id', 'kind', 'name', 'district', 'location', 'params'],
      properties: {
        id: { pattern: '^[A-Za-z0-9._-]{1,64}$', type: 'string' },
        kind: { minLength: 1, type: 'string' },
        name: { additionalProperties: false, type: 'object', required: ['zh-TW', 'en'], properties: { 'zh-TW': { minLength: 1, type: 'string' }, en: { minLength: 1, type: 'string' } } },
        district: { minLength: 1, type: 'string' },
        location: { additionalProperties: false, type: 'object', required: ['lat', 'lon'], properties: { lat: { minimum: -90, maximum: 90, type: 'number' }, lon: { minimum: -180, maximum: 180, type: 'number' } } },
        intervalSeconds: { minimum: 1, maximum: 86400, type: 'integer' },
        params: { type: 'object', patternProperties: { '^(.*)$': {} } },
        tags: { type: 'array', items: { minLength: 1, type: 'string' } },
        gateway: { pattern: '^[A-Za-z0-9._-]{1,64}$', type: 'string' },
        secretHash: { pattern: '^scrypt\\$', type: 'string' },
        disabled: { type: 'boolean' },
      },
    });
  });

  it('a line the fast check refuses is still worded by Ajv, with its line number', () => {
    const header = renderLines({ districts: [{ code: '68000010', name: { 'zh-TW': '桃園區', en: 'Taoyuan' } }], sensors: [] }).trim();
    const ok = '{"id":"a","kind":"parking","name":{"zh-TW":"a","en":"a"},"district":"68000010","location":{"lat":1,"lon":1},"params":{"capacity":3}}';
    const lines = [header, ok, ok.replace('"a"', '"b"').replace('"lat":1', '"lat":91'), ok.replace('"a"', '"c"').replace('}}', '},"colour":"red"}'), '', ok.replace('"a"', '"d"').replace('"zh-TW":"a",', '')];
    assert.throws(
      () => Registry.parse(lines.join('\n'), 'r.ndjson'),
      (err: RegistryError) => {
        const text = err.problems.join('\n');
        assert.match(text, /line 3: sensor \/location\/lat must be <= 90/);
        assert.match(text, /line 4: sensor \/ must NOT have additional properties/);
        assert.match(text, /line 6: sensor \/name must have required property 'zh-TW'/);
        assert.equal(err.problems.length, 3);
        return true;
      },
    );
    assert.equal(Registry.parse(lines.slice(0, 2).join('\n'), 'r.ndjson').size, 1);
  });
});
