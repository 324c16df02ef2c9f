import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bandOf, loadAqiTable, subIndex } from '../../alerts/aqi/table.ts';
import { createAqiEvaluator } from '../../alerts/rules/aqi.ts';
import { HOUR, MIN, T0, airSensor, reading } from '../analytics/fixtures.ts';
import { L, oneRule } from './helpers.ts';

const table = loadAqiTable();

describe('AQI table and moving average (AQ1–AQ5)', () => {
  it('the table is versioned data that says whether it was verified and cites its source', () => {
    assert.equal(table.id, 'moenv-2025');
    assert.equal(typeof table.verification.verified, 'boolean');
    assert.match(table.verification.statement, /corroborated/i);
    // AQ6: every breakpoint row records its provenance; rows up to AQI 100 are the corroborated ones.
    for (const p of ['pm25', 'pm10'] as const) {
      const bp = table.breakpoints[p];
      assert.equal(bp.provenance?.length, bp.rows.length, p);
      bp.rows.forEach((r, i) => assert.equal(bp.provenance![i], r[3] <= 100 ? 'corroborated' : 'not-corroborated', `${p} row ${i}`));
    }
    assert.equal(bandOf(table, 101).color, 'orange');
    assert.equal(bandOf(table, 100).color, 'yellow');
  });

  it('AQ1 sub-index interpolates inside the row and is monotonic', () => {
    const rows = table.breakpoints.pm25.rows;
    for (const [cLo, cHi, iLo, iHi] of rows) {
      assert.equal(subIndex(table, 'pm25', cLo), iLo);
      assert.equal(subIndex(table, 'pm25', cHi), iHi);
    }
    let prev = -1;
    for (let c = 0; c < 400; c += 0.7) {
      const i = subIndex(table, 'pm25', c);
      assert.ok(i >= prev, `monotonic at ${c}`);
      prev = i;
    }
  });

  it('AQ4 needs the minimum valid hours, then follows 0.5 × 12 h + 0.5 × 4 h', () => {
    const s = { ...airSensor(), intervalSeconds: 600 }; // 6 readings/hour, 5 make a valid hour (75 %)
    const rule = oneRule({ id: 'aqi', type: 'aqi', minAqi: 101, label: L('aqi') });
    const ev = createAqiEvaluator(table);
    const st = ev.init(rule, s);
    const verdicts: (ReturnType<NonNullable<typeof ev.onReading>>)[] = [];
    // 8 clean hours (10 µg/m³), then 4 dirty hours (C_hi µg/m³) at 10-minute readings.
    const orangeLow = table.breakpoints.pm25.rows[2]![0];
    const dirty = orangeLow * 2.2; // long mean = (8×10 + 4×d)/12, short = d → moving ≈ 0.5(6.67+d/3)+0.5d
    for (let h = 0; h < 12; h++) {
      for (let k = 0; k < 6; k++) verdicts.push(ev.onReading!(st, reading(s, T0 + h * HOUR + k * 10 * MIN, { pm25: h < 8 ? 10 : dirty }), rule, s));
    }
    assert.equal(verdicts[0], undefined, 'no AQI before the minimum valid hours');
    const last = verdicts[verdicts.length - 1]!;
    const expected = 0.5 * ((8 * 10 + 4 * dirty) / 12) + 0.5 * dirty;
    assert.equal(last.value, subIndex(table, 'pm25', expected));
    assert.ok(last.value >= 101, `AQI ${last.value} is orange or worse`);
    assert.notEqual(last.severity, null);
    const firstDefined = verdicts.findIndex((v) => v !== undefined);
    assert.ok(firstDefined >= 6 * 5, `needs 6 valid hours (first verdict at reading ${firstDefined})`);
  });
});
