import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { KINDS, kindOf } from '../../domain/index.ts';
import type { KindDescription, SensorKind } from '../../domain/index.ts';
import { DuckDbStore, DuckDbWorkerStore, type DuckDbStoreOptions } from '../../storage/duckdb/index.ts';
import type { Store } from '../../storage/port.ts';
import { storeContract } from './contract.ts';
import { MIN, T0, oneOfEachKind, reading, series } from './fixtures.ts';

const logger = pino({ level: 'silent' });
let dir: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'civic-duckdb-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

type DuckDb = Store & { alertHistory(id: string): ReturnType<DuckDbStore['alertHistory']> };
/** Both ways of running the embedded store: in this thread, and in its worker thread (SW1, the app's default). */
const VARIANTS: readonly (readonly [string, new (o: DuckDbStoreOptions) => DuckDb])[] = [
  ['in-process', DuckDbStore],
  ['worker thread', DuckDbWorkerStore],
];

for (const [variant, Make] of VARIANTS) {
  function fileStore(file: string, extra: { kinds?: readonly KindDescription[]; metrics?: MetricsRegistry } = {}): DuckDb {
    return new Make({ path: path.join(dir, `${variant}-${file}`), logger, metrics: extra.metrics ?? new MetricsRegistry(), ...(extra.kinds ? { kinds: extra.kinds } : {}) });
  }

  storeContract(`duckdb (file, ${variant})`, async () => {
    const store = fileStore(`contract-${n++}.duckdb`);
    await store.open();
    return { store, cleanup: () => store.close(), alertHistory: (id) => store.alertHistory(id) };
  });

  describe(`DuckDbStore specifics (${variant})`, () => {
    it('S4: what a resolved write stored survives close and reopen', async () => {
      const first = fileStore('reopen.duckdb');
      await first.open();
      const written = oneOfEachKind(T0);
      await first.writeReadings(written);
      await first.close();
      const second = fileStore('reopen.duckdb');
      await second.open();
      try {
        assert.equal((await second.latest({})).length, written.length);
        assert.deepEqual(await second.readings({ sensorId: 'wl-river-007', from: T0, to: T0 + 1, limit: 5 }), [written[1]]);
      } finally {
        await second.close();
      }
    });

    it('a fifth kind is only a description: its table is generated and round-trips', async () => {
      const waterQuality = {
        kind: 'water-quality' as SensorKind,
        label: { 'zh-TW': '水質', en: 'Water quality' },
        order: 9,
        fiwareType: 'WaterQualityObserved',
        fields: [
          { name: 'pH', type: 'number', label: { 'zh-TW': '酸鹼值', en: 'pH' } },
          { name: 'turbidity', type: 'number', unit: 'NTU', label: { 'zh-TW': '濁度', en: 'Turbidity' } },
          { name: 'odour', type: 'string', label: { 'zh-TW': '氣味', en: 'Odour' } },
        ],
        requireAnyOf: ['pH'],
        defaultIntervalSeconds: 600,
        paramsSchema: Type.Object({}),
        thresholds: () => [],
        cap: { category: 'Env', event: 'water-quality', instruction: { 'zh-TW': '請暫停取用。', en: 'Do not use the water for now.' } },
        openDataCategory: '生活安全及品質',
      } satisfies KindDescription;
      const store = fileStore('fifth.duckdb', { kinds: [...Object.values(KINDS), waterQuality] });
      await store.open();
      try {
        const r = { ...reading('parking', 'wq-lake-1', T0, {}), kind: waterQuality.kind, values: { pH: 7.2, odour: '無異味' } };
        await store.writeReadings([r]);
        assert.deepEqual(await store.readings({ sensorId: 'wq-lake-1', from: T0, to: T0 + 1, limit: 1 }), [r]);
        assert.deepEqual((await store.latest({ kind: waterQuality.kind }))[0]!.values, { pH: 7.2, odour: '無異味' });
      } finally {
        await store.close();
      }
    });

    it('a field added to a kind description is added to the existing table at open', async () => {
      const aq = kindOf('air-quality');
      const older = { ...aq, fields: aq.fields.filter((f) => f.name !== 'so2') };
      const before = fileStore('migrate.duckdb', { kinds: [older] });
      await before.open();
      await before.writeReadings([reading('air-quality', 'aq-zl-001', T0, { pm25: 11 })]);
      await before.close();
      const now = fileStore('migrate.duckdb');
      await now.open();
      try {
        await now.writeReadings([reading('air-quality', 'aq-zl-001', T0 + MIN, { pm25: 12, so2: 3 })]);
        const got = await now.readings({ sensorId: 'aq-zl-001', from: T0, to: T0 + 2 * MIN, limit: 5 });
        assert.deepEqual(got.map((r) => r.values), [{ pm25: 11 }, { pm25: 12, so2: 3 }]);
      } finally {
        await now.close();
      }
    });

    it('counts ignored replays in civic_duckdb_duplicate_readings_total', async () => {
      const metrics = new MetricsRegistry();
      const store = fileStore('dupes.duckdb', { metrics });
      await store.open();
      try {
        const batch = series('aq-zl-001', 20);
        await store.writeReadings(batch);
        await store.writeReadings(batch.slice(5, 12));
        const metric = await metrics.getSingleMetric('civic_duckdb_duplicate_readings_total')!.get();
        assert.equal(metric.values[0]!.value, 7);
      } finally {
        await store.close();
      }
    });

    it('queries run while batches are being written, and a failed batch leaves no partial rows', async () => {
      const store = fileStore('concurrent.duckdb');
      await store.open();
      try {
        const writes = [0, 1, 2, 3].map((b) => store.writeReadings(series(`aq-c-${b}`, 500)));
        const reads = [0, 1, 2, 3].map(() => store.latest({ kind: 'air-quality' }));
        await Promise.all([...writes, ...reads]);
        assert.equal((await store.latest({ kind: 'air-quality' })).length, 4);
        // Unknown kind in the middle of a batch: the whole transaction rolls back.
        const bad = [...series('aq-rollback', 3), { ...reading('parking', 'x', T0, {}), kind: 'no-such-kind' as SensorKind }];
        await assert.rejects(store.writeReadings(bad), /no readings table for kind no-such-kind/);
        assert.deepEqual(await store.latest({ sensorIds: ['aq-rollback'] }), []);
        await store.writeReadings(series('aq-rollback', 3));
        assert.equal((await store.readings({ sensorId: 'aq-rollback', from: T0, to: T0 + 3 * MIN, limit: 9 })).length, 3);
      } finally {
        await store.close();
      }
    });

    it('refuses calls before open and reports health after close as not ok', async () => {
      const store = new Make({ path: ':memory:', logger, metrics: new MetricsRegistry() });
      await assert.rejects(store.latest({}), /not open/);
      await store.open();
      assert.equal((await store.health()).ok, true);
      await store.close();
      const health = await store.health();
      assert.equal(health.ok, false);
      assert.match(health.detail ?? '', /not open/);
    });
  });
}

