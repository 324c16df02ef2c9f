import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reading } from '../../domain/index.ts';
import { namedBadLines } from '../../storage/influxdb/rejections.ts';
import { startInfluxd, type Influxd } from './influxd.ts';
import { newInfluxStore } from './influx-harness.ts';
import { waitDrained } from './influx-load.ts';

/**
 * IW6: lines InfluxDB refuses with a 4xx are dead-lettered with the server's own message,
 * the valid lines of the same batch are written, and nothing else is lost.
 */
let d: Influxd;
before(async () => {
  d = await startInfluxd();
});
after(async () => {
  await d?.stop();
});

const DAY = 86_400_000;
function aq(sensorId: string, ts: number, seq: number, values: Reading['values'] = { pm25: 10, pm10: 20 }): Reading {
  return { seq, sensorId, kind: 'air-quality', district: '6800200', ts, receivedAt: ts, flags: 0, values };
}

async function rejectedTotal(s: { metrics: import('prom-client').Registry }): Promise<number> {
  const m = (await s.metrics.getMetricsAsJSON()).find((x) => x.name === 'civic_influx_rejected_lines_total');
  return m?.values[0]?.value ?? 0;
}

describe('InfluxDB 4xx rejections', () => {
  it('points older than the raw retention are dead-lettered with the server message; the rest is written', async () => {
    const s = await newInfluxStore(d);
    try {
      const now = Date.now();
      const batch = Array.from({ length: 10 }, (_, i) => aq(`aq-${i}`, [2, 5, 7].includes(i) ? now - 40 * DAY : now - i * 1_000, i + 1));
      await s.store.writeReadings(batch);
      await waitDrained(s.store, 10_000);
      const stored = (await s.store.latest({})).map((r) => r.seq).sort((a, b) => a - b);
      assert.deepEqual(stored, [1, 2, 4, 5, 7, 9, 10]);
      const dead = await s.store.deadLetters({ reason: 'SCHEMA', limit: 10 });
      assert.deepEqual(dead.map((x) => x.sensorId).sort(), ['aq-2', 'aq-5', 'aq-7']);
      for (const x of dead) {
        assert.match(x.message, /points beyond retention policy/);
        assert.equal(x.topic, 'influxdb/air_quality');
        assert.match(x.payload, new RegExp(`^air_quality,.*sensor_id=${x.sensorId} .*seq=\\d+i ${now - 40 * DAY}$`));
        assert.equal(x.payloadBytes, Buffer.byteLength(x.payload));
      }
      assert.equal(await rejectedTotal(s), 3);
    } finally {
      await s.cleanup();
    }
  });

  it('a field type conflict with older data rejects only the conflicting lines (found by bisection)', async () => {
    const s = await newInfluxStore(d);
    try {
      const now = Date.now();
      // Legacy data in the same shard where pm25 was written as a string.
      const seed = await fetch(`${d.url}/write?db=${s.database}&rp=raw&precision=ms`, { method: 'POST', body: `air_quality,sensor_id=legacy pm25="n/a" ${now - 60_000}` });
      assert.equal(seed.status, 204);
      const batch = Array.from({ length: 40 }, (_, i) => aq(`aq-${i}`, now - i, i + 1, i % 8 === 3 ? { pm25: 12 } : { pm10: 30 + i }));
      await s.store.writeReadings(batch);
      await waitDrained(s.store, 10_000);
      const stored = (await s.store.latest({})).filter((r) => r.sensorId !== 'legacy').map((r) => r.seq);
      assert.equal(stored.length, 35);
      assert.ok(stored.every((seq) => (seq - 1) % 8 !== 3), 'no line with a float pm25 got in');
      const dead = await s.store.deadLetters({ limit: 100 });
      assert.deepEqual(dead.map((x) => x.sensorId).sort(), ['aq-11', 'aq-19', 'aq-27', 'aq-3', 'aq-35']);
      assert.ok(dead.every((x) => /field type conflict/.test(x.message)), dead[0]?.message);
      assert.equal(await rejectedTotal(s), 5);
    } finally {
      await s.cleanup();
    }
  });

  it('parse errors named by influxd 1.x are matched to the exact lines', async () => {
    const s = await newInfluxStore(d);
    try {
      const t = Date.now();
      const lines = [`m v=1 ${t}`, `m v= ${t + 1}`, `m v=3 ${t + 2}`, 'm,t=a\\ b v=4 x', `m v=5 ${t + 3}`];
      const res = await fetch(`${d.url}/write?db=${s.database}&precision=ms`, { method: 'POST', body: lines.join('\n') });
      assert.equal(res.status, 400);
      const { error } = (await res.json()) as { error: string };
      assert.match(error, /unable to parse/);
      const named = namedBadLines(lines, error);
      assert.deepEqual([...named.keys()].sort(), [1, 3]);
      assert.match(named.get(1)!, /missing field value/);
    } finally {
      await s.cleanup();
    }
  });
});
