import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { Subject, map } from 'rxjs';
import { QualityFlag, type Aggregate, type Reading, type Sensor } from '../../domain/index.ts';
import { AnalyticsPipeline, type ClassifiedReading, type RecomputeSource } from '../../analytics/index.ts';
import { MIN, T0, parkingSensor, reading } from './fixtures.ts';

/** A store that cannot recompute (like one without windowReadings): late readings are only flagged. */
const NO_RECOMPUTE: RecomputeSource = { canRecompute: false, committedSeq: 0, windowReadings: async () => [], flushAggregates: async () => undefined };

function setup(sensors: Sensor[]) {
  const metrics = new MetricsRegistry();
  const byId = new Map(sensors.map((s) => [s.id, s]));
  const pipeline = new AnalyticsPipeline({ source: NO_RECOMPUTE, allowedLatenessMs: MIN, logger: pino({ level: 'silent' }), metrics });
  const source = new Subject<Reading>();
  // Upstream (ingest, B44) resolves the sensor once; an unregistered one arrives as undefined.
  return { pipeline, source, metrics, out: pipeline.connect(source.pipe(map((r) => ({ reading: r, sensor: byId.get(r.sensorId) })))) };
}

async function count(m: MetricsRegistry, name: string, code?: string): Promise<number> {
  const values = (await m.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((v) => code === undefined || v.labels.code === code).reduce((n, v) => n + v.value, 0);
}

describe('AnalyticsPipeline: one classification step, streams out (issue 15)', () => {
  it('a consumer of readings$ sees the LATE decision whatever it subscribed before', async () => {
    const pk = parkingSensor();
    const { pipeline, source, metrics, out } = setup([pk]);
    // Subscribed before the aggregates: with the old three subscriptions this order stored the flag too late.
    const seen: { late: boolean; flags: number; seq: number }[] = [];
    out.readings$.subscribe((c: ClassifiedReading) => seen.push({ late: c.late, flags: c.reading.flags, seq: c.reading.seq }));
    const batches: Aggregate[][] = [];
    out.aggregates$.subscribe((b) => batches.push(b));
    pipeline.onTick(T0 + 3 * MIN); // watermark T0 + 2m: minutes before it are closed
    source.next(reading(pk, T0 + 30_000, { occupiedSpotNumber: 1 }, 1)); // closed minute: late
    source.next(reading(pk, T0 + 2 * MIN + 10_000, { occupiedSpotNumber: 2 }, 2)); // open minute
    assert.deepEqual(seen, [
      { late: true, flags: QualityFlag.LATE, seq: 1 },
      { late: false, flags: 0, seq: 2 },
    ]);
    assert.equal(await count(metrics, 'civic_late_readings_total'), 1);
    pipeline.onTick(T0 + 4 * MIN);
    const sensorMinutes = batches.flat().filter((a) => a.scope === 'sensor' && a.period === '1m');
    assert.deepEqual(sensorMinutes.map((a) => [a.start, a.count]), [[T0 + 2 * MIN, 1]], 'only the on-time reading is aggregated');
  });

  it('a reading of an unknown sensor is emitted without a sensor and counted', async () => {
    const pk = parkingSensor();
    const { source, metrics, out } = setup([]);
    const seen: ClassifiedReading[] = [];
    out.readings$.subscribe((c) => seen.push(c));
    source.next(reading(pk, T0, { occupiedSpotNumber: 1 }, 1));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.sensor, undefined);
    assert.equal(await count(metrics, 'civic_analytics_errors_total', 'UNKNOWN_SENSOR'), 1);
  });

  it('completion emits the open windows as partial aggregates, then completes both streams (W8, LA6)', () => {
    const pk = parkingSensor();
    const { source, out } = setup([pk]);
    const batches: Aggregate[][] = [];
    let completed = 0;
    out.aggregates$.subscribe({ next: (b) => batches.push(b), complete: () => completed++ });
    out.readings$.subscribe({ complete: () => completed++ });
    source.next(reading(pk, T0 + 10_000, { occupiedSpotNumber: 5 }, 1));
    assert.equal(batches.length, 0, 'nothing closed yet');
    source.complete();
    assert.equal(completed, 2);
    const flushed = batches.flat();
    assert.ok(flushed.length > 0 && flushed.every((a) => a.partial === true), 'partial windows');
  });

  it('stop() ends the subscription to the source: later readings are not seen', () => {
    const pk = parkingSensor();
    const { pipeline, source, out } = setup([pk]);
    const seen: ClassifiedReading[] = [];
    out.readings$.subscribe((c) => seen.push(c));
    pipeline.stop();
    source.next(reading(pk, T0, { occupiedSpotNumber: 1 }, 1));
    assert.equal(seen.length, 0);
  });
});
