/** Same-origin fetch helpers. Staff calls carry the session's CSRF token (CO3). */
let csrf = '';
export const setCsrf = (t: string) => { csrf = t; };

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`HTTP ${status}`);
  }
}

export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown; raw?: string; type?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.method && init.method !== 'GET') headers['x-csrf-token'] = csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.raw !== undefined) headers['content-type'] = init.type ?? 'text/csv';
  const res = await fetch(path, { method: init.method ?? 'GET', headers, credentials: 'same-origin', cache: 'no-cache', ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : init.raw !== undefined ? { body: init.raw } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  if (!res.ok) throw new HttpError(res.status, body);
  return body as T;
}
