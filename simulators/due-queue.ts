/**
 * Min-heap of (due time, sensor index) in typed arrays: the single scheduler tick pops
 * every sensor that is due in O(log n) each, with no per-sensor timers and no
 * allocation per reading — a fleet of 100,000 sensors is one 1.2 MB heap.
 */
export class DueQueue {
  private readonly due: Float64Array;
  private readonly idx: Int32Array;
  private n = 0;

  constructor(capacity: number) {
    this.due = new Float64Array(Math.max(1, capacity));
    this.idx = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.n;
  }

  /** Earliest due time, or Infinity when empty. */
  peekDue(): number {
    return this.n === 0 ? Infinity : (this.due[0] as number);
  }

  push(due: number, index: number): void {
    if (this.n === this.due.length) throw new RangeError('DueQueue is full');
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.due[parent] as number) <= due) break;
      this.due[i] = this.due[parent] as number;
      this.idx[i] = this.idx[parent] as number;
      i = parent;
    }
    this.due[i] = due;
    this.idx[i] = index;
  }

  /** Removes the earliest entry and returns its index (-1 when empty). */
  pop(): number {
    if (this.n === 0) return -1;
    const top = this.idx[0] as number;
    const n = --this.n;
    if (n > 0) {
      const lastDue = this.due[n] as number;
      const lastIdx = this.idx[n] as number;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (this.due[r] as number) < (this.due[l] as number) ? r : l;
        if ((this.due[c] as number) >= lastDue) break;
        this.due[i] = this.due[c] as number;
        this.idx[i] = this.idx[c] as number;
        i = c;
      }
      this.due[i] = lastDue;
      this.idx[i] = lastIdx;
    }
    return top;
  }
}
