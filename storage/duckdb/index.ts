export { DuckDbStore, type DuckDbStoreOptions } from './store.ts';
