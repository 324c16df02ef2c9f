import type { Logger } from 'pino';
import type { InfluxHttp } from './http.ts';
import { InfluxQueryError } from './http.ts';
import { ident } from './influxql.ts';
import type { ResolvedInfluxOptions } from './options.ts';
import type { Tier } from './schema.ts';

export type SchemaResult = 'created' | 'operator' | 'unreachable';

/**
 * Tiered retention (issue 4, item 3), created where the server allows it: InfluxDB 1.x
 * gets the database and three retention policies, `raw` as DEFAULT so ad-hoc InfluxQL
 * and Grafana panels without an explicit RP read the raw tier. 2.x and 3.x refuse these
 * statements; there buckets/databases are provisioned by the operator (README.md).
 * An existing policy with another duration is ALTERed, so a changed config takes effect.
 */
export async function ensureRetention(http: InfluxHttp, o: ResolvedInfluxOptions, log: Logger): Promise<SchemaResult> {
  if (o.api === 'v2') {
    log.info({ bucketPrefix: o.database }, 'influx: api v2, buckets are provisioned by the operator');
    return 'operator';
  }
  const db = ident(o.database);
  try {
    await http.query(`CREATE DATABASE ${db}`, true);
  } catch (e) {
    if (!(e instanceof InfluxQueryError)) return 'unreachable';
    log.info({ err: e.message }, 'influx: server refuses CREATE DATABASE (2.x/3.x?); databases and retention are provisioned by the operator');
    return 'operator';
  }
  const durations: Record<Tier, string> = { raw: o.retention.raw, agg_1m: o.retention.agg1m, agg_1h: o.retention.agg1h };
  for (const tier of ['raw', 'agg_1m', 'agg_1h'] as const) {
    const spec = `DURATION ${duration(durations[tier])} REPLICATION 1${tier === 'raw' ? ' DEFAULT' : ''}`;
    try {
      await http.query(`CREATE RETENTION POLICY ${ident(o.rp[tier])} ON ${db} ${spec}`, true);
    } catch (e) {
      if (!(e instanceof InfluxQueryError) || !/already exists/.test(e.message)) throw e;
      await http.query(`ALTER RETENTION POLICY ${ident(o.rp[tier])} ON ${db} ${spec}`, true);
    }
  }
  log.info({ database: o.database, retention: durations }, 'influx: database and retention policies ready');
  return 'created';
}

/** Only InfluxQL duration literals (30d, 52w, 12h, INF) reach the statement. */
function duration(d: string): string {
  if (/^(INF|(\d+(ns|u|µ|ms|s|m|h|d|w))+)$/i.test(d.trim())) return d.trim();
  throw new Error(`invalid InfluxDB retention duration "${d}" (use e.g. 30d, 52w or INF)`);
}
