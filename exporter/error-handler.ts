import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';
import { StaffError } from './staff/errors.ts';

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/** Names of the properties a route's querystring/params schema declares, for "allowed: …" hints. */
function declared(request: FastifyRequest, context: string | undefined): string[] {
  const schema = request.routeOptions.schema as Record<string, { properties?: Record<string, unknown> } | undefined> | undefined;
  const part = context === 'params' ? schema?.params : schema?.querystring;
  return Object.keys(part?.properties ?? {});
}

/**
 * Turns one Ajv issue into a catalogue error naming the parameter. Fastify runs Ajv with
 * allErrors off (its DoS guidance), so the first issue is the one we report.
 */
function fromValidation(request: FastifyRequest, issue: ValidationIssue, context: string | undefined): ApiError {
  const p = issue.params as Record<string, unknown>;
  if (issue.keyword === 'additionalProperties') {
    return new ApiError('UNKNOWN_PARAMETER', { parameter: String(p.additionalProperty), allowed: declared(request, context) });
  }
  if (issue.keyword === 'required') {
    return new ApiError('BAD_PARAMETER', { parameter: String(p.missingProperty), detail: 'is required', detailZh: '為必填' });
  }
  const parameter = issue.instancePath.replace(/^\//, '').split('/')[0] || context || 'request';
  if (issue.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    const values = (p.allowedValues as unknown[]).map(String);
    return new ApiError('BAD_PARAMETER', { parameter, detail: `must be one of: ${values.join(', ')}`, detailZh: `須為下列之一：${values.join(', ')}`, allowed: values });
  }
  return new ApiError('BAD_PARAMETER', { parameter, detail: issue.message ?? 'is invalid' });
}

/**
 * Fastify's own 4xx (body parsing, rate limit) mapped to catalogue codes (OD-P2, OD-P3), so a
 * client sees the same `{ error: { code, message, 'zh-TW' } }` on every route; undefined for
 * anything that is not a client error.
 */
export function clientError(err: FastifyError): ApiError | undefined {
  const status = err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return new ApiError('BODY_TOO_LARGE', { detail: err.message });
  if (status === 415) return new ApiError('UNSUPPORTED_MEDIA_TYPE', { value: err.message.replace(/^Unsupported Media Type:?\s*/i, '') });
  if (status === 429) return new ApiError('RATE_LIMITED', { detail: err.message });
  // JSON.parse's SyntaxError (status 400, no code), FST_ERR_CTP_* and secure-json-parse's prototype-poisoning refusal.
  if (status === 400 && (err.code === undefined || err.code.startsWith('FST_ERR_CTP') || err instanceof SyntaxError)) return new ApiError('BAD_BODY', { detail: err.message });
  return undefined;
}

/**
 * One error shape for the whole API: validation failures, handler ApiErrors, Fastify's
 * own 4xx (bad content type, body too large) and unexpected failures, which are logged
 * with the request id and reported without internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    let apiError: ApiError;
    if (err instanceof StaffError) {
      void reply.code(err.statusCode).header('cache-control', 'no-store').send(err.body());
      return;
    }
    const mapped = err instanceof ApiError ? undefined : clientError(err);
    if (err instanceof ApiError) {
      apiError = err;
    } else if (mapped) {
      apiError = mapped;
    } else if (err.validation?.[0]) {
      apiError = fromValidation(request, err.validation[0], err.validationContext);
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's coded 4xx (FST_ERR_*): keep its status and message, flag it as a bad request.
      void reply.code(err.statusCode).send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message, 'zh-TW': '請求無效' } });
      return;
    } else {
      request.log.error({ err }, 'exporter request failed');
      apiError = new ApiError('INTERNAL');
    }
    // The rate limiter sets Retry-After and X-RateLimit-* before throwing; they stay on the reply.
    void reply.code(apiError.statusCode).header('cache-control', 'no-store').send(apiError.body());
  });

  app.setNotFoundHandler((request, reply) => {
    const route = `${request.method} ${request.url.split('?')[0] ?? ''}`;
    void reply.code(404).send(new ApiError('NOT_FOUND', { route }).body());
  });
}
