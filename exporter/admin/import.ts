import { parse } from 'csv-parse/sync';
import type { FieldError } from '../../registry/index.ts';

/** One import row turned into a registry sensor entry, or the reasons it could not be. */
export interface ParsedRow {
  readonly row: number;
  readonly id: string;
  readonly entry?: Record<string, unknown>;
  readonly errors: FieldError[];
}

/**
 * CSV columns (header row required, any order; AD3):
 *   id, kind, name_zh, name_en, district, lat, lon, intervalSeconds?, gateway?, tags? (`;`-separated),
 *   params (JSON object, e.g. `{"capacity":120}`)
 * Row numbers count data rows from 1 (the header is row 0), as a spreadsheet user sees them minus one.
 */
export const CSV_COLUMNS = ['id', 'kind', 'name_zh', 'name_en', 'district', 'lat', 'lon', 'intervalSeconds', 'gateway', 'tags', 'params'] as const;

export function parseCsv(text: string): ParsedRow[] {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }) as Record<string, string>[];
  return records.map((r, i) => {
    const row = i + 1;
    const errors: FieldError[] = [];
    for (const k of Object.keys(r)) if (!(CSV_COLUMNS as readonly string[]).includes(k)) errors.push({ field: k, message: `unknown column; allowed: ${CSV_COLUMNS.join(', ')}` });
    const num = (k: 'lat' | 'lon' | 'intervalSeconds', field: string): number | undefined => {
      const v = r[k];
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) errors.push({ field, message: `must be a number (got "${v}")` });
      return n;
    };
    let params: unknown = {};
    if (r.params) {
      try {
        params = JSON.parse(r.params);
      } catch {
        errors.push({ field: 'params', message: 'must be a JSON object' });
      }
    }
    const lat = num('lat', 'location.lat');
    const lon = num('lon', 'location.lon');
    const interval = num('intervalSeconds', 'intervalSeconds');
    const entry: Record<string, unknown> = {
      id: r.id ?? '',
      kind: r.kind ?? '',
      name: { 'zh-TW': r.name_zh ?? '', en: r.name_en ?? '' },
      district: r.district ?? '',
      location: { lat, lon },
      params,
      ...(interval !== undefined ? { intervalSeconds: interval } : {}),
      ...(r.gateway ? { gateway: r.gateway } : {}),
      ...(r.tags ? { tags: r.tags.split(';').map((t) => t.trim()).filter(Boolean) } : {}),
    };
    return { row, id: r.id ?? '', ...(errors.length ? {} : { entry }), errors };
  });
}

/** JSON: an array of sensors in registry field names, or `{ "sensors": [...] }`. Rows count from 1. */
export function parseJson(body: unknown): ParsedRow[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { sensors?: unknown }).sensors) ? (body as { sensors: unknown[] }).sensors : undefined;
  if (!list) return [{ row: 0, id: '', errors: [{ field: '(body)', message: 'must be an array of sensors or { "sensors": [...] }' }] }];
  return list.map((s, i) => {
    const ok = s !== null && typeof s === 'object' && !Array.isArray(s);
    const id = ok && typeof (s as { id?: unknown }).id === 'string' ? (s as { id: string }).id : '';
    return ok ? { row: i + 1, id, entry: { ...(s as Record<string, unknown>) }, errors: [] } : { row: i + 1, id, errors: [{ field: '(row)', message: 'must be an object' }] };
  });
}
