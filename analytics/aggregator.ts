import type { Aggregate, Reading } from '../domain/index.ts';
import { PERIOD_MS, isSensorKind } from '../domain/index.ts';
import { DistrictMerger, emitSensor } from './emit.ts';
import { AnalyticsError } from './errors.ts';
import { HOUR_OFF, SensorWindows } from './sensor-windows.ts';
import { layoutOf, addValue, mergeStats, STATS_PER_FIELD } from './stats.ts';

/**
 * ## Windows and the watermark (copied to ARCHITECTURE.md "Streaming aggregates")
 *
 * W1  Event time. A reading belongs to the window of its `ts` (device time, or receive
 *     time when ingest flagged CLOCK_SKEW / NO_DEVICE_TIME), not of its arrival. Windows
 *     are [start, start + P) with start a multiple of P since the UTC epoch, P = 1 min or
 *     1 h; Asia/Taipei has no DST, so 1 h windows are also local clock hours.
 * W2  Watermark = max over clock ticks of (nowMs − allowedLatenessMs). Only the pipeline's
 *     single tick moves it, never a reading's timestamp, so one sensor with a fast clock
 *     cannot close windows for the others. It never moves back.
 * W3  A window closes when its end ≤ watermark: advance() emits it once, at sensor and at
 *     district scope, and forgets it. An hour closes after all of its minutes.
 * W4  Late reading: its minute has already closed. add() returns false and does not
 *     aggregate it; the caller sets QualityFlag.LATE, stores the reading and counts it
 *     (civic_analytics_late_readings_total). A closed window is never reopened: emitting
 *     it again would upsert a partial aggregate over the complete one (storage S2).
 * W5  Early reading (device clock ahead): it goes into its own future window, which
 *     closes when the watermark gets there. Ingest bounds how far ahead (maxFutureSkew).
 * W6  Retention. retainedFromSeq() is the smallest seq of any reading held in an open
 *     minute OR hour window. Hours count because a 1 h aggregate is merged from closed
 *     minutes kept only in memory: the journal therefore holds ≈ 1 h + lateness.
 * W7  Restart. The checkpoint stores (retainedFromSeq(), watermarkMs) taken at the same
 *     tick. The next run constructs the aggregator with resumeWatermarkMs and replays
 *     the journal from that seq BEFORE its first advance(). While replaying, a reading is
 *     late only when its HOUR has closed, so minutes that closed before the crash inside a
 *     still-open hour are rebuilt as well (all their readings have seq ≥ the checkpoint,
 *     by W6). The first advance() re-emits the rebuilt windows; the store's upsert on
 *     (scope, key, period, start, field) makes that idempotent. A reading stored LATE
 *     before the crash may be counted in a rebuilt window: aggregates only get fuller.
 * W8  Shutdown. flushAll() emits every open window as a partial aggregate. Afterwards
 *     retainedFromSeq() still returns their smallest seq, so the journal keeps them and
 *     the next run upserts the complete windows over the partial ones (W7).
 */
export interface AggregatorOptions {
  readonly allowedLatenessMs: number;
  /** Watermark saved with the journal checkpoint; given only when replaying after a restart (W7). */
  readonly resumeWatermarkMs?: number;
  /**
   * W7 rebuild (default true): while replaying, minutes that closed before the crash inside
   * a still-open hour are rebuilt in memory. The pipeline turns it off (LA7): there a replayed
   * reading of a closed minute is late like any other and its windows are recomputed from the
   * stored readings, because the minute's earlier readings may be behind the checkpoint.
   */
  readonly rebuildOnReplay?: boolean;
}

interface OpenWindow {
  readonly start: number;
  minSeq: number;
  /** Sensors with data in this window, appended once each when they claim a slot. */
  readonly members: SensorWindows[];
}

export interface AggregatorStats {
  readonly accepted: number;
  readonly late: number;
  readonly sensors: number;
  readonly openMinutes: number;
  readonly openHours: number;
  readonly watermarkMs: number;
}

