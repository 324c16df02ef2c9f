import { defineErrors, type CodeOf } from '../../domain/index.ts';
import type { FieldError } from '../../registry/index.ts';

/**
 * Coded errors of the admin API (AD1), in the API's error shape
 * `{ error: { code, message, 'zh-TW', field?, errors? } }`: `field` names the first field at
 * fault (registry YAML field names, dotted: `location.lat`), `errors` lists them all.
 */
export const ADMIN_ERRORS = defineErrors('admin', {
  VALIDATION: { status: 400, 'zh-TW': '欄位驗證失敗', en: 'validation failed' },
  NOT_FOUND: { status: 404, 'zh-TW': '查無此項目', en: 'not found' },
  CONFLICT: { status: 409, 'zh-TW': '與現有資料衝突', en: 'conflicts with the current registry' },
  UNSUPPORTED_MEDIA: { status: 415, 'zh-TW': '僅接受 text/csv 或 application/json', en: 'send text/csv or application/json' },
  UNAVAILABLE: { status: 503, 'zh-TW': '此功能未啟用', en: 'this function is not available on this server' },
  FAILED: { status: 500, 'zh-TW': '操作失敗，已記錄於日誌', en: 'the operation failed; it has been logged' },
} as const);
export type AdminErrorCode = CodeOf<typeof ADMIN_ERRORS>;

export class AdminError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: AdminErrorCode,
    readonly errors: readonly FieldError[] = [],
    readonly detail?: string,
  ) {
    super(ADMIN_ERRORS[code].en + (errors.length ? `: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}` : detail ? `: ${detail}` : ''));
    this.statusCode = ADMIN_ERRORS[code].status;
  }

  body(): { error: { code: string; message: string; 'zh-TW': string; field?: string; errors?: readonly FieldError[] } } {
    const zh = ADMIN_ERRORS[this.code]['zh-TW'] + (this.errors.length ? `：${this.errors.map((e) => `「${e.field}」${e.message}`).join('；')}` : this.detail ? `：${this.detail}` : '');
    return { error: { code: this.code, message: this.message, 'zh-TW': zh, ...(this.errors[0] ? { field: this.errors[0].field, errors: this.errors } : {}) } };
  }
}
