import { toTaipeiIso, type Reading } from '../../../domain/index.ts';
import type { Store } from '../../../storage/index.ts';

/** How long a sensor's first reading time is trusted before it is asked again (late data, pruning). */
export const FIRST_TTL_MS = 10 * 60_000;
/** Above this many sensors to ask about, the first-time query asks for every sensor instead of a list. */
const LIST_MAX = 1_000;

interface Span {
  readonly first: number;
  readonly last: number;
  /** `first/last` in +08:00, built once per change: it is read on every render, filter and sort. */
  readonly text: string;
}

/**
 * OD-S9: the time interval of each Datastream's Observations, i.e. of the readings of its
 * sensor that carry its field: its phenomenonTime and resultTime (STA 1.1 §8.2.4). The
 * latest time comes from the store's latest-per-sensor view, asked once per request for the
 * sensors the request shows. The first times (and the last time of a field the latest
 * reading lacks) come from store.readingSpans, cached per sensor and asked, in one query for
 * all the sensors that need it, only for a sensor not known, known for more than
 * FIRST_TTL_MS, or whose latest reading carries a field it had no span for. So a request
 * costs at most two store queries however many Datastreams it shows.
 */
export class DatastreamSpans {
  private readonly known = new Map<string, { readonly at: number; readonly fields: Readonly<Record<string, { readonly first: number; readonly last: number }>> }>();
  private readonly spans = new Map<string, Map<string, Span>>();

  constructor(private readonly store: Pick<Store, 'latest' | 'readingSpans'>, private readonly clock: () => number = () => performance.now()) {}

  /** First and latest Observation time of a Datastream as last refreshed (epoch ms). */
  span(sensorId: string, field: string): { readonly first: number; readonly last: number } | undefined {
    return this.spans.get(sensorId)?.get(field);
  }

  /** `start/end` of a Datastream's Observations as last refreshed, undefined when it has none. */
  interval(sensorId: string, field: string): string | undefined {
    return this.spans.get(sensorId)?.get(field)?.text;
  }

  /**
   * Brings the spans of these sensors (undefined = every sensor) up to date and returns their
   * latest readings, so a caller that also needs them (the latest-Observation expand) asks once.
   */
  async refresh(sensorIds?: readonly string[]): Promise<Reading[]> {
    if (sensorIds && sensorIds.length === 0) return [];
    const rows = await this.store.latest(sensorIds ? { sensorIds } : {});
    const t = this.clock();
    const ask: string[] = [];
    for (const r of rows) {
      const k = this.known.get(r.sensorId);
      if (!k || t - k.at > FIRST_TTL_MS || Object.keys(r.values).some((f) => !(f in k.fields))) ask.push(r.sensorId);
    }
    if (ask.length) {
      for (const s of await this.store.readingSpans(ask.length > LIST_MAX ? {} : { sensorIds: ask })) this.known.set(s.sensorId, { at: t, fields: s.fields });
    }
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.sensorId);
      const known = this.known.get(r.sensorId)?.fields ?? {};
      const old = this.spans.get(r.sensorId);
      const next = new Map<string, Span>();
      for (const f of new Set([...Object.keys(known), ...Object.keys(r.values)])) {
        const has = r.values[f] !== undefined;
        const first = Math.min(known[f]?.first ?? Infinity, has ? r.ts : Infinity);
        const last = Math.max(known[f]?.last ?? -Infinity, has ? r.ts : -Infinity);
        const was = old?.get(f);
        next.set(f, was && was.first === first && was.last === last ? was : { first, last, text: `${toTaipeiIso(first)}/${toTaipeiIso(last)}` });
      }
      this.spans.set(r.sensorId, next);
    }
    // Sensors asked about without a latest reading have no Observations (any more).
    for (const id of sensorIds ?? [...this.spans.keys()]) {
      if (!seen.has(id)) { this.spans.delete(id); this.known.delete(id); }
    }
    return rows;
  }
}

/**
 * One request's view: which sensors' spans (and latest readings) this request already
 * refreshed, so nested renders ($expand at several depths) ask the store once per sensor.
 */
export class RequestSpans {
  private all = false;
  private readonly latest = new Map<string, Reading | null>();

  constructor(private readonly spans: DatastreamSpans) {}

  /** Refreshes these sensors (undefined = every sensor) unless this request already did. */
  async ensure(sensorIds?: Iterable<string>): Promise<void> {
    if (this.all) return;
    if (sensorIds === undefined) {
      this.all = true;
      for (const r of await this.spans.refresh()) this.latest.set(r.sensorId, r);
      return;
    }
    const missing: string[] = [];
    for (const id of sensorIds) if (!this.latest.has(id)) { this.latest.set(id, null); missing.push(id); }
    if (missing.length === 0) return;
    for (const r of await this.spans.refresh(missing)) this.latest.set(r.sensorId, r);
  }

  /** The latest reading of a sensor ensured by this request. */
  reading(sensorId: string): Reading | undefined {
    return this.latest.get(sensorId) ?? undefined;
  }
}