const MINUTE = PERIOD_MS['1m'];
const HOUR = PERIOD_MS['1h'];

const ascending = (a: number, b: number): number => a - b;

export class Aggregator {
  private readonly sensors = new Map<string, SensorWindows>();
  private readonly minutes = new Map<number, OpenWindow>();
  private readonly hours = new Map<number, OpenWindow>();
  /** Minute window used by the previous add(): readings arrive clustered in time. */
  private current: OpenWindow | undefined;
  private readonly lateness: number;
  private readonly initialSlots: number;
  private wm: number;
  private replaying: boolean;
  private flushedFromSeq = Infinity;
  private accepted = 0;
  private late = 0;

  constructor(options: AggregatorOptions) {
    const { allowedLatenessMs, resumeWatermarkMs } = options;
    if (!Number.isFinite(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new AnalyticsError('BAD_OPTIONS', `allowedLatenessMs must be a finite number ≥ 0, got ${allowedLatenessMs}`);
    }
    this.lateness = allowedLatenessMs;
    // Open minutes per sensor ≈ lateness / reporting interval + 1; start with room for the
    // 1-minute case but at most 3 slots, so a long lateness does not cost every slow sensor memory.
    this.initialSlots = Math.min(Math.ceil(allowedLatenessMs / MINUTE) + 1, 3);
    this.wm = resumeWatermarkMs ?? -Infinity;
    this.replaying = resumeWatermarkMs !== undefined && options.rebuildOnReplay !== false;
  }

  /** False when the reading is late (W4): the caller flags it LATE; it is not aggregated. */
  add(r: Reading): boolean {
    const ts = r.ts;
    if (!Number.isFinite(ts)) throw new AnalyticsError('BAD_TIMESTAMP', `${r.sensorId} seq ${r.seq}`);
    const start = Math.floor(ts / MINUTE) * MINUTE;
    const end = this.replaying ? Math.floor(ts / HOUR) * HOUR + HOUR : start + MINUTE;
    if (end <= this.wm) {
      this.late++;
      return false;
    }
    const acc = this.sensorFor(r);
    const fields = acc.layout.fields;
    const values = r.values;
    let off = -1;
    for (let f = 0; f < fields.length; f++) {
      const v = values[fields[f]!];
      if (typeof v !== 'number') continue;
      // Claim the slot only once a numeric value is present: a status-only reading holds nothing.
      if (off < 0) off = this.slotFor(acc, start, r.seq);
      addValue(acc.buf, off + f * STATS_PER_FIELD, v, ts);
    }
    this.accepted++;
    return true;
  }

  /** Moves the watermark to nowMs − lateness (W2) and returns every window that closed (W3). */
  advance(nowMs: number): Aggregate[] {
    const next = nowMs - this.lateness;
    if (next > this.wm) this.wm = next;
    this.replaying = false;
    const out: Aggregate[] = [];
    this.closeThrough(this.wm, out);
    return out;
  }

  /** Smallest seq held by an open (or flushed-partial) window, Infinity when none (W6, W8). */
  retainedFromSeq(): number {
    let min = this.flushedFromSeq;
    for (const w of this.minutes.values()) if (w.minSeq < min) min = w.minSeq;
    for (const w of this.hours.values()) if (w.minSeq < min) min = w.minSeq;
    return min;
  }

  /** Current watermark; store it with retainedFromSeq() in the checkpoint (W7). */
  get watermarkMs(): number {
    return this.wm;
  }

  /** Emits every open window as a partial aggregate, at shutdown (W8). */
  flushAll(markPartial = false): Aggregate[] {
    this.flushedFromSeq = this.retainedFromSeq();
    const out: Aggregate[] = [];
    this.closeThrough(Infinity, out);
    // LA6: marked partial; the next run upserts the complete window over it (W7).
    return markPartial ? out.map((a) => ({ ...a, partial: true })) : out;
  }

  stats(): AggregatorStats {
    return {
      accepted: this.accepted,
      late: this.late,
      sensors: this.sensors.size,
      openMinutes: this.minutes.size,
      openHours: this.hours.size,
      watermarkMs: this.wm,
    };
  }

  private sensorFor(r: Reading): SensorWindows {
    let acc = this.sensors.get(r.sensorId);
    if (acc === undefined) {
      if (!isSensorKind(r.kind)) throw new AnalyticsError('UNKNOWN_KIND', `${r.sensorId}: ${String(r.kind)}`);
      const layout = layoutOf(r.kind);
      acc = new SensorWindows(r.sensorId, layout, r.district, this.initialSlots);
      this.sensors.set(r.sensorId, acc);
    } else if (acc.layout.kind !== r.kind) {
      throw new AnalyticsError('KIND_CHANGED', `${r.sensorId}: ${acc.layout.kind} → ${r.kind}`);
    }
    acc.district = r.district;
    return acc;
  }

  private slotFor(acc: SensorWindows, start: number, seq: number): number {
    let win = this.current;
    if (win === undefined || win.start !== start) {
      win = this.minutes.get(start);
      if (win === undefined) {
        win = { start, minSeq: Infinity, members: [] };
        this.minutes.set(start, win);
      }
      this.current = win;
    }
    if (seq < win.minSeq) win.minSeq = seq;
    let off = acc.find(start);
    if (off < 0) {
      off = acc.claim(start);
      win.members.push(acc);
    }
    return off;
  }

  /** Closes minutes in time order; before each, the hours that ended before it (all their minutes are done). */
  private closeThrough(limit: number, out: Aggregate[]): void {
    const due = [...this.minutes.keys()].filter((s) => s + MINUTE <= limit).sort(ascending);
    for (const start of due) {
      this.closeHours(start, out);
      this.closeMinute(start, out);
    }
    this.closeHours(limit, out);
    if (this.current !== undefined && !this.minutes.has(this.current.start)) this.current = undefined;
  }

  private closeHours(limit: number, out: Aggregate[]): void {
    const due = [...this.hours.keys()].filter((s) => s + HOUR <= limit).sort(ascending);
    for (const start of due) {
      const win = this.hours.get(start)!;
      this.hours.delete(start);
      const districts = new DistrictMerger();
      for (const acc of win.members) {
        emitSensor(out, acc.id, acc.layout, acc.district, '1h', start, acc.buf, HOUR_OFF);
        districts.add(acc.district, acc.layout, acc.buf, HOUR_OFF);
        acc.closeHour();
      }
      districts.emit(out, '1h', start);
    }
  }

  /** Emits one minute and folds each sensor's slot into its hour block, so add() never touches hours. */
  private closeMinute(start: number, out: Aggregate[]): void {
    const win = this.minutes.get(start)!;
    this.minutes.delete(start);
    const hourStart = Math.floor(start / HOUR) * HOUR;
    let hour = this.hours.get(hourStart);
    if (hour === undefined) {
      hour = { start: hourStart, minSeq: Infinity, members: [] };
      this.hours.set(hourStart, hour);
    }
    if (win.minSeq < hour.minSeq) hour.minSeq = win.minSeq;
    const districts = new DistrictMerger();
    for (const acc of win.members) {
      const off = acc.find(start);
      emitSensor(out, acc.id, acc.layout, acc.district, '1m', start, acc.buf, off);
      districts.add(acc.district, acc.layout, acc.buf, off);
      if (acc.hourStart !== hourStart) {
        acc.openHour(hourStart);
        hour.members.push(acc);
      }
      mergeStats(acc.buf, HOUR_OFF, acc.buf, off, acc.layout.width);
      acc.release(off);
    }
    districts.emit(out, '1m', start);
  }
}
