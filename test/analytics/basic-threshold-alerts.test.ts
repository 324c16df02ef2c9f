import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertChange, FieldValue, Reading, Sensor } from '../../domain/index.ts';
import { BasicThresholdAlerts, groupRules } from '../../analytics/index.ts';
import { KINDS } from '../../domain/index.ts';
import { T0, airSensor, parkingSensor, reading, riverSensor, roadFloodSensor, streetlightSensor } from './fixtures.ts';

const S = 1_000;
const summary = (changes: readonly AlertChange[]): [string, string, string][] => changes.map((c) => [c.type, c.alert.ruleId, c.alert.severity]);

/** Feeds (offset, values) pairs; returns every change in order. */
function feed(engine: BasicThresholdAlerts, sensor: Sensor, steps: readonly [number, Record<string, FieldValue>][]): AlertChange[] {
  return steps.flatMap(([dt, values]) => engine.onReading(reading(sensor, T0 + dt, values), sensor));
}

describe('BasicThresholdAlerts: the four kinds', () => {
  it('air quality: opens once above the PM2.5 threshold, no duplicate while high, resolves, reopens with a new id', () => {
    const engine = new BasicThresholdAlerts();
    const aq = airSensor('aq-1');
    const opened = engine.onReading(reading(aq, T0, { pm25: 40.25, pm10: 10 }), aq);
    assert.deepEqual(summary(opened), [['opened', 'basic.aq.pm25', 'warning']]);
    const a = opened[0]!.alert;
    assert.deepEqual([a.id, a.subject, a.kind, a.district, a.state, a.openedAt, a.updatedAt, a.value, a.threshold, a.field], ['basic.aq.pm25:aq-1:' + T0, 'aq-1', 'air-quality', '6800100', 'open', T0, T0, 40.25, 35.5, 'pm25']);
    assert.equal(a.message['zh-TW'], '桃園站微型感測器：PM2.5 濃度偏高（細懸浮微粒 PM2.5 40.25 µg/m³，門檻 ≥ 35.5 µg/m³）');
    assert.equal(a.message.en, 'Taoyuan micro-sensor: PM2.5 high (PM2.5 40.25 µg/m³, threshold ≥ 35.5 µg/m³)');
    assert.deepEqual(feed(engine, aq, [[60 * S, { pm25: 80 }], [120 * S, { pm10: 5 }]]), []);
    const resolved = feed(engine, aq, [[180 * S, { pm25: 12 }]]);
    assert.deepEqual(summary(resolved), [['resolved', 'basic.aq.pm25', 'warning']]);
    assert.deepEqual([resolved[0]!.alert.id, resolved[0]!.alert.resolvedAt, resolved[0]!.alert.value], [a.id, T0 + 180 * S, 12]);
    assert.match(resolved[0]!.alert.message['zh-TW'], /已解除/);
    assert.deepEqual(engine.open(), []);
    const again = feed(engine, aq, [[240 * S, { pm25: 36 }]]);
    assert.equal(again[0]!.alert.id, `basic.aq.pm25:aq-1:${T0 + 240 * S}`);
  });

  it('river station: one alert whose severity follows warning levels 3 → 2 → 1 and back (rule A1)', () => {
    const engine = new BasicThresholdAlerts();
    const river = riverSensor();
    const changes = feed(engine, river, [
      [0, { currentLevel: 1.5 }],
      [10 * S, { currentLevel: 2.5 }],
      [20 * S, { currentLevel: 2.7 }],
      [30 * S, { currentLevel: 3.4 }],
      [40 * S, { currentLevel: 4.1 }],
      [50 * S, { currentLevel: 3.2 }],
      [60 * S, { currentLevel: 1.9 }],
    ]);
    assert.deepEqual(
      changes.map((c) => [c.type, c.alert.severity, c.alert.threshold, c.alert.value]),
      [['opened', 'advisory', 2, 2.5], ['updated', 'warning', 3, 3.4], ['updated', 'critical', 4, 4.1], ['updated', 'warning', 3, 3.2], ['resolved', 'warning', 3, 1.9]],
    );
    assert.equal(new Set(changes.map((c) => c.alert.id)).size, 1);
    assert.equal(changes[0]!.alert.ruleId, 'basic.water.currentLevel');
    assert.equal(changes[2]!.alert.message['zh-TW'], '南崁溪橋：河川水位達一級警戒（水位 4.1 m，門檻 ≥ 4 m）');
    assert.equal(changes[4]!.alert.message.en, 'Nankan Creek Bridge: River at warning level 2 cleared (Water stage 1.9 m)');
  });

  it('road flood sensor: per-sensor threshold in cm', () => {
    const engine = new BasicThresholdAlerts();
    const six = roadFloodSensor('rf-6', undefined, 6);
    const ten = roadFloodSensor('rf-10', undefined, 10);
    assert.deepEqual(summary(feed(engine, six, [[0, { floodDepth: 7 }]])), [['opened', 'basic.water.flood', 'warning']]);
    assert.deepEqual(feed(engine, ten, [[0, { floodDepth: 7 }]]), []);
    const res = feed(engine, six, [[60 * S, { floodDepth: 2 }]]);
    assert.deepEqual(summary(res), [['resolved', 'basic.water.flood', 'warning']]);
    assert.match(res[0]!.alert.message['zh-TW'], /中正路地下道：道路積淹水 已解除（淹水深度 2 cm）/);
  });

  it('streetlight: a string condition (defective lamp) opens with value 1 and resolves with value 0 (A6)', () => {
    const engine = new BasicThresholdAlerts();
    const lamp = streetlightSensor();
    const opened = feed(engine, lamp, [[0, { status: 'defectiveLamp', powerState: 'on' }]]);
    assert.deepEqual(opened.map((c) => [c.type, c.alert.value, c.alert.field]), [['opened', 1, 'status']]);
    assert.match(opened[0]!.alert.message['zh-TW'], /中央路燈 12 號：路燈燈具故障（設備狀態 defectiveLamp，條件 = defectiveLamp）/);
    assert.deepEqual(feed(engine, lamp, [[10 * S, { powerConsumption: 3 }]]), []);
    assert.deepEqual(feed(engine, lamp, [[20 * S, { status: 'ok' }]]).map((c) => [c.type, c.alert.value]), [['resolved', 0]]);
  });

  it('parking: full at capacity', () => {
    const engine = new BasicThresholdAlerts();
    const lot = parkingSensor('pk-1', undefined, 200);
    const changes = feed(engine, lot, [[0, { occupiedSpotNumber: 199 }], [S, { occupiedSpotNumber: 200 }], [2 * S, { occupiedSpotNumber: 150 }]]);
    assert.deepEqual(summary(changes), [['opened', 'basic.parking.full', 'advisory'], ['resolved', 'basic.parking.full', 'advisory']]);
    assert.match(changes[0]!.alert.message['zh-TW'], /已停車位 200 格，門檻 ≥ 200 格/);
  });
});

