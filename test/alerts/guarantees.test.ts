import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Sensor } from '../../domain/index.ts';
import { HOUR, MIN, T0, parkingSensor, reading, riverSensor, streetlightSensor } from '../analytics/fixtures.ts';
import { openStore } from '../exporter/fixture.ts';
import { CONTACTS, RULES, received, startVirtual, storeView, type Virtual } from './virtual.ts';

/**
 * The alert guarantees AL1–AL9 (ARCHITECTURE.md "Alerts"), one deterministic situation
 * each, on the real alert runtime and a virtual clock. test/alerts/generated.test.ts
 * checks the same invariants on generated sequences.
 */
const river = riverSensor(); // levels 3/2/1 = 2 / 3 / 4 m
const park = parkingSensor();
const lamp = streetlightSensor();
export const SENSORS: readonly Sensor[] = [river, park, lamp];

describe('alert guarantees AL1–AL9 (virtual time, real runtime)', () => {
  const open: Virtual[] = [];
  const start = async (sensors: readonly Sensor[] = SENSORS, start = T0): Promise<Virtual> => {
    const v = await startVirtual({ rules: RULES, contactsYaml: CONTACTS, sensors, start });
    open.push(v);
    return v;
  };
  after(async () => {
    for (const v of open) await v.close().catch(() => undefined);
  });
  /** Feeds one river level at device time = pipeline time = clock.now, then ticks. */
  const level = (v: Virtual, m: number, at = v.clock.now) => {
    v.service.onReading(reading(river, at, { currentLevel: m }), river);
  };
  const step = (v: Virtual, ms: number) => {
    v.clock.now += ms;
    v.service.tick(v.clock.now);
  };
  const of = (v: Virtual, sub: string, ruleId = 'river') => v.notices.filter((n) => n.sub === sub && n.ruleId === ruleId).map((n) => `${n.reason}:${n.severity}`);

  it('AL1 symptom 1: a minSeverity warning subscriber hears the rise 3 → 2 at level 2, each change once, and the all-clear', async () => {
    const v = await start([river]);
    for (const m of [2.5, 3.5, 4.5, 3.5, 2.5, 1]) {
      level(v, m);
      step(v, MIN);
    }
    assert.deepEqual(of(v, 'flood-warning'), ['opened:warning', 'updated:critical', 'updated:warning', 'left:advisory']);
    assert.deepEqual(of(v, 'all'), ['opened:advisory', 'updated:warning', 'updated:critical', 'updated:warning', 'updated:advisory', 'resolved:advisory']);
    assert.deepEqual(of(v, 'crit'), ['opened:critical', 'left:warning']);
  });

  it('AL2 symptom 2: a critical alert that falls back and resolves stops its reminders and tells the escalation contacts', async () => {
    const v = await start([river]);
    level(v, 4.5);
    for (let i = 0; i < 20; i++) step(v, MIN);
    const crit = v.notices.filter((n) => n.sub === 'crit').map((n) => `${n.reason}:${n.contacts}`);
    assert.deepEqual(crit, ['opened:duty', 'reminder:duty', 'reminder:duty', 'escalation:duty+chief', 'reminder:duty+chief']);
    level(v, 2.5); // critical → advisory: leaves the crit view
    step(v, MIN);
    const n = v.notices.length;
    for (let i = 0; i < 120; i++) step(v, MIN);
    assert.equal(v.notices.filter((x) => x.reason === 'reminder' || x.reason === 'escalation').length, 4);
    assert.deepEqual(v.notices.filter((x) => x.sub === 'crit').slice(-1).map((x) => `${x.reason}:${x.contacts}`), ['left:duty+chief']);
    level(v, 1);
    step(v, MIN);
    assert.deepEqual(v.notices.slice(n).filter((x) => x.ruleId === 'river').map((x) => `${x.sub}:${x.reason}`), ['all:resolved'], 'only the subscriber still seeing it hears the resolve');
    await v.restart();
    for (let i = 0; i < 60; i++) step(v, MIN);
    assert.equal(v.notices.filter((x) => x.ruleId === 'river').length, v.notices.slice(0, n).filter((x) => x.ruleId === 'river').length + 1, 'no ghost reminder after a restart');
  });

  it('AL3 symptom 3: a clean restart with the journal replayed adds no notice and no store change; resolved stays resolved', async () => {
    const v = await start([river, park]);
    const replay = [];
    for (const m of [2.5, 3.5, 4.5, 1, 1, 2.5]) {
      const r = reading(river, v.clock.now, { currentLevel: m });
      replay.push(r);
      v.service.onReading(r, river);
      step(v, MIN);
    }
    const [notices, persisted] = [v.notices.length, v.persisted.length];
    const before = [...storeView(v.persisted).values()].map((a) => `${a.id}:${a.state}`).sort();
    await v.restart();
    for (const r of replay) v.service.onReading(r, river); // the journal replay after the checkpoint
    step(v, MIN);
    await v.settle();
    assert.deepEqual(v.notices.slice(notices), [], 'no notice repeated');
    assert.equal(v.persisted.length, persisted, 'no change repeated to the main store');
    assert.deepEqual([...storeView(v.persisted).values()].map((a) => `${a.id}:${a.state}`).sort(), before);
    // Without the snapshot (a crash before it was written) the replay is still recognised (SV7).
    await v.restart();
    await rm(path.join(v.dir, 'engine-snapshot.json'));
    await v.restart(); // close() writes a fresh one: remove it again to simulate the crash
    await rm(path.join(v.dir, 'engine-snapshot.json'));
    await v.restart();
    await rm(path.join(v.dir, 'engine-snapshot.json'), { force: true });
    for (const r of replay) v.service.onReading(r, river);
    step(v, MIN);
    await v.settle();
    assert.equal(v.notices.length, notices, 'no notice repeated without a snapshot either');
    assert.equal(v.persisted.length, persisted);
    assert.deepEqual(v.service.engine.open().map((a) => a.id).sort(), [...storeView(v.persisted).values()].filter((a) => a.state !== 'resolved').map((a) => a.id).sort());
    assert.ok(v.hooks.length > 0 && v.hooks.every((h) => h.verified), 'every webhook signed');
    assert.equal(v.hooks.length, v.notices.reduce((n, x) => n + x.contacts.split('+').length, 0), 'one webhook per notice and contact, none repeated');
  });

  it('AL3 symptom 3: a duration in progress (parking count stuck for 6 h) survives a restart', async () => {
    const v = await start([park]);
    for (let i = 0; i <= 30; i++) {
      v.service.onReading(reading(park, v.clock.now, { occupiedSpotNumber: 120 }), park);
      step(v, 10 * MIN); // 5 h of the same count
    }
    assert.equal(v.service.engine.open().filter((a) => a.ruleId === 'parking.stuck').length, 0);
    await v.restart();
    for (let i = 0; i < 8; i++) {
      v.service.onReading(reading(park, v.clock.now, { occupiedSpotNumber: 120 }), park);
      step(v, 10 * MIN);
    }
    const stuck = v.service.engine.open().filter((a) => a.ruleId === 'parking.stuck');
    assert.equal(stuck.length, 1, 'opened 6 h after the count froze, not 6 h after the restart');
    assert.ok(stuck[0]!.openedAt <= T0 + 6 * HOUR + 10 * MIN);
    await v.restart();
    v.service.onReading(reading(park, v.clock.now, { occupiedSpotNumber: 120 }), park);
    step(v, 10 * MIN);
    assert.equal(v.service.engine.open().filter((a) => a.ruleId === 'parking.stuck').length, 1, 'a still-valid alert is not resolved by a restart');
  });

  it('AL4 symptom 4: one retained state per (sensor, rule); resolving one rule leaves the other rule\'s critical alert retained', async () => {
    const v = await start([river]);
    for (let i = 0; i < 3; i++) {
      level(v, 4.5);
      step(v, MIN);
    }
    await v.settle();
    const base = `alerts/water-level/${river.district.code}/${river.id}`;
    assert.deepEqual([...v.retained.keys()].sort(), [base, `${base}/river`, `${base}/river.stuck`]);
    level(v, 4.6); // stuck clears, river stays critical
    step(v, MIN);
    await v.settle();
    assert.deepEqual([...v.retained.keys()].sort(), [base, `${base}/river`]);
    assert.equal(JSON.parse(v.retained.get(`${base}/river`)!).severity, 'critical');
    assert.deepEqual(JSON.parse(v.retained.get(base)!).alerts.map((a: { ruleId: string }) => a.ruleId), ['river']);
    await v.restart(); // the broker lost its retained messages: republished
    assert.equal(JSON.parse(v.retained.get(`${base}/river`)!).severity, 'critical');
  });

  it('AL5 symptom 5: two sessions of one sensor: no offline while one lives; offline after the last ends (also right after CONNACK)', async () => {
    const v = await start([river]);
    const offline = () => v.service.engine.open().filter((a) => a.ruleId === 'health.offline');
    await v.service.onConnection(river, true, v.clock.now); // session A
    await v.service.onConnection(river, true, v.clock.now); // session B (same or another client id)
    await v.service.onConnection(river, false, v.clock.now); // A ends
    for (let i = 0; i < 5; i++) step(v, MIN);
    assert.equal(offline().length, 0, 'connected through B');
    await v.service.onConnection(river, false, v.clock.now); // B ends
    step(v, MIN);
    assert.equal(offline().length, 0, 'within the grace period');
    step(v, 2 * MIN);
    assert.equal(offline().length, 1);
    await v.service.onConnection(river, true, v.clock.now);
    assert.equal(offline().length, 0, 'resolved on reconnect');
    await v.service.onConnection(river, false, v.clock.now); // a session that ended during CONNACK: up + down
    step(v, 3 * MIN);
    assert.equal(offline().length, 1);
    await v.service.onConnection(river, false, v.clock.now); // a stray down is ignored
    assert.equal(v.service.liveSessions(river.id), 0);
  });

  it('AL6 symptom 6: escalation counts from when the pipeline raised the alert, not from buffered device time', async () => {
    const v = await start([river]);
    v.service.onReading(received(reading(river, v.clock.now - HOUR, { currentLevel: 4.5 }), v.clock.now), river);
    step(v, 1000);
    assert.deepEqual(v.notices.filter((n) => n.sub === 'crit').map((n) => n.reason), ['opened']);
    for (let i = 0; i < 14; i++) step(v, MIN);
    assert.equal(v.notices.filter((n) => n.reason === 'escalation').length, 0);
    step(v, MIN);
    assert.equal(v.notices.filter((n) => n.reason === 'escalation').length, 1);
  });

  it('AL6 symptom 7: back-filled readings of a silent sensor end its silence once; times never go backwards', async () => {
    const v = await start([river]);
    v.service.onReading(reading(river, v.clock.now, { currentLevel: 1 }), river);
    for (let i = 0; i < 20; i++) step(v, MIN); // interval 60 s × 3 → silent
    const t = v.clock.now;
    for (let k = 0; k < 6; k++) {
      v.service.onReading(received(reading(river, t - (18 - 3 * k) * MIN, { currentLevel: 1 }), v.clock.now), river);
      step(v, 1000);
    }
    await v.settle();
    const silent = [...storeView(v.persisted).values()].filter((a) => a.ruleId === 'health.silent');
    assert.equal(silent.length, 1, 'one silence, one alert');
    assert.equal(silent[0]!.state, 'resolved');
    assert.ok(silent[0]!.resolvedAt! >= silent[0]!.openedAt);
  });

  it('AL8 symptom 8: the store (DuckDB) holds the engine\'s view after a staff ack, a resolve on earlier device time and a schedule-based resolve', async () => {
    const { store, dispose } = await openStore();
    try {
      const v = await start([river, lamp], T0 + 11 * HOUR); // 19:00 +08:00: the lamp is scheduled on
      // Device clock 5 min behind the pipeline: readings carry earlier times than the ack.
      v.service.onReading(reading(river, v.clock.now - 5 * MIN, { currentLevel: 4.5 }), river);
      v.service.onReading(reading(lamp, v.clock.now, { powerConsumption: 0 }), lamp);
      step(v, MIN);
      const id = v.service.engine.open().find((a) => a.ruleId === 'river')!.id;
      await v.service.acknowledge(id, 'amy');
      v.service.onReading(reading(river, v.clock.now - 4 * MIN, { currentLevel: 1 }), river);
      v.clock.now = T0 + 22 * HOUR + 30 * MIN; // 06:30 +08:00: outside the schedule → clears
      v.service.onReading(reading(lamp, v.clock.now, { powerConsumption: 0 }), lamp);
      step(v, MIN);
      await v.settle();
      await store.writeAlertChanges(v.persisted);
      const rows = await store.alerts({ limit: 100 });
      const engineOpen = new Set(v.service.engine.open().map((a) => a.id));
      for (const r of rows) {
        assert.equal(r.state !== 'resolved', engineOpen.has(r.id), `${r.id} ${r.state}`);
        assert.ok(Number.isFinite(r.value) && Number.isFinite(r.threshold), `${r.id} finite value`);
      }
      assert.equal(rows.find((r) => r.id === id)?.state, 'resolved');
      assert.equal(rows.find((r) => r.ruleId === 'light.no-draw')?.state, 'resolved');
      assert.doesNotThrow(() => JSON.stringify(rows));
    } finally {
      await dispose();
    }
  });
});
