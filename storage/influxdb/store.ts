import type { Logger } from 'pino';
import type { Aggregate, Alert, AlertChange, DeadLetter, Reading, Sensor } from '../../domain/index.ts';
import type { AggregateQuery, AlertQuery, DeadLetterQuery, LatestQuery, ReadingQuery, ReadingSpan, ReadingSpanQuery, Store, StoreHealth, WindowReadingsQuery } from '../port.ts';
import { Spool } from './spool.ts';
import { parseTarget, type TargetKey } from './batch.ts';
import { InfluxHttp } from './http.ts';
import { influxMetrics } from './metrics.ts';
import { resolveOptions, type InfluxStoreOptions, type ResolvedInfluxOptions } from './options.ts';
import { InfluxReader } from './read.ts';
import { ensureRetention } from './retention.ts';
import { aggregateLine, AGG_TIER, alertLine, deadLetterLine, M_DEAD_LETTERS, pipelineLine, readingLine, sensorMetaLine } from './schema.ts';
import type { RejectedLine } from './delivery.ts';
import { InfluxWriter, type WriterStatus } from './writer.ts';

export interface InfluxStatus extends WriterStatus {
  /** 'created' (1.x), 'operator' (2.x/3.x provision it), 'pending' (server not reached yet). */
  readonly schema: 'created' | 'operator' | 'pending';
}

/**
 * The InfluxDB adapter of the storage port (S1–S5). Writes go through InfluxWriter
 * (batching, spool, replay, dead letters); reads are InfluxQL over /query.
 * S1/S2 hold by construction: a point is keyed by (measurement, tags, time), so a replay
 * overwrites itself. S3: every change is one alert_events point; reads take the newest.
 */
export class InfluxStore implements Store {
  readonly name = 'influxdb';
  private readonly o: ResolvedInfluxOptions;
  private readonly log: Logger;
  private readonly http: InfluxHttp;
  private readonly reader: InfluxReader;
  private spool: Spool | undefined;
  private writer: InfluxWriter | undefined;
  private schema: InfluxStatus['schema'] = 'pending';
  private schemaTimer: NodeJS.Timeout | undefined;

  constructor(options: InfluxStoreOptions) {
    this.o = resolveOptions(options);
    this.log = options.logger.child({ component: 'influxdb' });
    this.http = new InfluxHttp(this.o);
    this.reader = new InfluxReader(this.http, this.o);
  }

  /** Opens the spool and starts replaying any backlog; an unreachable server is not an error (writes spool). */
  async open(): Promise<void> {
    this.spool = await Spool.open({ dir: this.o.spoolDir, logger: this.log });
    const spool = this.spool;
    const metrics = influxMetrics(this.o.metrics, () => spool.weight);
    this.writer = new InfluxWriter(this.http, spool, this.o, metrics, this.log, (key, rejected) => this.deadLetterLines(key, rejected));
    await this.prepareSchema();
    this.writer!.start();
    if (spool.records > 0) this.log.warn({ backlogLines: spool.weight }, 'influx: replaying spool backlog from a previous run');
  }

  async close(): Promise<void> {
    clearTimeout(this.schemaTimer);
    await this.writer?.close();
    await this.spool?.close();
  }

  writeReadings(batch: readonly Reading[]): Promise<void> {
    return this.w().write('raw', 'ms', batch.map(readingLine));
  }

  async writeAggregates(batch: readonly Aggregate[]): Promise<void> {
    const m = batch.filter((a) => a.period === '1m').map(aggregateLine);
    const h = batch.filter((a) => a.period === '1h').map(aggregateLine);
    await Promise.all([this.w().write(AGG_TIER['1m'], 'ms', m), this.w().write(AGG_TIER['1h'], 'ms', h)]);
  }

  writeAlertChanges(batch: readonly AlertChange[]): Promise<void> {
    return this.w().write('raw', 'ms', batch.map(alertLine));
  }

  writeDeadLetters(batch: readonly DeadLetter[]): Promise<void> {
    return this.w().write('raw', 'ns', batch.map(deadLetterLine));
  }

  /** The app's pipeline health sample (every 10 s): measurement `pipeline`, numeric fields. */
  writePipelineHealth(fields: Readonly<Record<string, number>>, ts: number): Promise<void> {
    const line = pipelineLine(fields, ts, this.o.host);
    return line === undefined ? Promise.resolve() : this.w().write('raw', 'ms', [line]);
  }

  /** Registry metadata for the dashboards (`sensor_meta`): at start-up and once a day. */
  writeSensorMeta(sensors: Iterable<Sensor>, ts: number): Promise<void> {
    const lines: string[] = [];
    for (const s of sensors) lines.push(sensorMetaLine(s, ts));
    return lines.length ? this.w().write('raw', 'ms', lines) : Promise.resolve();
  }

