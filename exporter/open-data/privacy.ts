import type { GeoPoint, Sensor } from '../../domain/index.ts';

/**
 * Location coarsening for privately hosted devices (issue 5 §8): a micro-sensor on a
 * citizen's balcony must not publish the balcony. Coordinates snap to the centre of a
 * grid cell; snapping (not random noise) is deterministic, so repeated downloads cannot
 * be averaged back to the true point.
 */
export interface PrivacyOptions {
  /** Sensors carrying this registry tag are coarsened (default 'private-host'). */
  readonly tag?: string;
  /** Extra predicate, e.g. from a config list of sensor ids. */
  readonly coarsen?: (sensor: Sensor) => boolean;
  /** Cell size in degrees (default 0.01° ≈ 1.1 km north–south in Taiwan). */
  readonly gridDegrees?: number;
}

export class Privacy {
  private readonly tag: string;
  private readonly grid: number;
  private readonly extra: ((s: Sensor) => boolean) | undefined;

  constructor(o: PrivacyOptions) {
    this.tag = o.tag ?? 'private-host';
    this.grid = o.gridDegrees ?? 0.01;
    this.extra = o.coarsen;
  }

  isCoarsened(s: Sensor): boolean {
    return s.tags.includes(this.tag) || (this.extra?.(s) ?? false);
  }

  /** Radius in metres a consumer should assume around a published point (half the cell diagonal, rounded up). */
  uncertaintyMetres(s: Sensor): number {
    return this.isCoarsened(s) ? Math.ceil((this.grid * 111_320 * Math.SQRT2) / 2) : 0;
  }

  location(s: Sensor): GeoPoint {
    if (!this.isCoarsened(s)) return { lat: s.location.lat, lon: s.location.lon };
    const snap = (v: number) => Number(((Math.floor(v / this.grid) + 0.5) * this.grid).toFixed(6));
    return { lat: snap(s.location.lat), lon: snap(s.location.lon) };
  }
}
