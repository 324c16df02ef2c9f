import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Subject } from 'rxjs';
import { readFileSync } from 'node:fs';
import { AnalyticsPipeline, type SensedReading } from '../../analytics/index.ts';
import { connectAnalytics } from '../../app/analytics-sinks.ts';
import { QualityFlag } from '../../domain/index.ts';
import { Registry } from '../../registry/index.ts';
import { StoreWriter } from '../../storage/index.ts';
import { newInfluxStore } from './influx-harness.ts';
import { startInfluxd, type Influxd } from './influxd.ts';

/** LA1–LA5 on the InfluxDB adapter: a buffered upload after its hour closed updates the stored aggregates. */
let d: Influxd;
before(async () => {
  d = await startInfluxd();
});
after(async () => {
  await d?.stop();
});

const MIN = 60_000;
const HOUR = 3_600_000;
const registry = Registry.parse(readFileSync(new URL('../../config/registry.demo.yaml', import.meta.url), 'utf8'), 'demo');
const sensor = [...registry.sensors()].find((s) => s.kind === 'air-quality')!;

describe('InfluxDB: late data (LA3)', () => {
  it('10 minutes of buffered readings arriving after their hour closed update the stored 1m and 1h aggregates per sensor and district', async () => {
    const s = await newInfluxStore(d, { flushMs: 10 });
    const writer = new StoreWriter({ store: s.store, maxBatch: 500, logger: pino({ level: 'silent' }), metrics: s.metrics, retry: { initialMs: 20, maxMs: 200 } });
    const processor = new AnalyticsPipeline({ source: writer, allowedLatenessMs: 60_000, logger: pino({ level: 'silent' }), metrics: s.metrics });
    const readings$ = new Subject<SensedReading>();
    connectAnalytics(processor, readings$, { writer, alerts: { onReading: () => undefined } });
    let seq = 0;
    const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const push = (ts: number, v: number) => readings$.next({ reading: { seq: ++seq, sensorId: sensor.id, kind: sensor.kind, district: sensor.district.code, ts, receivedAt: ts, flags: 0, values: { pm25: v } }, sensor });
    const tick = async (now: number) => {
      processor.onTick(now);
      await writer.flush();
      await processor.settled();
      await writer.flush();
    };
    try {
      await tick(base);
      for (let m = 0; m < 10; m++) push(base + m * MIN + 1_000, 10 + m);
      await tick(base + 2 * HOUR);
      const before = await s.store.aggregates({ scope: 'sensor', period: '1h', from: base, to: base + HOUR, key: sensor.id, limit: 10 });
      assert.equal(before[0]?.count, 10, 'the on-time hour');
      // The gateway's buffer: minutes 10–19, after the hour closed.
      for (let m = 10; m < 20; m++) {
        push(base + m * MIN + 1_000, 10 + m);
      }
      for (let i = 0; i < 6 && processor.lateWindowsPending > 0; i++) await tick(base + 2 * HOUR + (i + 1) * 1_000);
      assert.equal(processor.lateWindowsPending, 0, 'LA4: recompute finished');
      const hour = await s.store.aggregates({ scope: 'sensor', period: '1h', from: base, to: base + HOUR, key: sensor.id, limit: 10 });
      assert.deepEqual(hour.map((a) => [a.field, a.count, a.min, a.max, a.last]), [['pm25', 20, 10, 29, 29]]);
      assert.equal(hour[0]!.mean, (10 + 29) / 2);
      const district = await s.store.aggregates({ scope: 'district', period: '1h', from: base, to: base + HOUR, key: sensor.district.code, limit: 10 });
      assert.equal(district.find((a) => a.field === 'pm25')?.count, 20, 'district hour');
      const minutes = await s.store.aggregates({ scope: 'sensor', period: '1m', from: base, to: base + HOUR, key: sensor.id, limit: 100 });
      assert.equal(minutes.length, 20, 'one 1-minute aggregate per minute, late ones included');
      const stored = await s.store.readings({ sensorId: sensor.id, from: base, to: base + HOUR, limit: 100 });
      assert.equal(stored.filter((r) => r.flags & QualityFlag.LATE).length, 10, 'the buffered readings are flagged LATE');
    } finally {
      processor.stop();
      writer.stop();
      await s.cleanup();
    }
  });
});