  /** Sends buffered lines now instead of waiting for flushMs (does not wait for delivery). */
  flush(): void {
    this.writer?.flush();
  }

  latest(q: LatestQuery): Promise<Reading[]> {
    return this.reader.latest(q);
  }
  /** LA3: raw readings of a (kind, district) window for the late-data recompute. */
  async windowReadings(q: WindowReadingsQuery): Promise<Reading[]> {
    // A write resolves once spooled; the recompute must see every line, so wait for delivery
    // (bounded: while InfluxDB is down the job fails and is retried at a later tick).
    const w = this.w();
    w.flush();
    for (let waited = 0; ; waited += 20) {
      const s = w.status();
      if (s.backlogLines === 0 && s.queuedLines === 0) break;
      if (waited >= 5_000) throw new Error(`influx: ${s.backlogLines + s.queuedLines} lines not yet delivered; recompute later`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.reader.windowReadings(q);
  }

  readings(q: ReadingQuery): Promise<Reading[]> {
    return this.reader.readings(q);
  }
  readingSpans(q: ReadingSpanQuery): Promise<ReadingSpan[]> {
    return this.reader.spans(q);
  }
  aggregates(q: AggregateQuery): Promise<Aggregate[]> {
    return this.reader.aggregates(q);
  }
  alerts(q: AlertQuery): Promise<Alert[]> {
    return this.reader.alerts(q);
  }
  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    return this.reader.deadLetters(q);
  }
  deadLetterCounts(): Promise<Record<string, number>> {
    return this.reader.deadLetterCounts();
  }
  /** S3 history (not in the port yet): every change of one alert, oldest first. */
  alertHistory(alertId: string, limit?: number): Promise<AlertChange[]> {
    return this.reader.alertHistory(alertId, limit);
  }

  /** For /healthz: backlog, queue, last success and last error of the write path. */
  status(): InfluxStatus {
    const w = this.writer?.status() ?? { backlogLines: 0, backlogBytes: 0, queuedLines: 0 };
    return { ...w, schema: this.schema };
  }

  async health(): Promise<StoreHealth> {
    const s = this.status();
    const up = await this.http.ping();
    const detail = [
      up ? 'reachable' : 'unreachable',
      `backlog ${s.backlogLines} lines`,
      s.lastError && s.failing ? `failing since the error at ${new Date(s.lastErrorAt!).toISOString()}: ${s.lastError}` : undefined,
    ].filter(Boolean).join('; ');
    // Spooled data is safe but not yet queryable: healthy only when reachable and the spool is empty.
    return { ok: up && s.backlogLines === 0, adapter: this.name, detail };
  }

  private w(): InfluxWriter {
    if (!this.writer) throw new Error('InfluxStore used before open()');
    return this.writer;
  }

  /** Creates the database/RPs now, or keeps trying in the background while the server is away. */
  private async prepareSchema(): Promise<void> {
    const r = await ensureRetention(this.http, this.o, this.log);
    if (r !== 'unreachable') {
      this.schema = r;
      return;
    }
    this.log.warn({ url: this.o.url }, 'influx: server unreachable at open; writes are spooled, schema retried');
    this.schemaTimer = setTimeout(() => void this.prepareSchema().catch((e: Error) => this.log.error({ err: e }, 'influx: schema setup failed')), 2_000);
    this.schemaTimer.unref();
  }

  /** Turns lines InfluxDB refused into dead letters (IW6); refused dead letters are only logged. */
  private deadLetterLines(key: TargetKey, rejected: readonly RejectedLine[]): string[] {
    const at = Date.now();
    const out: string[] = [];
    for (const r of rejected) {
      const measurement = r.line.slice(0, r.line.search(/(?<!\\)[, ]/));
      if (measurement === M_DEAD_LETTERS) {
        this.log.error({ line: r.line.slice(0, 1_000), reason: r.reason }, 'influx: dead letter refused by InfluxDB; logged only');
        continue;
      }
      const sensorId = /(?:^|,)sensor_id=((?:\\.|[^,\s])+)/.exec(r.line)?.[1]?.replace(/\\(.)/g, '$1');
      const d: DeadLetter = {
        at,
        // No store-specific reject reason exists in the domain catalogue yet; SCHEMA is the closest.
        reason: 'SCHEMA',
        message: `InfluxDB rejected the line (${parseTarget(key).tier}): ${r.reason}`.slice(0, 2_000),
        topic: `influxdb/${measurement}`,
        clientId: 'civicstream/influxdb',
        payload: r.line.slice(0, 8_192),
        payloadBytes: Buffer.byteLength(r.line),
        ...(sensorId !== undefined && { sensorId }),
      };
      out.push(deadLetterLine(d));
    }
    return out;
  }
}
