import type { Aggregate, Reading, SensorKind } from '../domain/index.ts';
import { PERIOD_MS } from '../domain/index.ts';
import { emitDistrictBlock, emitSensor } from './emit.ts';
import { layoutOf, STATS_PER_FIELD, addValue, resetStats } from './stats.ts';

/**
 * ## Late data (ARCHITECTURE.md "Streaming aggregates", LA1–LA5)
 *
 * LA1 A window is "dirty" when the stream could not count it right: a reading arrived
 *     after its minute closed (LATE), or the store reported that a reading collided with
 *     a stored one (duplicate, correction, superseded replay; AC3). Dirty windows are
 *     tracked per (kind, district, hour): O(1) per dirty reading, nothing per on-time one.
 * LA2 Horizon: only readings with ts ≥ now − horizon (default 7 days) dirty a window;
 *     older ones are stored with LATE and stay out of the aggregates.
 * LA3 A dirty window is recomputed from the stored raw readings of its kind and district
 *     (one store query per (kind, district, hour)), never by a pass over the whole store:
 *     the dirty sensors' 1-minute windows, the district's 1-minute windows, and once the
 *     hour has closed the sensors' and district's hour. Days are folded from hours at query
 *     time, so they follow. Recompute waits until the streaming windows it replaces are
 *     closed and every reading seen so far is stored, and goes through the same aggregates
 *     lane after the streaming emission, so the recomputed value is the one that stays.
 * LA4 The journal keeps a dirty window's readings (retainedFromSeq) until its recomputed
 *     aggregates are durable: a crash in between replays them and dirties the window again.
 * LA5 Recompute is a pure function of stored readings, so running it twice (restart,
 *     retry) writes the same aggregates.
 */

const MINUTE = PERIOD_MS['1m'];
const HOUR = PERIOD_MS['1h'];

export interface DirtyReading {
  readonly seq: number;
  readonly sensorId: string;
  readonly kind: SensorKind;
  readonly district: string;
  readonly ts: number;
}

interface Entry {
  readonly key: string;
  readonly kind: SensorKind;
  readonly district: string;
  readonly hourStart: number;
  readonly sensors: Set<string>;
  /** Dirty minutes not yet recomputed. */
  readonly minutes: Set<number>;
  minSeq: number;
  /** Highest seq seen when this entry last became due; recompute waits until it is stored. */
  needSeq: number | undefined;
  /** The windows needSeq was taken for: when more of them close, readings seen since must be stored too. */
  needFor: string;
  /** Bumped by mark(): a job started before a mark must not forget what the mark added. */
  generation: number;
  inFlight: boolean;
}

/** One recompute job: a (kind, district, hour) with the dirty sensors and the minutes due. */
export interface RecomputeJob {
  readonly key: string;
  readonly kind: SensorKind;
  readonly district: string;
  readonly hourStart: number;
  readonly sensors: readonly string[];
  readonly minutes: readonly number[];
  /** True when the hour has closed: the hour aggregates are recomputed too. */
  readonly hour: boolean;
  readonly generation: number;
}

/** Tracks dirty windows (LA1) and hands out recompute jobs when they are due (LA3). */
export class LateWindows {
  private readonly entries = new Map<string, Entry>();
  private marked = 0;

