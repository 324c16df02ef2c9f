export { DuckDbStore, type DuckDbStoreOptions } from './store.ts';
export { DuckDbWorkerStore } from './worker-store.ts';
