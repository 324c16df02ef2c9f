import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks (WH1–WH3).
 * WH1 signature = hex HMAC-SHA256(secret, `${timestamp}.${body}`); sent as
 *     `X-Civic-Signature: v1=<hex>` with `X-Civic-Timestamp: <unix seconds>`. Signing the
 *     timestamp with the body stops an old body being replayed under a new timestamp.
 * WH2 A receiver rejects timestamps outside the replay window (default 5 minutes).
 * WH3 A non-2xx answer or a timeout is a failed attempt (retried by the dispatcher).
 */
export const SIGNATURE_HEADER = 'x-civic-signature';
export const TIMESTAMP_HEADER = 'x-civic-timestamp';

export function signWebhook(secret: string, timestampS: number, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
}

/** For receivers (and our tests): constant-time check of WH1 and WH2. */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, nowMs: number, windowMs = 300_000): { ok: true } | { ok: false; reason: string } {
  const ts = Number(headers[TIMESTAMP_HEADER]);
  const sig = headers[SIGNATURE_HEADER];
  if (!Number.isInteger(ts) || typeof sig !== 'string') return { ok: false, reason: 'missing timestamp or signature' };
  if (Math.abs(nowMs - ts * 1000) > windowMs) return { ok: false, reason: 'timestamp outside the replay window' };
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'bad signature' };
  return { ok: true };
}

export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

export async function postWebhook(t: WebhookTarget, payload: unknown, nowMs: number, timeoutMs = 10_000): Promise<void> {
  const body = JSON.stringify(payload);
  const ts = Math.floor(nowMs / 1000);
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(t.secret, ts, body), 'user-agent': 'civicstream-alerts' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new Error(`webhook ${t.url} answered ${res.status}`);
}
