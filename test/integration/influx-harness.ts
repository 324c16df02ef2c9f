import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { InfluxStore, type InfluxStoreOptions } from '../../storage/influxdb/index.ts';
import type { Influxd } from './influxd.ts';

let n = 0;

export interface InfluxStoreUnderTest {
  readonly store: InfluxStore;
  readonly database: string;
  readonly spoolDir: string;
  readonly metrics: MetricsRegistry;
  cleanup(): Promise<void>;
}

/** A store on its own fresh database and spool dir, so every case starts empty. */
export async function newInfluxStore(d: Influxd, over: Partial<InfluxStoreOptions> & { logger?: Logger } = {}): Promise<InfluxStoreUnderTest> {
  const database = over.database ?? `civic_test_${process.pid}_${n++}`;
  const spoolDir = over.spoolDir ?? (await mkdtemp(path.join(os.tmpdir(), 'civic-influx-spool-')));
  const metrics = over.metrics ?? new MetricsRegistry();
  const store = new InfluxStore({
    url: d.url,
    api: 'v1',
    retention: { raw: '30d', agg1m: '365d', agg1h: 'INF' },
    maxBatchLines: 5_000,
    flushMs: 5,
    timeoutMs: 5_000,
    logger: pino({ level: 'silent' }),
    ...over,
    database,
    spoolDir,
    metrics,
  });
  await store.open();
  return {
    store,
    database,
    spoolDir,
    metrics,
    async cleanup() {
      await store.close();
      await d.query(`DROP DATABASE "${database}"`).catch(() => undefined);
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}
