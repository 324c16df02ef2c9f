import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { toTaipeiIso } from '../../domain/index.ts';
import { DatastreamSpans, FIRST_TTL_MS } from '../../exporter/open-data/sta/spans.ts';
import { DuckDbStore, type Store } from '../../storage/index.ts';
import { MIN, NOW, reading } from './fixture.ts';

/** OD-S9: what the spans cache asks the (real) store, counted per call. */
describe('OD-S9 Datastream spans cache', () => {
  let dir: string;
  let store: DuckDbStore;
  const calls = { latest: 0, readingSpans: 0, spanIds: [] as (readonly string[] | undefined)[] };
  const counted: Pick<Store, 'latest' | 'readingSpans'> = {
    latest: (q) => { calls.latest++; return store.latest(q); },
    readingSpans: (q) => { calls.readingSpans++; calls.spanIds.push(q.sensorIds); return store.readingSpans(q); },
  };
  const ids = Array.from({ length: 150 }, (_, i) => `aq-${i}`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sta-spans-'));
    store = new DuckDbStore({ path: join(dir, 's.duckdb'), logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
    await store.open();
    // 150 sensors, 5 readings each; the last one carries pm25 only.
    const rs = ids.flatMap((id) => [5, 4, 3, 2].map((m) => reading(id, 'air-quality', '6800200', NOW - m * MIN, { pm25: m, pm10: m })).concat(reading(id, 'air-quality', '6800200', NOW - MIN, { pm25: 1 })));
    await store.writeReadings(rs);
  });
  after(async () => { await store.close(); await rm(dir, { recursive: true, force: true }); });

  it('150 sensors cost one latest and one readingSpans query; the next refresh only the latest; the TTL re-asks', async () => {
    let clock = 0;
    const spans = new DatastreamSpans(counted, () => clock);
    const latest = await spans.refresh(ids);
    assert.equal(latest.length, 150);
    assert.deepEqual([calls.latest, calls.readingSpans], [1, 1]);
    assert.equal(calls.spanIds[0]!.length, 150);
    assert.equal(spans.interval('aq-7', 'pm25'), `${toTaipeiIso(NOW - 5 * MIN)}/${toTaipeiIso(NOW - MIN)}`);
    // pm10 is not in the latest reading: its end is the last reading that carried it.
    assert.equal(spans.interval('aq-7', 'pm10'), `${toTaipeiIso(NOW - 5 * MIN)}/${toTaipeiIso(NOW - 2 * MIN)}`);
    assert.equal(spans.interval('aq-7', 'no2'), undefined);
    assert.equal(spans.interval('aq-unknown', 'pm25'), undefined);
    await store.writeReadings([reading('aq-7', 'air-quality', '6800200', NOW, { pm25: 0 })]);
    await spans.refresh(ids);
    assert.deepEqual([calls.latest, calls.readingSpans], [2, 1], 'first times come from the cache');
    assert.equal(spans.interval('aq-7', 'pm25'), `${toTaipeiIso(NOW - 5 * MIN)}/${toTaipeiIso(NOW)}`, 'the end follows the latest reading');
    // A reading with a field the cache has no span for: that one sensor is asked again.
    await store.writeReadings([reading('aq-8', 'air-quality', '6800200', NOW, { pm25: 0, no2: 3 })]);
    await spans.refresh(ids);
    assert.deepEqual([calls.latest, calls.readingSpans], [3, 2]);
    assert.deepEqual(calls.spanIds[1], ['aq-8']);
    assert.equal(spans.interval('aq-8', 'no2'), `${toTaipeiIso(NOW)}/${toTaipeiIso(NOW)}`);
    clock += FIRST_TTL_MS + 1;
    await spans.refresh(ids.slice(0, 10));
    assert.deepEqual([calls.latest, calls.readingSpans], [4, 3]);
    assert.equal(calls.spanIds[2]!.length, 10);
  });
});
