import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Aggregate } from '../../domain/index.ts';
import { Aggregator } from '../../analytics/index.ts';
import { HOUR, MIN, T0, TAOYUAN, ZHONGLI, airSensor, parkingSensor, reading, streetlightSensor } from './fixtures.ts';

function pick(out: readonly Aggregate[], scope: Aggregate['scope'], key: string, period: Aggregate['period'], start: number, field: string): Aggregate {
  const found = out.filter((a) => a.scope === scope && a.key === key && a.period === period && a.start === start && a.field === field);
  assert.equal(found.length, 1, `exactly one ${scope}/${key}/${period}/${start}/${field}, got ${found.length}`);
  return found[0]!;
}

describe('Aggregator: per-sensor 1m windows', () => {
  it('computes count, mean, min, max and last per numeric field, each field counted on its own', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const aq = airSensor();
    assert.equal(agg.add(reading(aq, T0 + 5_000, { pm25: 10, pm10: 30 })), true);
    assert.equal(agg.add(reading(aq, T0 + 20_000, { pm25: 30 })), true);
    assert.equal(agg.add(reading(aq, T0 + 40_000, { pm25: 20, pm10: 50, temperature: 27.5 })), true);
    const out = agg.advance(T0 + MIN);
    const pm25 = pick(out, 'sensor', 'aq-1', '1m', T0, 'pm25');
    assert.deepEqual(pm25, { scope: 'sensor', key: 'aq-1', kind: 'air-quality', district: TAOYUAN.code, period: '1m', start: T0, field: 'pm25', count: 3, mean: 20, min: 10, max: 30, last: 20 });
    const pm10 = pick(out, 'sensor', 'aq-1', '1m', T0, 'pm10');
    assert.equal(pm10.count, 2);
    assert.equal(pm10.mean, 40);
    assert.equal(pick(out, 'sensor', 'aq-1', '1m', T0, 'temperature').count, 1);
    // Fields never reported in the window produce no aggregate.
    assert.equal(out.some((a) => a.field === 'no2'), false);
  });

  it('puts ts = start + 59 999 ms and ts = start + 60 000 ms in different windows (UTC-aligned [start, end))', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const pk = parkingSensor();
    agg.add(reading(pk, T0 + 59_999, { occupiedSpotNumber: 5 }));
    agg.add(reading(pk, T0 + 60_000, { occupiedSpotNumber: 7 }));
    const first = agg.advance(T0 + MIN);
    assert.deepEqual(first.filter((a) => a.scope === 'sensor').map((a) => [a.start, a.last]), [[T0, 5]]);
    const second = agg.advance(T0 + 2 * MIN);
    assert.deepEqual(second.filter((a) => a.scope === 'sensor').map((a) => [a.start, a.last]), [[T0 + MIN, 7]]);
  });

  it('takes "last" by event time, not arrival order', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const pk = parkingSensor();
    agg.add(reading(pk, T0 + 50_000, { occupiedSpotNumber: 1 }));
    agg.add(reading(pk, T0 + 10_000, { occupiedSpotNumber: 2 }));
    assert.equal(pick(agg.advance(T0 + MIN), 'sensor', 'pk-1', '1m', T0, 'occupiedSpotNumber').last, 1);
  });

  it('reuses a sensor accumulator across windows without mixing them', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const pk = parkingSensor();
    for (let m = 0; m < 5; m++) {
      agg.add(reading(pk, T0 + m * MIN + 1_000, { occupiedSpotNumber: m * 10 }));
      agg.add(reading(pk, T0 + m * MIN + 2_000, { occupiedSpotNumber: m * 10 + 2 }));
      const a = pick(agg.advance(T0 + (m + 1) * MIN), 'sensor', 'pk-1', '1m', T0 + m * MIN, 'occupiedSpotNumber');
      assert.deepEqual([a.count, a.min, a.max, a.mean], [2, m * 10, m * 10 + 2, m * 10 + 1]);
    }
  });

  it('holds nothing for a reading without numeric fields (status-only streetlight)', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    assert.equal(agg.add(reading(streetlightSensor(), T0, { status: 'ok', powerState: 'on' })), true);
    assert.equal(agg.retainedFromSeq(), Infinity);
    assert.deepEqual(agg.flushAll(), []);
  });

  it('emits nothing for empty input', () => {
    const agg = new Aggregator({ allowedLatenessMs: 60_000 });
    assert.deepEqual(agg.advance(T0), []);
    assert.deepEqual(agg.advance(T0 + 5 * HOUR), []);
    assert.equal(agg.retainedFromSeq(), Infinity);
    assert.deepEqual(agg.flushAll(), []);
    assert.deepEqual(agg.stats(), { accepted: 0, late: 0, sensors: 0, openMinutes: 0, openHours: 0, watermarkMs: T0 + 5 * HOUR - 60_000 });
  });

  it('rejects invalid lateness and non-finite timestamps with coded errors', () => {
    assert.throws(() => new Aggregator({ allowedLatenessMs: -1 }), { code: 'BAD_OPTIONS' });
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    assert.throws(() => agg.add(reading(parkingSensor(), Number.NaN, { occupiedSpotNumber: 1 })), { code: 'BAD_TIMESTAMP' });
    agg.add(reading(parkingSensor('x'), T0, { occupiedSpotNumber: 1 }));
    assert.throws(() => agg.add({ ...reading(parkingSensor('x'), T0, {}), kind: 'streetlight' }), { code: 'KIND_CHANGED' });
  });
});

