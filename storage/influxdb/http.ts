import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { ResolvedInfluxOptions } from './options.ts';
import type { Precision, Tier } from './schema.ts';

const gzipAsync = promisify(gzip);

/**
 * Our own HTTP writes instead of the client library's WriteApi: its retry buffer
 * drops the oldest lines when full, and we must never drop (issue 4, item 4).
 * Every outcome is classified so the writer knows whether to spool, retry or dead-letter.
 */
export type WriteOutcome =
  | { readonly kind: 'ok' }
  /** Server away, slow, overloaded or misconfigured: keep the lines and retry later. */
  | { readonly kind: 'retry'; readonly message: string }
  /** The server refused (some of) these lines: 400/413/422 with its message. */
  | { readonly kind: 'reject'; readonly status: number; readonly message: string };

export interface QuerySeries {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly columns: readonly string[];
  readonly values: readonly (readonly unknown[])[];
}

export class InfluxQueryError extends Error {}

/** Statuses that mean "these lines are wrong"; everything else non-2xx is retried. */
const LINE_REJECTS = new Set([400, 413, 422]);

export class InfluxHttp {
  private readonly auth: string | undefined;

  constructor(private readonly o: ResolvedInfluxOptions) {
    if (o.token) this.auth = `Token ${o.token}`;
    else if (o.username !== undefined) this.auth = `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}`;
  }

  async write(tier: Tier, precision: Precision, body: string): Promise<WriteOutcome> {
    const rp = this.o.rp[tier];
    const params =
      this.o.api === 'v2'
        ? new URLSearchParams({ org: this.o.org!, bucket: `${this.o.database}/${rp}`, precision })
        : new URLSearchParams({ db: this.o.database, rp, precision });
    const path = this.o.api === 'v2' ? '/api/v2/write' : '/write';
    // Level 1: a 5,000-line reading batch shrinks 8.6× (735 kB → 86 kB) in 2.6 ms; level 6 saves
    // another 5% for 2.2× the CPU (measured on the CI machine, see README.md).
    const gz = await gzipAsync(body, { level: constants.Z_BEST_SPEED });
    let res: Response;
    try {
      res = await fetch(`${this.o.url}${path}?${params}`, {
        method: 'POST',
        headers: this.headers({ 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' }),
        body: gz,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (e) {
      return { kind: 'retry', message: describe(e) };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return { kind: 'ok' };
    const message = errorMessage(text) || `HTTP ${res.status}`;
    if (LINE_REJECTS.has(res.status) && !isConfigError(message)) return { kind: 'reject', status: res.status, message };
    return { kind: 'retry', message: `HTTP ${res.status}: ${message}` };
  }

  /** InfluxQL over /query with epoch=ms; GET for reads, POST for statements that change the server. */
  async query(q: string, mutate = false): Promise<QuerySeries[][]> {
    const params = new URLSearchParams({ db: this.o.database, q, epoch: 'ms' });
    const get = !mutate && params.toString().length < 6_000;
    const res = await fetch(get ? `${this.o.url}/query?${params}` : `${this.o.url}/query`, {
      method: get ? 'GET' : 'POST',
      headers: this.headers(get ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      body: get ? undefined : params,
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new InfluxQueryError(`InfluxDB /query ${res.status}: ${errorMessage(text) || text.slice(0, 300)}`);
    const json = JSON.parse(text) as { error?: string; results?: { series?: QuerySeries[]; error?: string }[] };
    if (json.error) throw new InfluxQueryError(`InfluxDB /query: ${json.error}`);
    return (json.results ?? []).map((r) => {
      if (r.error) throw new InfluxQueryError(`InfluxDB /query: ${r.error}`);
      return r.series ?? [];
    });
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.o.url}/ping`, { headers: this.headers({}), signal: AbortSignal.timeout(this.o.timeoutMs) });
      await res.arrayBuffer();
      return res.status === 204 || res.ok;
    } catch {
      return false;
    }
  }

  private headers(h: Record<string, string>): Record<string, string> {
    return this.auth ? { ...h, authorization: this.auth } : h;
  }
}

/** 1.x: {"error": "..."}; 2.x: {"code": "...", "message": "..."}; 3.x: {"error": "...", "data": [...]} (kept raw). */
function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown; data?: unknown };
    if (j.data !== undefined) return text.trim();
    if (typeof j.error === 'string') return j.error;
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON: use the body as is
  }
  return text.trim().slice(0, 4_000);
}

/**
 * A 400 that is about the target, not the lines (1.x: missing RP; 2.x: missing bucket mapping):
 * dead-lettering every line for it would lose data that a fixed config would accept.
 */
function isConfigError(message: string): boolean {
  return /retention policy not found|database not found|bucket .*not found|no dbrp mapping/i.test(message);
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'timeout';
  return err.cause?.code ?? err.cause?.message ?? err.message;
}
