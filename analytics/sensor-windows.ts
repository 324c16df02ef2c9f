import { resetStats, type KindLayout } from './stats.ts';

/**
 * The one compact accumulator a sensor owns: a single Float64Array holding its open
 * 1-hour block and a few 1-minute slots, reused window after window.
 *
 *   buf = [hourStart, hour stats (width) | slot 0: start, stats (width) | slot 1: … ]
 *
 * A sensor has readings in at most ⌈lateness / interval⌉ + 1 open minutes in steady
 * state; the aggregator picks the initial slot count (≤ 3). A reading from further ahead (device clock up to
 * ingest's maxFutureSkewSeconds early) grows the array by one slot — rare, and bounded
 * because ingest replaces device times beyond the skew with receive time (CLOCK_SKEW).
 * A free slot has start = NaN. Lookups scan the few slots, starting at the last one used,
 * so add() stays O(1) with no allocation.
 */
export class SensorWindows {
  buf: Float64Array;
  /** Offset of the slot used last: consecutive readings of a sensor nearly always share a minute. */
  private hint: number;

  constructor(
    readonly id: string,
    readonly layout: KindLayout,
    /** Updated on every reading so a registry edit moves the sensor at its next window. */
    public district: string,
    slots: number,
  ) {
    const width = layout.width;
    this.buf = new Float64Array(1 + width + slots * (1 + width));
    this.buf.fill(Number.NaN);
    this.hint = 1 + width;
  }

  /** Offset of the stats block for minute `start`, or -1 when this sensor has no slot for it. */
  find(start: number): number {
    const buf = this.buf;
    if (buf[this.hint] === start) return this.hint + 1;
    const stride = 1 + this.layout.width;
    for (let o = stride; o < buf.length; o += stride) {
      if (buf[o] === start) {
        this.hint = o;
        return o + 1;
      }
    }
    return -1;
  }

  /** Claims a free slot for minute `start` (growing by one slot if all are open); returns its stats offset. */
  claim(start: number): number {
    const width = this.layout.width;
    const stride = 1 + width;
    let o = stride;
    while (o < this.buf.length && !Number.isNaN(this.buf[o])) o += stride;
    if (o >= this.buf.length) {
      const grown = new Float64Array(this.buf.length + stride);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[o] = start;
    resetStats(this.buf, o + 1, width);
    this.hint = o;
    return o + 1;
  }

  /** Frees the slot whose stats block is at `statsOff`. */
  release(statsOff: number): void {
    this.buf[statsOff - 1] = Number.NaN;
  }

  get slots(): number {
    return (this.buf.length - 1 - this.layout.width) / (1 + this.layout.width);
  }

  /** Start of the hour the hour block currently holds, NaN when it holds none. */
  get hourStart(): number {
    return this.buf[0]!;
  }

  /** Starts accumulating hour `start` in the hour block (offset 1). */
  openHour(start: number): void {
    this.buf[0] = start;
    resetStats(this.buf, 1, this.layout.width);
  }

  closeHour(): void {
    this.buf[0] = Number.NaN;
  }
}

/** Stats offset of the hour block inside SensorWindows.buf. */
export const HOUR_OFF = 1;
