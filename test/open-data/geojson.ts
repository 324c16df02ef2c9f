/**
 * A structural GeoJSON (RFC 7946) check for the tests: FeatureCollection of Features with
 * Point geometries in [lon, lat] WGS84 order within range, properties an object or null,
 * ids strings or numbers. Returns the problems found (empty = valid).
 */
export function geojsonProblems(doc: unknown): string[] {
  const p: string[] = [];
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!obj(doc) || doc.type !== 'FeatureCollection') return ['not a FeatureCollection'];
  if (!Array.isArray(doc.features)) return ['features is not an array'];
  doc.features.forEach((f: unknown, i: number) => {
    if (!obj(f) || f.type !== 'Feature') { p.push(`features[${i}] is not a Feature`); return; }
    if (f.id !== undefined && typeof f.id !== 'string' && typeof f.id !== 'number') p.push(`features[${i}].id must be string or number (RFC 7946 §3.2)`);
    if (!(f.properties === null || obj(f.properties))) p.push(`features[${i}].properties must be an object or null`);
    const g = f.geometry;
    if (!obj(g) || g.type !== 'Point' || !Array.isArray(g.coordinates) || g.coordinates.length < 2) { p.push(`features[${i}].geometry is not a Point`); return; }
    const [lon, lat] = g.coordinates as unknown[];
    if (typeof lon !== 'number' || lon < -180 || lon > 180) p.push(`features[${i}] longitude out of range`);
    if (typeof lat !== 'number' || lat < -90 || lat > 90) p.push(`features[${i}] latitude out of range`);
  });
  return p;
}
