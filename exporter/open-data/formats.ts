import { kindOf, toTaipeiIso, type Reading, type Sensor, type SensorKind } from '../../domain/index.ts';
import { fieldColumns, toCsv } from '../csv.ts';
import type { OdContext } from './context.ts';
import { publicAggregate, qualityOf } from './present.ts';

/**
 * CSV and GeoJSON renderings of the feeds. CSV: RFC 4180, UTF-8, CRLF, one documented header
 * row with the unit in each value column (`pm25 (ug/m3)`), times ISO 8601 +08:00, quality as
 * `ok` or flag names joined by `|`. The BOM is optional (`bom=true`): Excel on zh-TW Windows
 * needs it to read UTF-8, most programs do not want it.
 * GeoJSON: RFC 7946 FeatureCollection, WGS84 [lon, lat] points, one Feature per row.
 */
export const GEOJSON_TYPE = 'application/geo+json; charset=utf-8';

function latestCsvHeader(kind: SensorKind): string[] {
  return ['sensor_id', 'sensor_name', 'sensor_name_en', 'district_code', 'district_name', 'lat', 'lon', 'time', 'epoch_ms', ...fieldColumns(kind), 'quality', 'stale'];
}

function readingsCsvHeader(kind: SensorKind): string[] {
  return ['sensor_id', 'time', 'epoch_ms', ...fieldColumns(kind), 'quality'];
}

export const AGGREGATE_CSV_HEADER = ['sensor_id', 'sensor_name', 'period', 'start', 'epoch_ms', 'field', 'unit', 'count', 'mean', 'min', 'max', 'last'];

function fieldCells(kind: SensorKind, r: Reading): (string | number)[] {
  return kindOf(kind).fields.map((f) => r.values[f.name] ?? '');
}

export function latestCsv(ctx: OdContext, kind: SensorKind, rows: readonly { r: Reading; s: Sensor; stale: boolean }[], bom: boolean): string {
  const out = rows.map(({ r, s, stale }) => {
    const loc = ctx.privacy.location(s);
    return [s.id, s.name['zh-TW'], s.name.en, s.district.code, s.district.name['zh-TW'], loc.lat, loc.lon, toTaipeiIso(r.ts), r.ts, ...fieldCells(kind, r), qualityOf(r.flags), stale ? 'true' : 'false'];
  });
  return toCsv(out, latestCsvHeader(kind), { bom });
}

export function readingsCsv(kind: SensorKind, rows: readonly Reading[], bom: boolean, header = true): string {
  const out = rows.map((r) => [r.sensorId, toTaipeiIso(r.ts), r.ts, ...fieldCells(kind, r), qualityOf(r.flags)]);
  return toCsv(out, readingsCsvHeader(kind), { header, bom });
}

export function aggregatesCsv(ctx: OdContext, rows: readonly ReturnType<typeof publicAggregate>[], bom: boolean): string {
  const out = rows.map((a) => [a.sensorId, ctx.registry.sensor(a.sensorId)?.name['zh-TW'] ?? '', a.period, a.start, a.startMs, a.field, a.unit ?? '', a.count, a.mean, a.min, a.max, a.last]);
  return toCsv(out, AGGREGATE_CSV_HEADER, { bom });
}

export interface Feature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: Record<string, unknown>;
}

/** A Point feature at the sensor's public (possibly coarsened) location. */
export function feature(ctx: OdContext, s: Sensor, id: string, properties: Record<string, unknown>): Feature {
  const loc = ctx.privacy.location(s);
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [loc.lon, loc.lat] },
    properties: { sensorId: s.id, name: s.name['zh-TW'], nameEn: s.name.en, district: s.district.code, locationCoarsened: ctx.privacy.isCoarsened(s), ...properties },
  };
}

export function featureCollection(features: Feature[], extra: Record<string, unknown> = {}) {
  return { type: 'FeatureCollection' as const, ...extra, features };
}
