import type { FastifyInstance } from 'fastify';

/**
 * Last-Modified / If-Modified-Since (RFC 9110 §13.1.3) for responses that set Last-Modified.
 * ETag / If-None-Match is @fastify/etag's; per RFC 9110 §13.2.2 If-None-Match wins when both
 * are sent, so this hook only acts without it.
 */
export function installLastModified(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const lm = reply.getHeader('last-modified');
    const ims = request.headers['if-modified-since'];
    if (reply.statusCode !== 200 || typeof lm !== 'string' || !ims || request.headers['if-none-match'] !== undefined) return payload;
    const mod = Date.parse(lm);
    const since = Date.parse(ims);
    if (Number.isNaN(mod) || Number.isNaN(since) || mod > since) return payload;
    void reply.code(304);
    return '';
  });
}

/** HTTP-date of an epoch ms, whole seconds (RFC 9110 §5.6.7). */
export function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}
