/**
 * A tiny time-to-live cache with request coalescing for the hottest public answer
 * (latest per sensor). Measured with 2,000 sensors: building the 700 kB body costs ~50 ms
 * and store.latest ~20–40 ms, so under polling load every request rebuilding it is what
 * limits throughput. Serving one build to all requests for a second or two is invisible next
 * to the 15 s Cache-Control we already announce. Real time (performance.now), not the injected
 * clock: tests pin the clock and must still see new data after the TTL.
 */
export class MicroCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(private readonly ttlMs: number, private readonly maxEntries = 256) {}

  get(key: string, build: () => Promise<V>): Promise<V> {
    if (this.ttlMs <= 0) return build();
    const now = performance.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = build();
    this.entries.set(key, { at: now, value });
    // A failed build is not cached: the next request tries again.
    value.catch(() => { if (this.entries.get(key)?.value === value) this.entries.delete(key); });
    return value;
  }
}
