import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Point } from '@influxdata/influxdb-client';
import fc from 'fast-check';
import { kindOf, KIND_NAMES } from '../../domain/index.ts';
import type { Aggregate, FieldValue, Reading, SensorKind } from '../../domain/index.ts';
import { aggregateLine, measurementOf, readingLine } from '../../storage/influxdb/schema.ts';
import { startInfluxd, type Influxd } from './influxd.ts';
import { newInfluxStore } from './influx-harness.ts';

/**
 * The hot-path line builders must emit exactly what the client library's Point emits
 * (issue 4 item 2: "its escaping"), and what they emit must round-trip through a real server.
 */
const conv = { convertTime: (t: string | number | Date | undefined) => (t === undefined ? undefined : String(t)) };

function pointReading(r: Reading): string | undefined {
  const p = new Point(measurementOf(r.kind)).tag('sensor_id', r.sensorId).tag('district', r.district).tag('kind', r.kind);
  for (const f of kindOf(r.kind).fields) {
    const v = r.values[f.name];
    if (f.type === 'number' && typeof v === 'number') p.floatField(f.name, v);
    if (f.type === 'string' && typeof v === 'string') p.stringField(f.name, v);
  }
  return p.intField('flags', r.flags).intField('seq', r.seq).intField('received_at', r.receivedAt).timestamp(r.ts).toLineProtocol(conv);
}

function pointAggregate(a: Aggregate): string | undefined {
  return new Point(a.period === '1m' ? 'agg_1m' : 'agg_1h')
    .tag('scope', a.scope).tag('key', a.key).tag('kind', a.kind).tag('district', a.district).tag('field', a.field)
    .intField('count', a.count).floatField('mean', a.mean).floatField('min', a.min).floatField('max', a.max).floatField('last', a.last)
    .timestamp(a.start).toLineProtocol(conv);
}

/** Tag text with every character line protocol escapes; no trailing backslash (Point cannot escape it either). */
const tagChars = ['a', 'Z', '0', ',', ' ', '=', '"', '\\', '中', '𠮷'];
const tagOf = (chars: string[]) => fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: 12 }).filter((s) => !s.endsWith('\\'));
/** Point escapes \n and \t in tags as "\\n"/"\\t", which servers store literally: fine for equality, not for round trips. */
const tagText = tagOf([...tagChars, '\n', '\t']);
/**
 * Hostile, but no backslash: identifiers (sensor ids by T6, district codes by the registry schema) are
 * [A-Za-z0-9._-], so a tag never holds one. influxd 1.x parses a tag's backslash before an escaped
 * character (or at its end) as an escape of its own when the line also has a newline in a string
 * field, so such a point is lost: e.g. district `\ \,` with status "\n" (found by this property).
 */
const tagSafe = tagOf(tagChars.filter((c) => c !== '\\'));
const text = fc.string({ unit: fc.constantFrom('x', ' ', '"', '\\', '\n', ',', '=', '水', '🙂'), maxLength: 16 });
const ms = fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 });

const readingOf = (tag: fc.Arbitrary<string>): fc.Arbitrary<Reading> => fc.constantFrom(...KIND_NAMES).chain((kind: SensorKind) => {
  const values: Record<string, fc.Arbitrary<FieldValue>> = {};
  for (const f of kindOf(kind).fields) values[f.name] = f.type === 'number' ? fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => v + 0 /* -0 is stored as 0 */) : text;
  return fc.record({
    seq: fc.nat(), sensorId: tag, kind: fc.constant(kind), district: tag, ts: ms, receivedAt: ms,
    // Plain object (fast-check builds null-prototype records; the store returns ordinary ones).
    flags: fc.nat({ max: 127 }), values: fc.record(values, { requiredKeys: [] }).map((v) => ({ ...v }) as Record<string, FieldValue>),
  });
});

describe('line protocol builders', () => {
  it('readingLine emits exactly what Point emits', () => {
    fc.assert(fc.property(readingOf(tagText), (r) => assert.equal(readingLine(r), pointReading(r))), { numRuns: 2_000 });
  });

  it('aggregateLine emits exactly what Point emits', () => {
    const agg = fc.record({
      scope: fc.constantFrom('sensor' as const, 'district' as const), key: tagText, kind: fc.constantFrom(...KIND_NAMES), district: tagText,
      period: fc.constantFrom('1m' as const, '1h' as const), start: ms, field: tagText, count: fc.nat(),
      mean: fc.double({ noNaN: true, noDefaultInfinity: true }), min: fc.double({ noNaN: true, noDefaultInfinity: true }),
      max: fc.double({ noNaN: true, noDefaultInfinity: true }), last: fc.double({ noNaN: true, noDefaultInfinity: true }),
    });
    fc.assert(fc.property(agg, (a) => assert.equal(aggregateLine(a), pointAggregate(a))), { numRuns: 2_000 });
  });
});

describe('line protocol round trip through influxd', () => {
  let d: Influxd;
  before(async () => {
    d = await startInfluxd();
  });
  after(async () => {
    await d?.stop();
  });

  it('readings with hostile tag and string values read back unchanged', async () => {
    const s = await newInfluxStore(d);
    try {
      let seq = 0;
      await fc.assert(
        fc.asyncProperty(readingOf(tagSafe), async (gen) => {
          // Unique series per run, inside the raw retention.
          const r: Reading = { ...gen, sensorId: `${gen.sensorId}#${++seq}`, ts: Date.now() - seq * 1_000, receivedAt: Date.now() };
          await s.store.writeReadings([r]);
          const [got, ...rest] = await s.store.readings({ sensorId: r.sensorId, from: r.ts, to: r.ts + 1, limit: 5 });
          assert.equal(rest.length, 0);
          assert.deepEqual(got, r);
        }),
        { numRuns: 60 },
      );
      assert.equal(s.store.status().backlogLines, 0, 'nothing was rejected or spooled');
    } finally {
      await s.cleanup();
    }
  });
});
