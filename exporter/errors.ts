import { defineErrors, type CodeOf, type ErrorSpec } from '../domain/index.ts';

/**
 * The exporter's coded errors (STYLE habit 4). Every 4xx/5xx the API sends has the body
 * `{ error: { code, message, 'zh-TW', parameter? } }`: `code` is stable for programs,
 * `message` (English) and `zh-TW` are for people, `parameter` names the query or path
 * parameter at fault so a civic developer can fix the request without reading our source.
 * test/exporter/errors.test.ts checks every entry renders in both languages.
 */
export interface ErrorArgs {
  readonly parameter?: string;
  readonly value?: string;
  readonly detail?: string;
  /** zh-TW rendering of `detail` when we have one (Ajv's own messages are English only). */
  readonly detailZh?: string;
  readonly allowed?: readonly string[];
  readonly maxDays?: number;
  readonly days?: number;
  readonly kind?: string;
  readonly route?: string;
}

interface CatalogueEntry extends ErrorSpec<ErrorArgs> {
  readonly status: number;
  readonly 'zh-TW': (a: ErrorArgs) => string;
  readonly en: (a: ErrorArgs) => string;
}

const q = (s: string | undefined): string => `"${s ?? ''}"`;
const allowed = (a: ErrorArgs): string => (a.allowed?.length ? a.allowed.join(', ') : '');

export const API_ERRORS = defineErrors('api', {
  BAD_PARAMETER: {
    status: 400,
    'zh-TW': (a) => `參數「${a.parameter ?? ''}」無效：${a.detailZh ?? a.detail ?? ''}`,
    en: (a) => `parameter ${q(a.parameter)} is invalid: ${a.detail ?? ''}`,
  },
  UNKNOWN_PARAMETER: {
    status: 400,
    'zh-TW': (a) => `不支援的參數「${a.parameter ?? ''}」；可用參數：${allowed(a) || '（無）'}`,
    en: (a) => `unknown parameter ${q(a.parameter)}; allowed: ${allowed(a) || '(none)'}`,
  },
  BAD_TIME: {
    status: 400,
    'zh-TW': (a) => `參數「${a.parameter ?? ''}」須為含時區的 ISO 8601 時間，例如 2026-11-22T08:00:00+08:00（收到 ${q(a.value)}）`,
    en: (a) => `parameter ${q(a.parameter)} must be an ISO 8601 date-time with offset, e.g. 2026-11-22T08:00:00+08:00 (got ${q(a.value)})`,
  },
  BAD_RANGE: {
    status: 400,
    'zh-TW': () => '參數「from」必須早於「to」',
    en: () => 'parameter "from" must be earlier than "to"',
  },
  RANGE_TOO_LARGE: {
    status: 400,
    'zh-TW': (a) => `查詢區間 ${a.days ?? '?'} 天超過上限 ${a.maxDays ?? '?'} 天；請縮小 from/to 並分段查詢`,
    en: (a) => `the range from..to spans ${a.days ?? '?'} days; the maximum is ${a.maxDays ?? '?'} days: narrow from/to and page through smaller ranges`,
  },
  BAD_CURSOR: {
    status: 400,
    'zh-TW': () => '參數「cursor」不是本 API 產生的游標；請使用回應中 next 連結',
    en: () => 'parameter "cursor" is not a cursor issued by this API; follow the "next" link of a response',
  },
  UNKNOWN_DISTRICT: {
    status: 400,
    'zh-TW': (a) => `參數「${a.parameter ?? 'district'}」：查無行政區代碼 ${q(a.value)}`,
    en: (a) => `parameter ${q(a.parameter ?? 'district')}: unknown district code ${q(a.value)}`,
  },
  UNKNOWN_SENSOR_PARAM: {
    status: 400,
    'zh-TW': (a) => `參數「${a.parameter ?? ''}」：查無感測器 ${q(a.value)}`,
    en: (a) => `parameter ${q(a.parameter)}: unknown sensor ${q(a.value)}`,
  },
  UNKNOWN_FIELD: {
    status: 400,
    'zh-TW': (a) => `參數「field」：${q(a.value)} 不是${a.kind ? ` ${a.kind} ` : '任何感測器類型'}的數值欄位；可用欄位：${allowed(a)}`,
    en: (a) => `parameter "field": ${q(a.value)} is not a numeric field of ${a.kind ?? 'any sensor kind'}; allowed: ${allowed(a)}`,
  },
  SENSOR_NOT_FOUND: {
    status: 404,
    'zh-TW': (a) => `查無感測器 ${q(a.value)}`,
    en: (a) => `sensor ${q(a.value)} is not registered`,
  },
  NOT_FOUND: {
    status: 404,
    'zh-TW': (a) => `查無此路徑 ${a.route ?? ''}；API 文件請見 /docs`,
    en: (a) => `no such route ${a.route ?? ''}; see /docs for the API description`,
  },
  // OD-P3: bodies that cannot be read are the client's fault, coded, never a 500 (even before authentication).
  BAD_BODY: {
    status: 400,
    'zh-TW': (a) => `請求內容無法解析：${a.detail ?? ''}；請送出有效的 JSON（Content-Type: application/json）`,
    en: (a) => `the request body cannot be read: ${a.detail ?? ''}; send valid JSON (Content-Type: application/json)`,
  },
  BODY_TOO_LARGE: {
    status: 413,
    'zh-TW': (a) => `請求內容超過上限 ${a.detail ?? ''}`,
    en: (a) => `the request body is larger than the limit ${a.detail ?? ''}`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    'zh-TW': (a) => `不支援的內容類型 ${q(a.value)}；請使用 application/json`,
    en: (a) => `unsupported content type ${q(a.value)}; use application/json`,
  },
  // OD-P2: every unauthenticated route family has its own per-client budget; Retry-After says when to come back.
  RATE_LIMITED: {
    status: 429,
    'zh-TW': (a) => `請求過於頻繁（${a.detail ?? ''}）；請依 Retry-After 標頭等候後再試`,
    en: (a) => `too many requests (${a.detail ?? ''}); wait for the Retry-After header before retrying`,
  },
  // The live SSE feed when this server has no reading stream to offer (Retry-After: 60).
  LIVE_UNAVAILABLE: {
    status: 503,
    'zh-TW': () => '即時串流未啟用',
    en: () => 'live feed not configured',
  },
  INTERNAL: {
    status: 500,
    'zh-TW': () => '伺服器內部錯誤，已記錄於日誌',
    en: () => 'internal error; it has been logged',
  },
} as const satisfies Record<string, CatalogueEntry>);

export type ApiErrorCode = CodeOf<typeof API_ERRORS>;

export interface ErrorBodyT {
  error: { code: string; message: string; 'zh-TW': string; parameter?: string };
}

/** Thrown by handlers; the error handler renders it with its catalogue status. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    readonly args: ErrorArgs = {},
  ) {
    super(API_ERRORS[code].en(args));
    this.statusCode = API_ERRORS[code].status;
  }

  body(): ErrorBodyT {
    const entry = API_ERRORS[this.code];
    const error: ErrorBodyT['error'] = { code: this.code, message: this.message, 'zh-TW': entry['zh-TW'](this.args) };
    if (this.args.parameter !== undefined) error.parameter = this.args.parameter;
    return { error };
  }
}
