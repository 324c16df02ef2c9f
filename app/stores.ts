import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import { DuckDbStore, type Store } from '../storage/index.ts';
import type { Config } from './config.ts';

/** Picks the storage adapter from configuration (storage.adapter). */
export function createStore(config: Readonly<Config>, logger: Logger, metrics: MetricsRegistry): Store {
  const duck = () => new DuckDbStore({ path: path.join(config.dataDir, 'civicstream.duckdb'), logger, metrics });
  switch (config.storage.adapter) {
    case 'duckdb':
      return duck();
    default:
      throw new Error(`storage adapter ${config.storage.adapter} is not available in this build`);
  }
}
