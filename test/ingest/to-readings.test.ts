import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { QualityFlag, RejectError } from '../../domain/index.ts';
import { decode, toReadings } from '../../ingest/index.ts';
import { sensors } from '../support/sensors.ts';

const policy = { maxFutureSkewMs: 300_000, maxPastSkewMs: 86_400_000, rejectOlderThanMs: 30 * 86_400_000 };
const now = Date.parse('2026-11-22T10:00:00+08:00');
const run = (sensor: (typeof sensors)[keyof typeof sensors], payload: unknown) => toReadings(decode(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))), sensor, now, policy);
const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RejectError, `expected RejectError, got ${String(err)}`);
    return err.reason;
  }
  assert.fail('expected a rejection');
};

describe('ingest: JSON object payloads (P1, P3, P4)', () => {
  it('accepts each kind with device time and keeps only declared fields', () => {
    const at = '2026-11-22T09:59:00+08:00';
    const [aq] = run(sensors.aq, { dateObserved: at, pm25: 12.5, pm10: 30, rssi: -70 });
    assert.deepEqual(aq?.values, { pm25: 12.5, pm10: 30 });
    assert.equal(aq?.ts, Date.parse(at));
    assert.equal(aq?.flags, 0);
    assert.equal(aq?.district, '68000020');
    assert.deepEqual(run(sensors.river, { dateObserved: at, currentLevel: 2.1 })[0]?.values, { currentLevel: 2.1 });
    assert.deepEqual(run(sensors.flood, { dateObserved: at, floodDepth: 4 })[0]?.values, { floodDepth: 4 });
    assert.deepEqual(run(sensors.light, { dateObserved: at, powerState: 'on', status: 'ok', powerConsumption: 98 })[0]?.values, { powerState: 'on', status: 'ok', powerConsumption: 98 });
  });

  it('derives parking counts from capacity and flags them ESTIMATED', () => {
    const [r] = run(sensors.lot, { dateObserved: now, availableSpotNumber: 50 });
    assert.deepEqual(r?.values, { availableSpotNumber: 50, totalSpotNumber: 200, occupiedSpotNumber: 150 });
    assert.ok((r?.flags ?? 0) & QualityFlag.ESTIMATED);
  });

  it('rejects schema violations with SCHEMA', () => {
    assert.equal(reason(() => run(sensors.aq, { pm25: 'high' })), 'SCHEMA');
    assert.equal(reason(() => run(sensors.aq, { pm25: -1 })), 'SCHEMA');
    assert.equal(reason(() => run(sensors.aq, { temperature: 20 })), 'SCHEMA'); // no primary field
    assert.equal(reason(() => run(sensors.light, { powerState: 'dim' })), 'SCHEMA');
    assert.equal(reason(() => run(sensors.lot, { totalSpotNumber: 10, occupiedSpotNumber: 11 })), 'SCHEMA');
    assert.equal(reason(() => run(sensors.river, { floodDepth: 3 })), 'SCHEMA'); // river must report currentLevel
  });

  it('rejects bad JSON and non-objects with BAD_JSON', () => {
    assert.equal(reason(() => run(sensors.aq, '{"pm25":')), 'BAD_JSON');
    assert.equal(reason(() => run(sensors.aq, '42')), 'BAD_JSON');
    assert.equal(reason(() => run(sensors.aq, 'null')), 'BAD_JSON');
  });

  it('flags implausible but valid values OUT_OF_RANGE', () => {
    const [r] = run(sensors.aq, { pm25: 900 });
    assert.ok((r?.flags ?? 0) & QualityFlag.OUT_OF_RANGE);
  });
});

describe('ingest: unit normalisation', () => {
  it('converts declared alternative units to canonical ones', () => {
    const [aq] = run(sensors.aq, { pm25: 0.012, units: { pm25: 'mg/m3' } });
    assert.ok(Math.abs((aq?.values.pm25 as number) - 12) < 1e-9);
    const [river] = run(sensors.river, { currentLevel: 250, units: { currentLevel: 'cm' } });
    assert.equal(river?.values.currentLevel, 2.5);
    const [light] = run(sensors.light, { powerConsumption: 0.1, units: { powerConsumption: 'kW' } });
    assert.equal(light?.values.powerConsumption, 100);
  });

  it('rejects an unknown unit with UNIT instead of mis-scaling', () => {
    assert.equal(reason(() => run(sensors.aq, { pm25: 12, units: { pm25: 'ppm' } })), 'UNIT');
  });
});

