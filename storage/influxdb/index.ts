export { InfluxStore, type InfluxStatus } from './store.ts';
export type { InfluxStoreOptions } from './options.ts';
export type { WriterStatus } from './writer.ts';
export {
  AGG_MEASUREMENT, M_ALERTS, M_DEAD_LETTERS, M_PIPELINE, M_SENSOR_META, READING_MEASUREMENTS, measurementOf, type Tier,
} from './schema.ts';
