import { defineErrors, type CodeOf } from '../../domain/index.ts';

/**
 * Coded errors of the staff API, in the exporter's error shape
 * `{ error: { code, message, 'zh-TW' } }` (exporter/errors.ts), zh-TW and English.
 */
export const STAFF_ERRORS = defineErrors('staff', {
  UNAUTHENTICATED: { status: 401, 'zh-TW': '此路徑僅供值勤人員：請以有效的 API 權杖（Authorization: Bearer cs_…）存取或登入主控台；公開資料請見 /open-data', en: 'staff only: send a valid API token (Authorization: Bearer cs_…) or sign in to the console; public data is at /open-data' },
  FORBIDDEN: { status: 403, 'zh-TW': '此操作需要較高的角色權限', en: 'this action needs a higher role' },
  ALERT_NOT_FOUND: { status: 404, 'zh-TW': '找不到此警報', en: 'no such alert' },
  NOT_OPEN: { status: 409, 'zh-TW': '警報不在可執行此操作的狀態（已確認或已解除）', en: 'the alert is not in a state that allows this action (already acknowledged or resolved)' },
  BAD_REQUEST: { status: 400, 'zh-TW': '請求格式錯誤', en: 'the request does not match the route schema' },
  INTERNAL: { status: 500, 'zh-TW': '伺服器內部錯誤', en: 'internal error' },
  RELOAD_FAILED: { status: 422, 'zh-TW': '規則檔驗證失敗，沿用原規則', en: 'the rule files failed validation; the previous rules stay in force' },
} as const);
export type StaffErrorCode = CodeOf<typeof STAFF_ERRORS>;

export class StaffError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: StaffErrorCode,
    readonly detail?: string,
  ) {
    super(STAFF_ERRORS[code].en + (detail ? `: ${detail}` : ''));
    this.statusCode = STAFF_ERRORS[code].status;
  }
  body(): { error: { code: string; message: string; 'zh-TW': string } } {
    return { error: { code: this.code, message: this.message, 'zh-TW': STAFF_ERRORS[this.code]['zh-TW'] + (this.detail ? `：${this.detail}` : '') } };
  }
}
