import booleanContains from '@turf/boolean-contains';
import booleanCrosses from '@turf/boolean-crosses';
import booleanDisjoint from '@turf/boolean-disjoint';
import booleanEqual from '@turf/boolean-equal';
import booleanIntersects from '@turf/boolean-intersects';
import booleanOverlap from '@turf/boolean-overlap';
import booleanTouches from '@turf/boolean-touches';
import booleanWithin from '@turf/boolean-within';
import distance from '@turf/distance';
import length from '@turf/length';
import { wktToGeoJSON } from '@terraformer/wkt';
import type { Geometry } from 'geojson';

/**
 * The geospatial functions of STA 1.1 Table 25 (OD-S1), on GeoJSON geometries (WGS84
 * [lon, lat]) with Turf, a well-kept geometry library, rather than our own geometry.
 * `geo.distance` and `geo.length` answer in metres along the ellipsoid-free great circle
 * (Turf's haversine); FROST-Server answers in CRS degrees, which mean different distances
 * east–west and north–south: a filter like `geo.distance(location, geography'POINT(…)') lt 500`
 * reads as "within 500 m" here. `st_relate` (DE-9IM patterns) is not offered.
 */
export const GEO_FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  'geo.distance': [2, 2], 'geo.length': [1, 1], 'geo.intersects': [2, 2],
  st_equals: [2, 2], st_disjoint: [2, 2], st_touches: [2, 2], st_within: [2, 2], st_overlaps: [2, 2], st_crosses: [2, 2], st_intersects: [2, 2], st_contains: [2, 2],
};

export class GeoError extends Error {}

const TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

/** A `geography'…'` literal's WKT as a GeoJSON geometry; a bad literal is the client's error. */
export function parseWkt(wkt: string): Geometry {
  let g: Geometry;
  try {
    g = wktToGeoJSON(wkt);
  } catch (err) {
    throw new GeoError(`invalid WKT in geography'…': ${(err as Error).message}`);
  }
  if (!g || !TYPES.has(g.type)) throw new GeoError(`geography'…' must be a POINT, LINESTRING, POLYGON or their MULTI forms`);
  return g;
}

function isGeometry(v: unknown): v is Geometry {
  return typeof v === 'object' && v !== null && TYPES.has((v as { type?: unknown }).type as string) && Array.isArray((v as { coordinates?: unknown }).coordinates);
}

const PREDICATES: Record<string, (a: Geometry, b: Geometry) => boolean> = {
  'geo.intersects': (a, b) => booleanIntersects(a, b),
  st_intersects: (a, b) => booleanIntersects(a, b),
  st_disjoint: (a, b) => booleanDisjoint(a, b),
  st_within: (a, b) => booleanWithin(a, b),
  st_contains: (a, b) => booleanContains(a, b),
  st_touches: (a, b) => booleanTouches(a, b),
  st_crosses: (a, b) => booleanCrosses(a, b),
  // Turf compares only geometries of one dimension; of different dimensions, none overlaps the other (OGC SFA).
  st_overlaps: (a, b) => (a.type.replace('Multi', '') === b.type.replace('Multi', '') ? booleanOverlap(a, b) : false),
  st_equals: (a, b) => (a.type === b.type ? booleanEqual(a, b) : false),
};

/** Evaluates one geospatial function; null when an argument is missing (OData null semantics). */
export function geoCall(fn: string, args: readonly unknown[]): number | boolean | null {
  if (args.some((a) => a === null || a === undefined)) return null;
  for (const a of args) if (!isGeometry(a)) throw new GeoError(`${fn}() expects geometries (a location/feature property or geography'…')`);
  const [a, b] = args as Geometry[];
  try {
    if (fn === 'geo.distance') {
      if (a!.type !== 'Point' || b!.type !== 'Point') throw new GeoError('geo.distance() takes two points');
      return distance(a!.coordinates as [number, number], b!.coordinates as [number, number], { units: 'meters' });
    }
    if (fn === 'geo.length') {
      if (a!.type !== 'LineString' && a!.type !== 'MultiLineString') throw new GeoError('geo.length() takes a LINESTRING');
      return length({ type: 'Feature', geometry: a!, properties: {} }, { units: 'meters' });
    }
    const p = PREDICATES[fn];
    if (!p) throw new GeoError(`unsupported function ${fn}`);
    return p(a!, b!);
  } catch (err) {
    if (err instanceof GeoError) throw err;
    // Turf refuses some type pairs (e.g. st_crosses of two polygons): a 400 naming them, not a 500.
    throw new GeoError(`${fn}(${a!.type}, ${b!.type}) is not supported: ${(err as Error).message}`);
  }
}
