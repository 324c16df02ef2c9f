import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AlertChange, Reading } from '../../domain/index.ts';
import type { Store } from '../../storage/port.ts';
import {
  MIN, T0, TAOYUAN, ZHONGLI, aggregate, alert, change, deadLetter, oneOfEachKind, reading, series,
} from './fixtures.ts';

export interface StoreHarness {
  readonly store: Store;
  cleanup(): Promise<void>;
  /** For eventually consistent stores: wait until earlier writes are visible to queries. */
  settle?: () => Promise<void>;
  /**
   * S3 history reader (the port has no history query yet): every change of one alert,
   * oldest first. Required: the history test fails without it.
   */
  alertHistory?: (alertId: string) => Promise<readonly AlertChange[]>;
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * The storage contract (storage/port.ts S1–S5), shared by every adapter. Adapter-neutral:
 * it only calls the port. Each case gets a fresh, empty store from `make`.
 */
export function storeContract(name: string, make: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    const settle = async () => h.settle?.();
    const all = (sensorId: string, extra: { order?: 'asc' | 'desc' } = {}) =>
      store.readings({ sensorId, from: 0, to: T0 + 365 * 86_400_000, limit: 10_000, ...extra });

    beforeEach(async () => {
      h = await make();
      store = h.store;
    });
    afterEach(async () => h.cleanup());

    it('S1/S5: reads back a reading of every kind with only the fields that were present', async () => {
      const written = oneOfEachKind(T0);
      await store.writeReadings(written);
      await settle();
      for (const r of written) {
        const [got, ...rest] = await all(r.sensorId);
        assert.equal(rest.length, 0, r.sensorId);
        assert.deepEqual(got, r);
      }
      const [aq] = await all('aq-zl-001');
      assert.equal('co' in aq!.values, false, 'absent fields stay absent');
    });

    it('S1: a replayed batch, and duplicates inside one batch, are stored once', async () => {
      const batch = series('aq-zl-001', 10);
      await store.writeReadings(batch);
      await store.writeReadings(batch);
      // The journal replays with fresh seqs; the key is (sensorId, ts) only.
      await store.writeReadings([...batch.slice(0, 3).map((r) => ({ ...r, seq: r.seq + 1000 })), batch[4]!, batch[4]!]);
      await settle();
      const got = await all('aq-zl-001');
      assert.deepEqual(got.map((r) => r.ts), batch.map((r) => r.ts));
      assert.equal((await store.latest({ sensorIds: ['aq-zl-001'] })).length, 1);
    });

    it('S5: a range is [from, to) and results follow the requested order and limit', async () => {
      await store.writeReadings(series('aq-zl-001', 10));
      await settle();
      const q = { sensorId: 'aq-zl-001', from: T0 + 2 * MIN, to: T0 + 6 * MIN, limit: 100 };
      assert.deepEqual((await store.readings(q)).map((r) => r.ts), [2, 3, 4, 5].map((i) => T0 + i * MIN));
      assert.deepEqual((await store.readings({ ...q, order: 'desc' })).map((r) => r.ts), [5, 4, 3, 2].map((i) => T0 + i * MIN));
      assert.deepEqual((await store.readings({ ...q, limit: 2 })).map((r) => r.ts), [T0 + 2 * MIN, T0 + 3 * MIN]);
      assert.deepEqual((await store.readings({ ...q, order: 'desc', limit: 1 })).map((r) => r.ts), [T0 + 5 * MIN]);
      assert.deepEqual(await store.readings({ ...q, sensorId: 'aq-unknown' }), []);
    });

    it('S5: cursor paging with `after` walks every reading once, to the end', async () => {
      const written = series('aq-zl-001', 23);
      await store.writeReadings([...written].reverse());
      await store.writeReadings(series('aq-zl-002', 5));
      await settle();
      const seen: number[] = [];
      let after: number | undefined;
      for (let page = 0; page < 10; page++) {
        const got = await store.readings({ sensorId: 'aq-zl-001', from: T0, to: T0 + 86_400_000, limit: 5, ...(after === undefined ? {} : { after }) });
        seen.push(...got.map((r) => r.ts));
        if (got.length < 5) break;
        after = got.at(-1)!.ts;
      }
      assert.deepEqual(seen, written.map((r) => r.ts));
      // Newest-first paging moves the exclusive upper bound instead.
      const desc: number[] = [];
      let to = T0 + 86_400_000;
      for (let page = 0; page < 10; page++) {
        const got = await store.readings({ sensorId: 'aq-zl-001', from: T0, to, limit: 10, order: 'desc' });
        desc.push(...got.map((r) => r.ts));
        if (got.length < 10) break;
        to = got.at(-1)!.ts;
      }
      assert.deepEqual(desc, written.map((r) => r.ts).reverse());
    });

    it('latest: one row per sensor, newest ts wins even when written out of order', async () => {
      const newer = oneOfEachKind(T0 + 10 * MIN);
      const older = oneOfEachKind(T0);
      await store.writeReadings(newer);
      await store.writeReadings(older);
      await settle();
      const got = await store.latest({});
      assert.deepEqual([...got].sort(byKey((r) => r.sensorId)), [...newer].sort(byKey((r) => r.sensorId)));
    });

    it('latest: filters by kind, district and sensor ids, alone and combined', async () => {
      await store.writeReadings(oneOfEachKind(T0));
      await settle();
      const ids = async (q: Parameters<Store['latest']>[0]) => (await store.latest(q)).map((r) => r.sensorId).sort();
      assert.deepEqual(await ids({ kind: 'water-level' }), ['wl-river-007', 'wl-road-012']);
      assert.deepEqual(await ids({ district: TAOYUAN }), ['pk-zl-03', 'wl-river-007']);
      assert.deepEqual(await ids({ kind: 'water-level', district: ZHONGLI }), ['wl-road-012']);
      assert.deepEqual(await ids({ sensorIds: ['sl-zl-0420', 'aq-zl-001', 'nope'] }), ['aq-zl-001', 'sl-zl-0420']);
      assert.deepEqual(await ids({ sensorIds: ['sl-zl-0420'], kind: 'parking' }), []);
      assert.deepEqual(await ids({ sensorIds: [] }), []);
      const [sl] = await store.latest({ kind: 'streetlight' });
      assert.deepEqual(sl!.values, { powerState: 'on', status: 'ok', powerConsumption: 118.5, illuminanceLevel: 0.8 });
    });

    it('S6: readingSpans gives first and latest ts per sensor and per field in one call, out-of-order writes included', async () => {
      await store.writeReadings(series('aq-zl-001', 10, T0 + 5 * MIN));
      // Older readings arriving later (late data) move the first time back.
      await store.writeReadings(series('aq-zl-001', 3, T0));
      await store.writeReadings(oneOfEachKind(T0 + 30 * MIN));
      // pm25 alone: its field span (and the sensor's) moves on, pm10's stays at the reading before.
      await store.writeReadings([reading('air-quality', 'aq-zl-001', T0 + 40 * MIN, { pm25: 9 })]);
      await settle();
      const spans = await store.readingSpans({});
      const byId = new Map(spans.map((s) => [s.sensorId, s]));
      const at = (first: number, last: number) => ({ first: T0 + first * MIN, last: T0 + last * MIN });
      const once = at(30, 30);
      assert.deepEqual(byId.get('aq-zl-001'), {
        sensorId: 'aq-zl-001', ...at(0, 40),
        fields: { pm25: at(0, 40), pm10: at(0, 30), no2: once, o3: once, temperature: once, relativeHumidity: once },
      }, 'co and so2 were never sent: no span');
      assert.deepEqual(byId.get('wl-river-007'), { sensorId: 'wl-river-007', ...once, fields: { currentLevel: once } });
      assert.deepEqual([...byId.keys()].sort(), oneOfEachKind(T0).map((r) => r.sensorId).sort(), 'one row per sensor with readings');
      const some = await store.readingSpans({ sensorIds: ['aq-zl-001', 'pk-zl-03', 'nope'] });
      assert.deepEqual(some.map((s) => [s.sensorId, s.first, s.last]), [['aq-zl-001', T0, T0 + 40 * MIN], ['pk-zl-03', T0 + 30 * MIN, T0 + 30 * MIN]]);
      assert.deepEqual(some[1]!.fields, { totalSpotNumber: once, occupiedSpotNumber: once, availableSpotNumber: once });
      assert.deepEqual(await store.readingSpans({ sensorIds: [] }), []);
    });

    it('S2: aggregates upsert on (scope, key, period, start, field)', async () => {
      await store.writeAggregates([
        aggregate({ key: 'aq-zl-001', start: T0 }),
        aggregate({ key: 'aq-zl-001', start: T0, field: 'pm10', mean: 30 }),
        aggregate({ key: 'aq-zl-001', start: T0 + MIN }),
        aggregate({ scope: 'district', key: ZHONGLI, start: T0, count: 60 }),
        aggregate({ key: 'aq-zl-001', start: T0, period: '1h', count: 60 }),
      ]);
      const revised = aggregate({ key: 'aq-zl-001', start: T0, count: 7, mean: 15, max: 21, last: 21 });
      // Two versions of one key in one batch: the later one wins.
      await store.writeAggregates([aggregate({ key: 'aq-zl-001', start: T0, count: 99 }), revised]);
      await settle();
      const q = { scope: 'sensor' as const, period: '1m' as const, from: T0, to: T0 + 2 * MIN, limit: 100 };
      const pm25 = await store.aggregates({ ...q, field: 'pm25' });
      assert.deepEqual([...pm25].sort(byKey((a) => String(a.start))), [revised, aggregate({ key: 'aq-zl-001', start: T0 + MIN })]);
      assert.equal((await store.aggregates({ ...q, to: T0 + MIN })).length, 2, 'to is exclusive; both fields of the first window');
      assert.equal((await store.aggregates({ ...q, key: 'aq-zl-002' })).length, 0);
      assert.equal((await store.aggregates({ ...q, kind: 'parking' })).length, 0);
      assert.equal((await store.aggregates({ ...q, district: ZHONGLI, field: 'pm10' }))[0]!.mean, 30);
      assert.equal((await store.aggregates({ ...q, limit: 1 })).length, 1);
      assert.deepEqual(await store.aggregates({ ...q, scope: 'district' }), [aggregate({ scope: 'district', key: ZHONGLI, start: T0, count: 60 })]);
      assert.deepEqual(await store.aggregates({ ...q, period: '1h' }), [aggregate({ key: 'aq-zl-001', start: T0, period: '1h', count: 60 })]);
    });

    it('S3: alerts keep the latest state per id and the full history, zh-TW text intact', async () => {
      const opened = alert({ id: 'a1' });
      const acked = alert({ id: 'a1', state: 'acknowledged', updatedAt: T0 + MIN });
      const resolved = alert({ id: 'a1', state: 'resolved', updatedAt: T0 + 5 * MIN, resolvedAt: T0 + 5 * MIN, value: 4.2 });
      await store.writeAlertChanges([change('opened', opened)]);
      await store.writeAlertChanges([change('updated', acked), change('resolved', resolved)]);
      await store.writeAlertChanges([change('opened', alert({ id: 'a2', subject: 'wl-road-012', district: ZHONGLI, severity: 'warning', ruleId: 'basic.water.flood' }))]);
      await settle();
      const q = { limit: 100 };
      assert.deepEqual((await store.alerts({ ...q, subject: 'wl-river-007' })), [resolved]);
      assert.deepEqual((await store.alerts({ ...q, states: ['open', 'acknowledged'] })).map((a) => a.id), ['a2']);
      assert.deepEqual((await store.alerts({ ...q, district: TAOYUAN })).map((a) => a.id), ['a1']);
      assert.deepEqual((await store.alerts({ ...q, kind: 'air-quality' })), []);
      assert.equal((await store.alerts({ limit: 1 })).length, 1);
      assert.ok(h.alertHistory, 'S3 history must be readable: pass alertHistory in the harness');
      const history = await h.alertHistory('a1');
      assert.deepEqual(history, [change('opened', opened), change('updated', acked), change('resolved', resolved)]);
      assert.equal(history[0]!.alert.message['zh-TW'], '河川水位達一級警戒（南崁溪）');
    });

    it('S3: a replayed older change never overwrites a newer state; from/to select alerts active in the range', async () => {
      const resolved = alert({ id: 'a1', state: 'resolved', updatedAt: T0 + 5 * MIN, resolvedAt: T0 + 5 * MIN });
      await store.writeAlertChanges([change('resolved', resolved)]);
      await store.writeAlertChanges([change('opened', alert({ id: 'a1' }))]);
      await store.writeAlertChanges([change('opened', alert({ id: 'a3', openedAt: T0 + 20 * MIN, updatedAt: T0 + 20 * MIN }))]);
      await settle();
      assert.deepEqual(await store.alerts({ subject: 'wl-river-007', limit: 10, to: T0 + 10 * MIN }), [resolved]);
      const active = async (from: number, to: number) => (await store.alerts({ from, to, limit: 10 })).map((a) => a.id).sort();
      assert.deepEqual(await active(T0 + 2 * MIN, T0 + 3 * MIN), ['a1']);
      assert.deepEqual(await active(T0 + 6 * MIN, T0 + 10 * MIN), []);
      assert.deepEqual(await active(T0 + 6 * MIN, T0 + 30 * MIN), ['a3']);
      assert.deepEqual(await active(T0, T0 + 30 * MIN), ['a1', 'a3']);
    });

    it('dead letters: filters, newest first, counts per reason across batches, zh-TW payload intact', async () => {
      const first = [
        deadLetter('SCHEMA', T0, { sensorId: 'aq-zl-001' }),
        deadLetter('BAD_JSON', T0 + MIN, { payload: '{"水位": 3.4, "備註": "𠮷野家"', clientId: 'wl-river-007', sensorId: 'wl-river-007' }),
        deadLetter('UNKNOWN_SENSOR', T0 + 2 * MIN),
      ];
      await store.writeDeadLetters(first);
      await store.writeDeadLetters([deadLetter('SCHEMA', T0 + 3 * MIN, { sensorId: 'aq-zl-001' })]);
      await settle();
      assert.deepEqual(await store.deadLetterCounts(), { SCHEMA: 2, BAD_JSON: 1, UNKNOWN_SENSOR: 1 });
      const bySensor = await store.deadLetters({ sensorId: 'aq-zl-001', limit: 10 });
      assert.deepEqual(bySensor.map((d) => d.at), [T0 + 3 * MIN, T0]);
      assert.deepEqual(await store.deadLetters({ reason: 'BAD_JSON', limit: 10 }), [first[1]]);
      assert.deepEqual(await store.deadLetters({ reason: 'UNKNOWN_SENSOR', limit: 10 }), [first[2]], 'no sensorId when none was given');
      assert.deepEqual((await store.deadLetters({ from: T0 + MIN, limit: 2 })).map((d) => d.at), [T0 + 3 * MIN, T0 + 2 * MIN]);
    });

    it('readings written one at a time and in bulk are all visible once the write resolves (S4)', async () => {
      const bulk: Reading[] = [];
      for (let s = 0; s < 50; s++) bulk.push(...series(`aq-bulk-${s}`, 40));
      await store.writeReadings(bulk);
      await store.writeReadings([reading('parking', 'pk-zl-03', T0, { availableSpotNumber: 0 })]);
      await settle();
      assert.equal((await store.latest({ kind: 'air-quality' })).length, 50);
      assert.equal((await all('aq-bulk-49')).length, 40);
      assert.deepEqual((await all('pk-zl-03'))[0]!.values, { availableSpotNumber: 0 });
    });

    it('health reports ok with the adapter name', async () => {
      const health = await store.health();
      assert.equal(health.ok, true);
      assert.equal(health.adapter, store.name);
    });
  });
}
