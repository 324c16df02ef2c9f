import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { AnalyticsPipeline } from '../../analytics/index.ts';
import { connectAnalytics } from '../../app/analytics-sinks.ts';
import { kindOf, QualityFlag, parseSensorTopic, sensorTopic, type Reading } from '../../domain/index.ts';
import { Ingest, Journal } from '../../ingest/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore, StoreWriter } from '../../storage/index.ts';

const logger = pino({ level: 'silent' });
const registry = Registry.parse(readFileSync(new URL('../../config/registry.demo.yaml', import.meta.url), 'utf8'), 'config/registry.demo.yaml');
const aq = [...registry.sensors()].find((s) => s.kind === 'air-quality')!;
const MIN = 60_000;
/** 2026-11-22T00:00:00+08:00. */
const T0 = Date.UTC(2026, 10, 21, 16, 0, 0);
const STUCK = kindOf('air-quality').fields.find((f) => f.name === 'pm25')!.stuck!.count;

/**
 * QF1–QF3 through ingest, the journal, analytics and the store: the SPIKE and STUCK
 * readings are stored with their flags and counted in the aggregates like any other.
 */
describe('SPIKE and STUCK through ingest into the store (QF1–QF3)', () => {
  it('flags a PM2.5 jump and a flat hour; both are stored and aggregated', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-qf-'));
    const metrics = new MetricsRegistry();
    const store = new DuckDbStore({ path: ':memory:', logger, metrics, readers: 1 });
    await store.open();
    const writer = new StoreWriter({ store, maxBatch: 64, logger, metrics, retry: { initialMs: 5, maxMs: 20 } });
    const journal = Journal.open({ dir, segmentBytes: 1 << 20, fsync: false, logger, metrics });
    let now = T0;
    const ingest = new Ingest({
      registry, journal, policy: { maxFutureSkewMs: 300_000, maxPastSkewMs: 7 * 86_400_000, rejectOlderThanMs: 30 * 86_400_000 },
      deadLetterPayloadBytes: 256, onDeadLetter: (d) => writer.addDeadLetter(d), clock: () => now, logger, metrics,
    });
    const processor = new AnalyticsPipeline({ source: writer, allowedLatenessMs: 60_000, logger, metrics });
    connectAnalytics(processor, ingest.readings$, { writer, alerts: { onReading: () => undefined } });
    const emitted: Reading[] = [];
    ingest.readings$.subscribe(({ reading }) => emitted.push(reading));
    const topic = sensorTopic(aq.kind, aq.id, 'telemetry');
    const send = (pm25: number) =>
      new Promise<void>((resolve, reject) =>
        ingest.handle({ topic, parsed: parseSensorTopic(topic), payload: Buffer.from(JSON.stringify({ pm25, dateObserved: now })), clientId: aq.id, principal: { type: 'sensor', id: aq.id }, qos: 1, receivedAt: now }, (err) => (err ? reject(err) : resolve())),
      );
    try {
      // Minute by minute: 12, 13, a jump to 300 (> 50 µg/m³ per minute), back to 14, then one value for STUCK + 2 readings.
      const series = [12, 13, 300, 14, ...Array.from({ length: STUCK + 2 }, () => 15), 16];
      for (const v of series) {
        await send(v);
        now += MIN;
        processor.onTick(now);
      }
      now += 2 * MIN;
      processor.onTick(now);
      await writer.flush();
      await processor.settled();
      await writer.flush();

      const flagsOf = (rs: readonly Reading[]) => rs.map((r) => r.flags & (QualityFlag.SPIKE | QualityFlag.STUCK));
      const expected = series.map((v, i) => (v === 300 ? QualityFlag.SPIKE : i >= 4 + STUCK - 1 && v === 15 ? QualityFlag.STUCK : 0));
      assert.deepEqual(flagsOf(emitted), expected, 'flags as ingest emits them (before the journal)');
      const rows = (await store.windowReadings({ kind: aq.kind, district: aq.district.code, from: T0, to: now })).filter((r) => r.sensorId === aq.id).sort((a, b) => a.ts - b.ts);
      assert.equal(rows.length, series.length, 'QF3: every flagged reading is stored');
      assert.deepEqual(flagsOf(rows), expected, 'stored with their flags');
      assert.equal(expected.filter((f) => f === QualityFlag.STUCK).length, 3);

      const minutes = await store.aggregates({ scope: 'sensor', period: '1m', key: aq.id, from: T0, to: now, limit: 1000 });
      const pm = minutes.filter((a) => a.field === 'pm25');
      assert.equal(pm.length, series.length, 'QF3: one 1-minute aggregate per reading, flagged ones included');
      assert.equal(pm.find((a) => a.start === T0 + 2 * MIN)?.max, 300, 'the spike is in its minute');
    } finally {
      journal.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