describe('DuckDbWorkerStore: the worker thread (SW1–SW3)', () => {
  const make = (file: string) => new DuckDbWorkerStore({ path: path.join(dir, file), logger, metrics: new MetricsRegistry() });

  it('SW2: a worker that dies fails the calls it held, and the next call reopens the file in a new worker with nothing lost', async () => {
    const store = make('sw2.duckdb');
    await store.open();
    try {
      const first = series('aq-sw2-a', 50);
      await store.writeReadings(first);
      // A batch in flight when the worker dies: its call fails (the writer's lane retries it).
      const second = series('aq-sw2-b', 2_000);
      const inFlight = store.writeReadings(second);
      await store.terminateWorker();
      const outcome = await inFlight.then(() => 'stored', (err: Error) => err.message);
      // Either the batch committed just before the end or its call failed with the reason; never silence.
      assert.ok(outcome === 'stored' || /duckdb worker exited/.test(outcome), outcome);
      await store.writeReadings(second); // the retry (S1: a replay of a committed batch changes nothing)
      const got = await store.readings({ sensorId: 'aq-sw2-b', from: 0, to: T0 + 10_000 * MIN, limit: 5_000 });
      assert.equal(got.length, second.length);
      assert.equal((await store.readings({ sensorId: 'aq-sw2-a', from: 0, to: T0 + 100 * MIN, limit: 100 })).length, first.length);
      assert.equal((await store.health()).ok, true);
    } finally {
      await store.close();
    }
  });

  it('SW2: after close no call starts a worker again', async () => {
    const store = make('sw2-closed.duckdb');
    await store.open();
    await store.writeReadings(series('aq-sw2-c', 3));
    await store.close();
    await assert.rejects(store.writeReadings(series('aq-sw2-c', 3)), /not open/);
    const reopened = make('sw2-closed.duckdb');
    await reopened.open();
    try {
      assert.equal((await reopened.latest({ sensorIds: ['aq-sw2-c'] })).length, 1);
    } finally {
      await reopened.close();
    }
  });

  it('SW1: an error inside the worker reaches the caller with its message', async () => {
    const store = make('sw1-error.duckdb');
    await store.open();
    try {
      const bad = [{ ...reading('parking', 'x', T0, {}), kind: 'no-such-kind' as SensorKind }];
      await assert.rejects(store.writeReadings(bad), /no readings table for kind no-such-kind/);
      assert.equal((await store.health()).ok, true);
    } finally {
      await store.close();
    }
  });
});
