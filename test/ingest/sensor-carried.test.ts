import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { parseSensorTopic, sensorTopic, type DeadLetter, type Sensor } from '../../domain/index.ts';
import { Ingest, Journal, type IngestedReading } from '../../ingest/index.ts';
import { Registry } from '../../registry/index.ts';

const logger = pino({ level: 'silent' });
const demo = Registry.parse(readFileSync(new URL('../../config/registry.demo.yaml', import.meta.url), 'utf8'), 'config/registry.demo.yaml');
const aq = [...demo.sensors()].find((s) => s.kind === 'air-quality')!;
const T0 = Date.UTC(2026, 10, 21, 16, 0, 0);

/** The demo registry with its sensor lookups counted, and a switch that unregisters `aq` (a live change, RG1). */
function countingRegistry(): { registry: Registry; lookups: () => number; unregister: () => void } {
  let n = 0;
  let gone = false;
  const registry = Object.create(demo, {
    sensor: { value: (id: string): Sensor | undefined => (n++, gone && id === aq.id ? undefined : demo.sensor(id)) },
  }) as Registry;
  return { registry, lookups: () => n, unregister: () => void (gone = true) };
}

async function withIngest(registry: Registry, dir: string, fn: (ingest: Ingest, out: IngestedReading[], dead: DeadLetter[]) => Promise<void>): Promise<void> {
  const metrics = new MetricsRegistry();
  const journal = Journal.open({ dir, segmentBytes: 1 << 20, fsync: false, logger, metrics });
  const dead: DeadLetter[] = [];
  const ingest = new Ingest({
    registry, journal, policy: { maxFutureSkewMs: 300_000, maxPastSkewMs: 7 * 86_400_000, rejectOlderThanMs: 30 * 86_400_000 },
    deadLetterPayloadBytes: 256, onDeadLetter: (d) => dead.push(d), clock: () => T0, logger, metrics,
  });
  const out: IngestedReading[] = [];
  ingest.readings$.subscribe((x) => out.push(x));
  try {
    await fn(ingest, out, dead);
  } finally {
    await journal.close();
  }
}

const topic = sensorTopic(aq.kind, aq.id, 'telemetry');
const send = (ingest: Ingest, pm25: number, sensor: Sensor | undefined) =>
  new Promise<void>((resolve, reject) =>
    ingest.handle(
      { topic, parsed: parseSensorTopic(topic), payload: Buffer.from(JSON.stringify({ pm25, dateObserved: T0 + pm25 })), clientId: aq.id, principal: { type: 'sensor', id: aq.id }, qos: 1, receivedAt: T0 + pm25, sensor },
      (err) => (err ? reject(err) : resolve()),
    ),
  );

describe('one registry lookup per reading (B44)', () => {
  it('the sensor the broker resolved is used and emitted with the reading; without one ingest looks it up, so a registry change applies', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-b44-'));
    const { registry, lookups, unregister } = countingRegistry();
    try {
      await withIngest(registry, dir, async (ingest, out, dead) => {
        const carried = demo.sensor(aq.id)!;
        await send(ingest, 10, carried);
        assert.equal(lookups(), 0, 'no lookup when the message carries its sensor');
        assert.equal(out.length, 1);
        assert.equal(out[0]!.sensor, carried, 'the very object the broker resolved travels on');
        assert.equal(out[0]!.reading.district, carried.district.code);

        await send(ingest, 11, undefined); // e.g. held for its rate budget (B7): looked up now
        assert.equal(lookups(), 1);
        assert.equal(out[1]!.sensor, demo.sensor(aq.id));

        unregister();
        await send(ingest, 12, undefined);
        assert.equal(out.length, 2, 'an unregistered sensor yields no reading');
        assert.deepEqual(dead.map((d) => d.reason), ['UNKNOWN_SENSOR']);
      });
      // Replay after a restart: each replayed reading gets the sensor the registry has now (undefined: gone).
      await withIngest(registry, dir, async (ingest, out) => {
        assert.equal(ingest.replay(), 2);
        assert.deepEqual(out.map((x) => [x.reading.values.pm25, x.sensor]), [[10, undefined], [11, undefined]]);
      });
      await withIngest(demo, dir, async (ingest, out) => {
        ingest.replay();
        assert.deepEqual(out.map((x) => x.sensor), [demo.sensor(aq.id), demo.sensor(aq.id)]);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
