import { stringify } from 'csv-stringify/sync';
import { kindOf, flagNames, toTaipeiIso, type Reading, type Sensor, type SensorKind } from '../domain/index.ts';

/**
 * Readings of one sensor as RFC 4180 CSV. The column set is every field the kind declares,
 * in declaration order, whether or not this page holds a value for it: pages of one sensor
 * then concatenate, and a spreadsheet's column letters do not move between downloads.
 * Headers carry the unit (`pm25 (ug/m3)`) because sensor.community users ask for units in the data.
 *
 * A UTF-8 byte-order mark leads the file: Excel on zh-TW Windows otherwise reads a CSV as
 * CP950 (Big5) and garbles the sensor names. RFC 4180 parsers and `csv-parse` with `bom: true` skip it.
 */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

/**
 * The one CSV writer of the API and the open-data feeds and bulk files: RFC 4180 with CRLF
 * record ends; the header row and the byte-order mark only when asked.
 */
export function toCsv(rows: readonly (readonly unknown[])[], columns: readonly string[], o: { readonly header?: boolean; readonly bom?: boolean } = {}): string {
  return stringify(rows as unknown[][], { header: o.header ?? true, columns: [...columns], bom: o.bom ?? false, record_delimiter: 'windows' });
}

/** A kind's value columns in declaration order, each with its unit: `pm25 (ug/m3)`. */
export function fieldColumns(kind: SensorKind): string[] {
  return kindOf(kind).fields.map((f) => (f.unit ? `${f.name} (${f.unit})` : f.name));
}

function csvHeader(sensor: Sensor): string[] {
  return ['time', 'epoch_ms', 'sensor_id', 'sensor_name', 'sensor_name_en', ...fieldColumns(sensor.kind), 'flags'];
}

export function readingsCsv(sensor: Sensor, readings: readonly Reading[], withBom: boolean): string {
  const fields = kindOf(sensor.kind).fields;
  const rows: (string | number)[][] = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as Reading;
    const row: (string | number)[] = [toTaipeiIso(r.ts), r.ts, sensor.id, sensor.name['zh-TW'], sensor.name.en];
    for (const f of fields) row.push(r.values[f.name] ?? '');
    // `|` joins flag names: they are identifiers without it, and it needs no CSV quoting.
    row.push(flagNames(r.flags).join('|'));
    rows[i] = row;
  }
  return toCsv(rows, csvHeader(sensor), { bom: withBom });
}
