import { after, before } from 'node:test';
import { storeContract } from '../storage/contract.ts';
import { startInfluxd, type Influxd } from './influxd.ts';
import { newInfluxStore } from './influx-harness.ts';

/** The shared storage contract (S1–S5) against a real InfluxDB 1.x server. */
let influxd: Influxd;
before(async () => {
  influxd = await startInfluxd();
});
after(async () => {
  await influxd?.stop();
});

storeContract('influxdb 1.x (v1 API)', async () => {
  const t = await newInfluxStore(influxd);
  return { store: t.store, cleanup: t.cleanup, alertHistory: (id) => t.store.alertHistory(id) };
});
