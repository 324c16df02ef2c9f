import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KIND_NAMES, type Reading } from '../../domain/index.ts';
import { decodeReading, encodeReading, recordHead } from '../../ingest/codec.ts';

const reading = fc.record({
  seq: fc.constant(0),
  sensorId: fc.string({ unit: 'binary' }),
  kind: fc.constantFrom(...KIND_NAMES),
  district: fc.string({ unit: 'binary' }),
  ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 50 }), fc.double()),
  receivedAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 50 }), fc.double()),
  flags: fc.nat(),
  values: fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.string({ unit: 'binary' }), fc.boolean())),
}) as fc.Arbitrary<Reading>;

describe('journal record encoding (J6, version 1)', () => {
  it('the per-sensor head + the rest is byte for byte JSON.stringify of the version 1 array (escapes, unicode, NaN/±Infinity, -0)', () => {
    fc.assert(
      fc.property(reading, (r) => {
        const text = encodeReading(r, recordHead(r.sensorId, r.kind, r.district));
        assert.equal(text, JSON.stringify([1, r.sensorId, r.kind, r.district, r.ts, r.receivedAt, r.flags, r.values]));
      }),
      { numRuns: 500 },
    );
  });

  it('decodes what it encodes', () => {
    const r: Reading = { seq: 0, sensorId: 'sl-"1\\', kind: 'streetlight', district: '63000010', ts: 1_796_281_902_686, receivedAt: 1_796_281_902_690, flags: 5, values: { powerState: 'on', illuminanceLevel: 0.8 } };
    const back = decodeReading(7, Buffer.from(encodeReading(r, recordHead(r.sensorId, r.kind, r.district))));
    assert.deepEqual(back, { ...r, seq: 7 });
  });
});
