import { Type, type TString, type TUnsafe } from '@sinclair/typebox';
import { KIND_NAMES, type SensorKind } from '../domain/index.ts';

/**
 * TypeBox pieces shared by the route plugins. Fastify validates requests with them and
 * @fastify/swagger turns them into the OpenAPI document, so each carries a bilingual
 * description (zh-TW first). Query objects set additionalProperties: false so a typo such
 * as `distrcit=` is a 400 naming it instead of a silently unfiltered answer.
 */

/** `{ type: 'string', enum }` reads better in OpenAPI and in Ajv messages than a union of literals. */
export function StringEnum<T extends string>(values: readonly T[], options: Record<string, unknown> = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

export const Localized = Type.Object(
  { 'zh-TW': Type.String(), en: Type.String() },
  { description: '中文（臺灣）與英文名稱 / zh-TW and English text' },
);

export const DistrictView = Type.Object({ code: Type.String(), name: Localized });

export const KindParam = StringEnum<SensorKind>(KIND_NAMES, { description: '感測器類型 / sensor kind' });

export const DistrictParam = Type.String({ minLength: 1, maxLength: 32, description: '行政區代碼 / district code' });

export const TimeParam = (what: string): TString =>
  Type.String({
    maxLength: 40,
    description: `${what}：含時區的 ISO 8601 時間 / ISO 8601 date-time with offset, e.g. 2026-11-22T08:00:00+08:00`,
  });

export const LimitParam = (def: number, max: number) =>
  Type.Integer({ minimum: 1, maximum: max, default: def, description: `每頁筆數（預設 ${def}，上限 ${max}）/ page size (default ${def}, max ${max})` });

export const CursorParam = Type.String({
  maxLength: 200,
  description: '分頁游標，取自上一頁的 next 連結 / paging cursor, taken from the previous page\'s next link',
});

/** `values` keys are the kind's field names (see /api/v1/sensors `kind`); numbers are in the unit given in `units`. */
export const Values = Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]), {
  description: '欄位值（標準單位）/ field values in canonical units',
});

export const Units = Type.Record(Type.String(), Type.String(), { description: '各欄位單位（UCUM 風格代碼）/ unit of each field (UCUM-style code)' });

export const Flags = Type.Array(Type.String(), { description: '品質旗標名稱 / quality flag names (README "Quality flags")' });

export const NextLink = Type.Union([Type.String(), Type.Null()], { description: '下一頁連結，沒有更多資料時為 null / link to the next page, null at the end' });

export const License = Type.Object({ name: Localized, url: Type.String() });

/** Open Government Data License, Taiwan 1.0 (MISSION: national open-data licence, CC BY 4.0 compatible). */
export const LICENSE = Object.freeze({
  name: { 'zh-TW': '政府資料開放授權條款-第1版', en: 'Open Government Data License, Taiwan, version 1.0' },
  url: 'https://data.gov.tw/license',
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      'zh-TW': Type.String(),
      parameter: Type.Optional(Type.String()),
    }),
  },
  { description: '錯誤 / error (exporter/errors.ts catalogue)' },
);

/** Responses every data route can give besides 200. */
export const ERROR_RESPONSES = { 400: ErrorBody, 500: ErrorBody } as const;
