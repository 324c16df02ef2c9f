import { kindOf, toTaipeiIso, type Reading, type Sensor, type SensorKind } from '../../../domain/index.ts';
import { toCsv } from '../../csv.ts';
import type { Privacy } from '../privacy.ts';
import { qualityOf } from '../present.ts';

/**
 * Columns of the daily bulk files (OD-B3). Names are lower snake_case ASCII, so Spark, SQL
 * engines and pandas use them unquoted (`SELECT pm25 FROM …`); units and bilingual
 * descriptions live in the day's CSVW metadata file (`{date}.csv-metadata.json`, W3C
 * "Metadata Vocabulary for Tabular Data"), not in the header.
 */
export interface BulkColumn {
  readonly name: string;
  /** CSVW / XSD datatype. */
  readonly datatype: 'string' | 'double' | 'integer' | 'long' | 'boolean' | 'dateTime';
  readonly unit?: string;
  readonly zh: string;
  readonly en: string;
}

/** `relativeHumidity` → `relative_humidity`, `pm25` stays `pm25`. */
const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export const STATIONS_DATASET = 'civicstream-stations';

export const STATION_COLUMNS: readonly BulkColumn[] = [
  { name: 'sensor_id', datatype: 'string', zh: '感測器代碼', en: 'sensor id' },
  { name: 'kind', datatype: 'string', zh: '感測器類型', en: 'sensor kind' },
  { name: 'name_zh', datatype: 'string', zh: '站名（中文）', en: 'station name (zh-TW)' },
  { name: 'name_en', datatype: 'string', zh: '站名（英文）', en: 'station name (English)' },
  { name: 'district_code', datatype: 'string', zh: '行政區代碼', en: 'district code' },
  { name: 'district_name_zh', datatype: 'string', zh: '行政區名稱', en: 'district name (zh-TW)' },
  { name: 'district_name_en', datatype: 'string', zh: '行政區英文名稱', en: 'district name (English)' },
  { name: 'lat', datatype: 'double', unit: 'deg', zh: '緯度（WGS84）', en: 'latitude (WGS84)' },
  { name: 'lon', datatype: 'double', unit: 'deg', zh: '經度（WGS84）', en: 'longitude (WGS84)' },
  { name: 'location_coarsened', datatype: 'boolean', zh: '位置已模糊化（私人場所）', en: 'location coarsened (private host)' },
  { name: 'interval_s', datatype: 'integer', unit: 's', zh: '預期回報間隔', en: 'expected reporting interval' },
];

export function readingColumns(kind: SensorKind): BulkColumn[] {
  return [
    { name: 'sensor_id', datatype: 'string', zh: '感測器代碼', en: 'sensor id' },
    { name: 'district_code', datatype: 'string', zh: '行政區代碼', en: 'district code' },
    { name: 'lat', datatype: 'double', unit: 'deg', zh: '緯度（WGS84，公開位置）', en: 'latitude (WGS84, public location)' },
    { name: 'lon', datatype: 'double', unit: 'deg', zh: '經度（WGS84，公開位置）', en: 'longitude (WGS84, public location)' },
    { name: 'time', datatype: 'dateTime', zh: '量測時間（ISO 8601，+08:00）', en: 'observation time (ISO 8601, +08:00)' },
    { name: 'epoch_ms', datatype: 'long', unit: 'ms', zh: '量測時間（Unix 毫秒）', en: 'observation time (Unix ms)' },
    ...kindOf(kind).fields.map((f): BulkColumn => ({ name: snake(f.name), datatype: f.type === 'number' ? 'double' : 'string', ...(f.unit ? { unit: f.unit } : {}), zh: f.label['zh-TW'], en: f.label.en })),
    { name: 'quality', datatype: 'string', zh: '品質（ok 或以 | 分隔的旗標）', en: 'quality (ok or flags joined by |)' },
  ];
}

/** One page of a kind's readings as bulk CSV rows (CRLF, RFC 4180); the header only when asked. */
export function readingRowsCsv(kind: SensorKind, rows: readonly Reading[], sensor: Sensor | undefined, privacy: Privacy, header: boolean, bom: boolean): string {
  const loc = sensor ? privacy.location(sensor) : undefined;
  const fields = kindOf(kind).fields;
  const out = rows.map((r) => [r.sensorId, r.district, loc?.lat ?? '', loc?.lon ?? '', toTaipeiIso(r.ts), r.ts, ...fields.map((f) => r.values[f.name] ?? ''), qualityOf(r.flags)]);
  return toCsv(out, readingColumns(kind).map((c) => c.name), { header, bom: bom && header });
}

export function stationsCsv(sensors: readonly Sensor[], privacy: Privacy, bom: boolean): string {
  const out = sensors.map((s) => {
    const loc = privacy.location(s);
    return [s.id, s.kind, s.name['zh-TW'], s.name.en, s.district.code, s.district.name['zh-TW'], s.district.name.en, loc.lat, loc.lon, privacy.isCoarsened(s) ? 'true' : 'false', s.intervalSeconds];
  });
  return toCsv(out, STATION_COLUMNS.map((c) => c.name), { bom });
}

/** The day's CSVW metadata: one table per CSV file with its columns, units and descriptions (OD-B3). */
export function csvwMetadata(tables: readonly { file: string; url: string; columns: readonly BulkColumn[] }[], bom: boolean) {
  return {
    '@context': ['http://www.w3.org/ns/csvw', { '@language': 'zh-TW' }],
    'dc:description': '每日全量檔欄位說明；欄位名稱可不加引號直接用於 SQL / Column descriptions of the daily bulk files; names are usable unquoted in SQL',
    dialect: { encoding: 'utf-8', header: true, lineTerminators: ['\r\n'], doubleQuote: true, skipInitialSpace: false },
    'schema:encodingFormat': bom ? 'text/csv; charset=utf-8 (with BOM)' : 'text/csv; charset=utf-8',
    tables: tables.map((t) => ({
      url: t.url,
      'dc:identifier': t.file,
      tableSchema: {
        columns: t.columns.map((c) => ({
          name: c.name,
          titles: c.name,
          datatype: c.datatype,
          'dc:description': [{ '@value': c.zh, '@language': 'zh-TW' }, { '@value': c.en, '@language': 'en' }],
          ...(c.unit ? { 'schema:unitText': c.unit } : {}),
        })),
      },
    })),
  };
}