describe('Aggregator: district scope', () => {
  it('merges sensor windows: mean = total sum / total count, not the mean of sensor means', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const a = airSensor('aq-a', TAOYUAN);
    const b = airSensor('aq-b', TAOYUAN);
    const c = airSensor('aq-c', ZHONGLI);
    agg.add(reading(a, T0 + 1_000, { pm25: 10 }));
    agg.add(reading(a, T0 + 2_000, { pm25: 20 }));
    agg.add(reading(a, T0 + 3_000, { pm25: 30 }));
    agg.add(reading(b, T0 + 4_000, { pm25: 100 }));
    agg.add(reading(b, T0 + 500, { pm25: 0 }));
    agg.add(reading(c, T0 + 9_000, { pm25: 999 }));
    const out = agg.advance(T0 + MIN);
    const d = pick(out, 'district', TAOYUAN.code, '1m', T0, 'pm25');
    // Mean of sensor means would be (20 + 50) / 2 = 35; the reading mean is 160 / 5 = 32.
    assert.deepEqual([d.count, d.mean, d.min, d.max, d.last, d.kind, d.district], [5, 32, 0, 100, 100, 'air-quality', TAOYUAN.code]);
    assert.equal(pick(out, 'district', ZHONGLI.code, '1m', T0, 'pm25').count, 1);
  });

  it('keeps kinds apart within one district', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    agg.add(reading(airSensor('aq', TAOYUAN), T0, { pm25: 5 }));
    agg.add(reading(parkingSensor('pk', TAOYUAN), T0, { occupiedSpotNumber: 50 }));
    const districts = agg.advance(T0 + MIN).filter((x) => x.scope === 'district');
    assert.deepEqual(districts.map((x) => [x.kind, x.field]).sort(), [['air-quality', 'pm25'], ['parking', 'occupiedSpotNumber']]);
  });
});

describe('Aggregator: 1h windows from closed 1m windows', () => {
  it('emits the hour only when it closes, equal to the recomputation over all its readings', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const a = parkingSensor('pk-a', TAOYUAN);
    const b = parkingSensor('pk-b', TAOYUAN);
    const values: number[] = [];
    for (let m = 0; m < 60; m += 7) {
      const v = (m * 37) % 101;
      values.push(v, v + 1);
      agg.add(reading(a, T0 + m * MIN + 3_000, { occupiedSpotNumber: v }));
      agg.add(reading(b, T0 + m * MIN + 4_000, { occupiedSpotNumber: v + 1 }));
    }
    agg.add(reading(a, T0 + HOUR, { occupiedSpotNumber: 1 })); // next hour: must not leak in
    const before = agg.advance(T0 + HOUR - 1);
    assert.equal(before.some((x) => x.period === '1h'), false);
    const out = agg.advance(T0 + HOUR);
    const sensorA = pick(out, 'sensor', 'pk-a', '1h', T0, 'occupiedSpotNumber');
    const aVals = values.filter((_, i) => i % 2 === 0);
    assert.deepEqual([sensorA.count, sensorA.min, sensorA.max, sensorA.last], [aVals.length, Math.min(...aVals), Math.max(...aVals), aVals.at(-1)]);
    assert.equal(sensorA.mean, aVals.reduce((s, v) => s + v, 0) / aVals.length);
    const district = pick(out, 'district', TAOYUAN.code, '1h', T0, 'occupiedSpotNumber');
    assert.equal(district.count, values.length);
    assert.equal(district.mean, values.reduce((s, v) => s + v, 0) / values.length);
    assert.equal(district.last, values.at(-1)); // pk-b's reading at minute 56 + 4 s is the latest
    const next = agg.flushAll().filter((x) => x.period === '1h');
    assert.deepEqual(next.map((x) => [x.scope, x.start, x.count]), [['sensor', T0 + HOUR, 1], ['district', T0 + HOUR, 1]]);
  });

  it('closes hours in order when one tick jumps over several hours', () => {
    const agg = new Aggregator({ allowedLatenessMs: 0 });
    const pk = parkingSensor();
    agg.add(reading(pk, T0 + 10 * MIN, { occupiedSpotNumber: 1 }));
    agg.add(reading(pk, T0 + HOUR + 10 * MIN, { occupiedSpotNumber: 2 }));
    agg.add(reading(pk, T0 + 2 * HOUR + 10 * MIN, { occupiedSpotNumber: 3 }));
    const hours = agg.advance(T0 + 3 * HOUR).filter((x) => x.period === '1h' && x.scope === 'sensor');
    assert.deepEqual(hours.map((x) => [x.start, x.count, x.last]), [[T0, 1, 1], [T0 + HOUR, 1, 2], [T0 + 2 * HOUR, 1, 3]]);
  });
});
