import { defineErrors } from '../../domain/index.ts';

/** Coded errors of the console's session API (`/console/api/session`), in the API's error shape. */
export const CONSOLE_ERRORS = defineErrors('console', {
  LOGIN_THROTTLED: { status: 429, 'zh-TW': '密碼錯誤次數過多，請稍後再試', en: 'too many wrong passwords; wait and try again' },
  BAD_CREDENTIALS: { status: 401, 'zh-TW': '帳號或密碼錯誤', en: 'wrong name or password' },
  UNAUTHENTICATED: { status: 401, 'zh-TW': '尚未登入', en: 'not signed in' },
} as const);