describe('ingest: timestamp policy (P5)', () => {
  it('uses receive time with NO_DEVICE_TIME when there is none', () => {
    const [r] = run(sensors.aq, { pm25: 1 });
    assert.equal(r?.ts, now);
    assert.equal(r?.flags, QualityFlag.NO_DEVICE_TIME);
  });
  it('replaces a skewed clock by receive time with CLOCK_SKEW', () => {
    const [r] = run(sensors.aq, { pm25: 1, dateObserved: now + 3_600_000 });
    assert.equal(r?.ts, now);
    assert.equal(r?.flags, QualityFlag.CLOCK_SKEW);
  });
  it('rejects absurd or unparseable times with TIMESTAMP_RANGE', () => {
    assert.equal(reason(() => run(sensors.aq, { pm25: 1, dateObserved: '1970-01-01T00:00:00Z' })), 'TIMESTAMP_RANGE');
    assert.equal(reason(() => run(sensors.aq, { pm25: 1, dateObserved: now + 2 * 86_400_000 })), 'TIMESTAMP_RANGE');
    assert.equal(reason(() => run(sensors.aq, { pm25: 1, dateObserved: '2026-11-22 10:00' })), 'TIMESTAMP_RANGE');
  });
});

describe('ingest: SenML (RFC 8428)', () => {
  it('resolves base name, base time, units and groups records by time', () => {
    const bt = (now - 60_000) / 1000;
    const readings = run(sensors.aq, [
      { bn: 'urn:dev:taoyuan:aq-test-1:', bt, n: 'pm25', u: 'ug/m3', v: 10 },
      { n: 'pm10', v: 20 },
      { n: 'pm25', t: 30, v: 0.011, u: 'mg/m3' },
    ]);
    assert.equal(readings.length, 2);
    assert.deepEqual(readings[0]?.values, { pm25: 10, pm10: 20 });
    assert.equal(readings[0]?.ts, now - 60_000);
    assert.equal(readings[1]?.ts, now - 30_000);
    assert.ok(Math.abs((readings[1]?.values.pm25 as number) - 11) < 1e-9);
  });
  it('treats small times as relative to now (RFC 8428 §4.5.3)', () => {
    const [r] = run(sensors.flood, [{ n: 'floodDepth', u: 'cm', v: 3, t: -10 }]);
    assert.equal(r?.ts, now - 10_000);
  });
  it('rejects malformed packs with BAD_SENML', () => {
    assert.equal(reason(() => run(sensors.aq, [])), 'BAD_SENML');
    assert.equal(reason(() => run(sensors.aq, [42])), 'BAD_SENML');
    assert.equal(reason(() => run(sensors.aq, [{ v: 1 }])), 'BAD_SENML');
    assert.equal(reason(() => run(sensors.aq, [{ n: 'pm25', vb: true }])), 'BAD_SENML');
  });
});

describe('ingest: property — no payload escapes as anything but a reading or a RejectError', () => {
  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...Object.values(sensors)), (value, sensor) => {
        try {
          const readings = run(sensor, JSON.stringify(value) ?? 'null');
          for (const r of readings) {
            assert.equal(r.sensorId, sensor.id);
            assert.ok(Number.isFinite(r.ts));
          }
        } catch (err) {
          assert.ok(err instanceof RejectError, `unexpected ${String(err)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          run(sensors.aq, Buffer.from(bytes).toString('latin1'));
        } catch (err) {
          assert.ok(err instanceof RejectError);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('objects built from the kind fields with random values are accepted iff in range', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 3000, noNaN: true }), (pm25) => {
        const ok = pm25 >= 0 && pm25 <= 2000;
        try {
          const [r] = run(sensors.aq, { pm25 });
          assert.ok(ok, `accepted out-of-range ${pm25}`);
          assert.ok(r?.values.pm25 === pm25, `${String(r?.values.pm25)} !== ${pm25}`); // === so JSON's -0 → 0 counts as equal
        } catch (err) {
          assert.ok(!ok && err instanceof RejectError && err.reason === 'SCHEMA');
        }
      }),
    );
  });
});
