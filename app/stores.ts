import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import { DuckDbWorkerStore, InfluxStore, TeeStore, type Store } from '../storage/index.ts';
import type { Config } from './config.ts';

export interface Stores {
  /** What the pipeline writes to and the API reads from. */
  readonly store: Store;
  /** The InfluxDB adapter when configured, for dashboard metadata and pipeline health. */
  readonly influx?: InfluxStore;
}

/** Picks the storage adapter from configuration (storage.adapter). */
export function createStores(config: Readonly<Config>, logger: Logger, metrics: MetricsRegistry): Stores {
  // SW1: the embedded store's connections live in a worker thread, off the broker's event loop.
  const duck = () => new DuckDbWorkerStore({ path: path.join(config.dataDir, 'civicstream.duckdb'), logger, metrics });
  const influx = () => {
    const i = config.storage.influxdb;
    return new InfluxStore({
      url: i.url,
      api: i.api,
      database: i.database,
      ...(i.username ? { username: i.username } : {}),
      ...(i.password ? { password: i.password } : {}),
      ...(i.org ? { org: i.org } : {}),
      ...(i.bucket ? { bucket: i.bucket } : {}),
      ...(i.token ? { token: i.token } : {}),
      retention: i.retention,
      spoolDir: path.join(config.dataDir, 'influx-spool'),
      maxBatchLines: config.storage.maxBatch,
      flushMs: config.analytics.tickMs,
      logger: logger.child({ component: 'influxdb' }),
      metrics,
    });
  };
  switch (config.storage.adapter) {
    case 'duckdb':
      return { store: duck() };
    case 'influxdb': {
      const store = influx();
      return { store, influx: store };
    }
    case 'both': {
      const secondary = influx();
      return { store: new TeeStore(duck(), secondary), influx: secondary };
    }
  }
}