describe('BasicThresholdAlerts: ordering, restart and isolation (A4, AE2–AE4)', () => {
  it('A4: ignores readings at or before the last evaluated time (late, duplicate)', () => {
    const engine = new BasicThresholdAlerts();
    const aq = airSensor();
    feed(engine, aq, [[60 * S, { pm25: 50 }]]);
    assert.deepEqual(feed(engine, aq, [[30 * S, { pm25: 1 }], [60 * S, { pm25: 1 }]]), []);
    assert.equal(engine.open().length, 1);
  });

  it('AE4: after restore, replaying the journal of every kind reopens nothing; only alerts closed before the crash recur, identically', () => {
    const sensors = [airSensor(), riverSensor(), roadFloodSensor(), streetlightSensor(), parkingSensor()];
    const high: Record<string, FieldValue>[] = [{ pm25: 90 }, { currentLevel: 3.5 }, { floodDepth: 30 }, { status: 'defectiveLamp' }, { occupiedSpotNumber: 200 }];
    const low: Record<string, FieldValue>[] = [{ pm25: 5 }, { currentLevel: 0.5 }, { floodDepth: 0 }, { status: 'ok' }, { occupiedSpotNumber: 10 }];
    const journal: { r: Reading; s: Sensor }[] = [];
    sensors.forEach((s, i) => {
      // Sensors 0–2 end high (alert open at the crash), 3–4 end low (alert opened and resolved).
      const seq = i < 3 ? [low[i]!, high[i]!, high[i]!] : [high[i]!, low[i]!, low[i]!];
      seq.forEach((values, k) => journal.push({ r: reading(s, T0 + k * 60 * S + i, values), s }));
    });
    const before = new BasicThresholdAlerts();
    const first = journal.flatMap(({ r, s }) => before.onReading(r, s));
    assert.deepEqual(first.map((c) => c.type).sort(), ['opened', 'opened', 'opened', 'opened', 'opened', 'resolved', 'resolved']);
    const after = new BasicThresholdAlerts();
    after.restore(before.open());
    const replayed = journal.flatMap(({ r, s }) => after.onReading(r, s));
    // Sensors with an open alert: nothing. Sensors whose alert closed before the crash are not in
    // storage's open set, so their readings are evaluated again and give the very same changes (same ids).
    assert.deepEqual(replayed, first.filter((c) => c.alert.subject === 'sl-1' || c.alert.subject === 'pk-1'));
    assert.deepEqual(after.open().map((a) => a.id).sort(), before.open().map((a) => a.id).sort());
  });

  it('AE4: a crash between two readings gives the same later changes as an uninterrupted run', () => {
    const river = riverSensor();
    const levels = [1, 2.2, 3.1, 4.5, 2.5, 1.2, 3.3];
    const rs = levels.map((v, k) => reading(river, T0 + k * 600 * S, { currentLevel: v }));
    const whole = new BasicThresholdAlerts();
    const all = rs.flatMap((r) => whole.onReading(r, river));
    const a = new BasicThresholdAlerts();
    rs.slice(0, 4).forEach((r) => a.onReading(r, river));
    const b = new BasicThresholdAlerts();
    b.restore(a.open());
    const later = rs.slice(1).flatMap((r) => b.onReading(r, river)); // journal replays from an older checkpoint
    assert.deepEqual(later, all.filter((c) => c.alert.updatedAt > T0 + 3 * 600 * S));
  });

  it('a rise in severity re-opens an acknowledged alert; a fall keeps the acknowledgement', () => {
    const river = riverSensor();
    const first = new BasicThresholdAlerts();
    const [opened] = feed(first, river, [[0, { currentLevel: 3.2 }]]);
    const engine = new BasicThresholdAlerts();
    engine.restore([{ ...opened!.alert, state: 'acknowledged' }]);
    const [down] = feed(engine, river, [[S, { currentLevel: 2.2 }]]);
    assert.deepEqual([down!.type, down!.alert.severity, down!.alert.state], ['updated', 'advisory', 'acknowledged']);
    const [up] = feed(engine, river, [[2 * S, { currentLevel: 4.2 }]]);
    assert.deepEqual([up!.type, up!.alert.severity, up!.alert.state], ['updated', 'critical', 'open']);
  });

  it('AE2: emitted alerts are copies; changing one does not change engine state', () => {
    const engine = new BasicThresholdAlerts();
    const aq = airSensor();
    const [c] = feed(engine, aq, [[0, { pm25: 99 }]]);
    c!.alert.severity = 'critical';
    c!.alert.value = -1;
    assert.deepEqual(engine.open().map((a) => [a.severity, a.value]), [['warning', 99]]);
  });

  it('keeps restored alerts whose rule it does not know, untouched, and carries alerts over a registry reload', () => {
    const engine = new BasicThresholdAlerts();
    const aq = airSensor();
    const [c] = feed(engine, aq, [[0, { pm25: 99 }]]);
    engine.restore([{ ...c!.alert, id: 'x', ruleId: 'engine2.aqi', subject: 'aq-1' }]);
    const reloaded = airSensor('aq-1', undefined, 80); // new Sensor object, threshold raised
    const changes = feed(engine, reloaded, [[S, { pm25: 70 }]]);
    assert.deepEqual(changes.map((x) => [x.type, x.alert.id]), [['resolved', c!.alert.id]]);
    assert.deepEqual(engine.open().map((a) => a.ruleId), ['engine2.aqi']);
  });

  it('a sensor with malformed params throws for its own readings only', () => {
    const engine = new BasicThresholdAlerts();
    const broken: Sensor = { ...riverSensor('wl-broken'), params: { station: 'river' } };
    assert.throws(() => engine.onReading(reading(broken, T0, { currentLevel: 9 }), broken), TypeError);
    assert.equal(feed(engine, riverSensor(), [[0, { currentLevel: 9 }]]).length, 1);
  });
});

describe('groupRules (A1)', () => {
  it('groups levels of one field and direction, keeps single rules and equals rules by their own id', () => {
    const ids = (s: Sensor) => groupRules(KINDS[s.kind].thresholds(s)).map((g) => [g.id, g.rules.map((r) => r.ruleId)]);
    assert.deepEqual(ids(riverSensor()), [['basic.water.currentLevel', ['basic.water.level1', 'basic.water.level2', 'basic.water.level3']]]);
    assert.deepEqual(ids(roadFloodSensor()), [['basic.water.flood', ['basic.water.flood']]]);
    assert.deepEqual(ids(streetlightSensor()), [['basic.light.defective', ['basic.light.defective']]]);
    const below = groupRules([
      { ruleId: 'x.low.warn', field: 'v', op: 'below', threshold: 5, severity: 'warning', label: { 'zh-TW': '', en: '' } },
      { ruleId: 'x.low.crit', field: 'v', op: 'below', threshold: 2, severity: 'critical', label: { 'zh-TW': '', en: '' } },
    ]);
    assert.deepEqual(below.map((g) => [g.id, g.rules.map((r) => r.threshold)]), [['x.low.v.low', [2, 5]]]);
  });
});
