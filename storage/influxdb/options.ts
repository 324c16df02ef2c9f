import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Tier } from './schema.ts';

/**
 * Settings per server generation (see storage/influxdb/README.md):
 *   1.x  api 'v1', database, username/password when auth is on; retention policies are created at open().
 *   2.x  api 'v1' + token (DBRP: buckets "<database>/raw", "<database>/agg_1m", "<database>/agg_1h"
 *        map to db/rp automatically), or api 'v2' + org + bucket + token (same bucket names,
 *        `bucket` replacing `database` as prefix); queries use /query (InfluxQL) either way.
 *   3.x  api 'v1', database, token; databases/buckets provisioned by the operator.
 */
export interface InfluxStoreOptions {
  readonly url: string;
  readonly api: 'v1' | 'v2';
  /** v1 database (and InfluxQL database for queries). Default "civicstream". */
  readonly database?: string;
  /** Retention policy of the raw tier. Default "raw". */
  readonly retentionPolicy?: string;
  readonly username?: string;
  readonly password?: string;
  readonly org?: string;
  /** v2: bucket prefix; tiers write to "<bucket>/<rp>". Default: the database name. */
  readonly bucket?: string;
  readonly token?: string;
  /** Durations in InfluxQL syntax ("30d", "365d", "INF"). */
  readonly retention: { readonly raw: string; readonly agg1m: string; readonly agg1h: string };
  readonly spoolDir: string;
  /** Lines per write request (InfluxData recommends 5,000). */
  readonly maxBatchLines: number;
  /** Longest a line waits in memory before its batch is sent. */
  readonly flushMs: number;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Write/query request timeout; a slow server counts as down and lines go to the spool. Default 10 s. */
  readonly timeoutMs?: number;
  /** Cap of the exponential retry backoff while InfluxDB is away. Default 10 s. */
  readonly maxBackoffMs?: number;
  /** Lines held in memory before new batches are spooled instead (bounded memory). Default 4 × maxBatchLines. */
  readonly maxQueuedLines?: number;
  /** Optional `host` tag on the pipeline measurement. */
  readonly host?: string;
}

export interface ResolvedInfluxOptions extends InfluxStoreOptions {
  /** InfluxQL database; with api v2 also the bucket prefix. */
  readonly database: string;
  readonly timeoutMs: number;
  readonly maxBackoffMs: number;
  readonly maxQueuedLines: number;
  /** Retention policy name per tier. */
  readonly rp: Readonly<Record<Tier, string>>;
}

export function resolveOptions(o: InfluxStoreOptions): ResolvedInfluxOptions {
  if (o.api === 'v2' && (!o.org || !o.token)) throw new Error('InfluxDB api v2 needs org and token');
  if (!(o.maxBatchLines >= 1) || !(o.flushMs >= 0)) throw new Error('maxBatchLines must be ≥ 1 and flushMs ≥ 0');
  return {
    ...o,
    // v2: the bucket prefix is also the InfluxQL database, through 2.x's "<db>/<rp>" virtual DBRP mapping.
    database: (o.api === 'v2' ? o.bucket : undefined) ?? o.database ?? 'civicstream',
    timeoutMs: o.timeoutMs ?? 10_000,
    maxBackoffMs: o.maxBackoffMs ?? 10_000,
    maxQueuedLines: o.maxQueuedLines ?? 4 * o.maxBatchLines,
    rp: { raw: o.retentionPolicy ?? 'raw', agg_1m: 'agg_1m', agg_1h: 'agg_1h' },
  };
}