  /** LA1: O(1). */
  mark(r: DirtyReading): void {
    const hourStart = Math.floor(r.ts / HOUR) * HOUR;
    const key = `${r.kind}|${r.district}|${hourStart}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { key, kind: r.kind, district: r.district, hourStart, sensors: new Set(), minutes: new Set(), minSeq: r.seq, needSeq: undefined, needFor: '', generation: 0, inFlight: false };
      this.entries.set(key, e);
    }
    e.sensors.add(r.sensorId);
    e.minutes.add(Math.floor(r.ts / MINUTE) * MINUTE);
    if (r.seq < e.minSeq) e.minSeq = r.seq;
    e.needSeq = undefined;
    e.generation++;
    this.marked++;
  }

  /**
   * Jobs whose windows have closed (end ≤ watermark) and whose readings are all stored
   * (committedSeq ≥ the highest seq seen when they became due). Each job is in flight
   * until done() or failed().
   */
  due(watermarkMs: number, highestSeq: number, committedSeq: number): RecomputeJob[] {
    const jobs: RecomputeJob[] = [];
    for (const e of this.entries.values()) {
      if (e.inFlight) continue;
      const hour = e.hourStart + HOUR <= watermarkMs;
      const minutes = [...e.minutes].filter((m) => m + MINUTE <= watermarkMs);
      if (!hour && minutes.length === 0) continue;
      minutes.sort((a, b) => a - b);
      const signature = `${minutes.join(',')}|${hour}`;
      if (e.needSeq === undefined || e.needFor !== signature) {
        e.needSeq = highestSeq;
        e.needFor = signature;
      }
      if (committedSeq < e.needSeq) continue;
      e.inFlight = true;
      jobs.push({ key: e.key, kind: e.kind, district: e.district, hourStart: e.hourStart, sensors: [...e.sensors], minutes, hour, generation: e.generation });
    }
    return jobs;
  }

  /** The job's aggregates are durable: forget its minutes, and the entry once its hour is done (LA4). */
  done(job: RecomputeJob): void {
    const e = this.entries.get(job.key);
    if (e === undefined) return;
    e.inFlight = false;
    // The next job (the hour, or minutes marked since) waits for the readings seen by then.
    e.needSeq = undefined;
    if (e.generation !== job.generation) return; // marked again meanwhile: keep everything for the next job
    for (const m of job.minutes) e.minutes.delete(m);
    if (job.hour && e.minutes.size === 0) this.entries.delete(job.key);
  }

  failed(job: RecomputeJob): void {
    const e = this.entries.get(job.key);
    if (e) e.inFlight = false;
  }

  /** Smallest seq of a reading in a window not yet recomputed (LA4), Infinity when none. */
  retainedFromSeq(): number {
    let min = Infinity;
    for (const e of this.entries.values()) if (e.minSeq < min) min = e.minSeq;
    return min;
  }

  get pending(): number {
    return this.entries.size;
  }

  get markedTotal(): number {
    return this.marked;
  }
}

/**
 * LA3, pure: the aggregates of a job from the stored raw readings of its (kind, district)
 * in the job's hour. Readings are folded in (ts, seq) order, so "last" is the latest by
 * event time as in the stream. Sensor windows are emitted for the job's sensors only.
 */
export function recompute(job: RecomputeJob, readings: readonly Reading[]): Aggregate[] {
  const layout = layoutOf(job.kind);
  const width = layout.width;
  const sorted = readings.filter((r) => r.kind === job.kind && r.district === job.district && r.ts >= job.hourStart && r.ts < job.hourStart + HOUR).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const sensors = new Set(job.sensors);
  const minutes = new Set(job.minutes);
  // Blocks: per (sensor, minute), per sensor hour, per district minute, district hour.
  const blocks = new Map<string, Float64Array>();
  const block = (key: string): Float64Array => {
    let b = blocks.get(key);
    if (b === undefined) {
      b = new Float64Array(width);
      resetStats(b, 0, width);
      blocks.set(key, b);
    }
    return b;
  };
  const fields = layout.fields;
  for (const r of sorted) {
    const m = Math.floor(r.ts / MINUTE) * MINUTE;
    const targets: Float64Array[] = [];
    const mine = sensors.has(r.sensorId);
    if (minutes.has(m)) {
      targets.push(block(`d|${m}`));
      if (mine) targets.push(block(`s|${r.sensorId}|${m}`));
    }
    if (job.hour) {
      targets.push(block('d|h'));
      if (mine) targets.push(block(`s|${r.sensorId}|h`));
    }
    if (targets.length === 0) continue;
    for (let f = 0; f < fields.length; f++) {
      const v = r.values[fields[f]!];
      if (typeof v !== 'number') continue;
      for (const b of targets) addValue(b, f * STATS_PER_FIELD, v, r.ts);
    }
  }
  const out: Aggregate[] = [];
  for (const [key, b] of blocks) {
    const parts = key.split('|');
    if (parts[0] === 'd') {
      const hourly = parts[1] === 'h';
      emitDistrictBlock(out, job.district, layout, hourly ? '1h' : '1m', hourly ? job.hourStart : Number(parts[1]), b, 0);
    } else {
      const hourly = parts[2] === 'h';
      emitSensor(out, parts[1]!, layout, job.district, hourly ? '1h' : '1m', hourly ? job.hourStart : Number(parts[2]), b, 0);
    }
  }
  return out;
}
