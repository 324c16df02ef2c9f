import type { Reading } from '../../domain/index.ts';
import type { InfluxStore } from '../../storage/influxdb/index.ts';
import type { Influxd } from './influxd.ts';

/**
 * Load for the outage and throughput tests: air-quality readings whose seq is unique and
 * whose (sensor, ts) is unique, so "in InfluxDB exactly once" is checkable by counting seq.
 */
export class ReadingSource {
  private seq = 0;
  /** An hour back: inside the raw retention, clear of the present. */
  private readonly base = Date.now() - 3_600_000;

  constructor(private readonly sensors = 200) {}

  get produced(): number {
    return this.seq;
  }

  next(n: number): Reading[] {
    const out: Reading[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const seq = ++this.seq;
      const ts = this.base + seq;
      out[i] = {
        seq, sensorId: `aq-load-${seq % this.sensors}`, kind: 'air-quality', district: '6800200',
        ts, receivedAt: ts + 5, flags: 0, values: { pm25: (seq % 500) / 10, pm10: (seq % 900) / 10 },
      };
    }
    return out;
  }
}

/** count(seq), count(distinct(seq)), min and max seq of the air_quality measurement. */
export async function seqStats(d: Influxd, db: string): Promise<{ count: number; distinct: number; min: number; max: number }> {
  const m = `"${db}"."raw"."air_quality"`;
  const res = await d.query(`SELECT count("seq") AS c, min("seq") AS lo, max("seq") AS hi FROM ${m}; SELECT count(distinct("seq")) AS d FROM ${m}`, db);
  const a = res.results[0]?.series?.[0]?.values[0] ?? [0, 0, 0, 0];
  const b = res.results[1]?.series?.[0]?.values[0] ?? [0, 0];
  return { count: Number(a[1] ?? 0), min: Number(a[2] ?? 0), max: Number(a[3] ?? 0), distinct: Number(b[1] ?? 0) };
}

/** Polls until the store has nothing queued or spooled; returns the elapsed ms. */
export async function waitDrained(store: InfluxStore, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const s = store.status();
    if (s.backlogLines === 0 && s.queuedLines === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`spool not drained after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes batches back to back (awaiting each: a resolved write is an accepted one) for `ms`. */
export async function produceFor(store: InfluxStore, src: ReadingSource, ms: number, batch: number, pauseMs: number): Promise<number> {
  const end = Date.now() + ms;
  let accepted = 0;
  while (Date.now() < end) {
    const b = src.next(batch);
    await store.writeReadings(b);
    accepted += b.length;
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return accepted;
}
