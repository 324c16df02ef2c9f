/**
 * Seeded pseudo-random numbers for reproducible simulations.
 *
 * The generator is a small-fast-counter design (four 32-bit words, add/rotate/xor,
 * plus a counter so no seed can fall into a short cycle); it is statistically good
 * enough for synthetic telemetry and costs a few integer operations per draw, which
 * matters when thousands of sensors draw several numbers per reading.
 *
 * Streams are keyed by (seed, label): each sensor gets its own stream, so running a
 * subset of the fleet does not change what any one sensor reports.
 */

/** 32-bit finalising mix (avalanches every input bit into every output bit). */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, seeded, then mixed: a label → 32-bit key. */
export function hashString(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/**
 * A uniform number in [0, 1) that is a pure function of its integer inputs.
 * Used for city-wide weather, where "is there a storm in block b" must give the
 * same answer to every sensor without shared mutable state.
 */
export function hashUnit(seed: number, salt: number, a: number, b = 0): number {
  let h = mix32((seed ^ Math.imul(salt, 0x9e3779b1)) >>> 0);
  h = mix32((h ^ Math.imul(a | 0, 0x85ebca77)) >>> 0);
  h = mix32((h ^ Math.imul(b | 0, 0xc2b2ae3d)) >>> 0);
  return h / 4294967296;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, label = '') {
    // Spread one key over four words with distinct odd multipliers, then discard
    // the first outputs so nearby seeds diverge fully.
    const k = hashString(seed >>> 0, label);
    this.a = mix32(k ^ 0x243f6a88);
    this.b = mix32(k ^ 0x85a308d3);
    this.c = mix32(k ^ 0x13198a2e);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller; one value per call keeps the stream position simple). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) is never taken
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
