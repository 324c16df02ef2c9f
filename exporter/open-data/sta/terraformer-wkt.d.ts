// @terraformer/wkt ships no type declarations; the one function we use.
declare module '@terraformer/wkt' {
  export function wktToGeoJSON(wkt: string): import('geojson').Geometry;
}
