import type { Logger } from 'pino';
import type { Spool } from './spool.ts';
import { encodeBatch, parseTarget, targetKey, type TargetKey } from './batch.ts';
import type { InfluxHttp } from './http.ts';
import type { InfluxMetrics } from './metrics.ts';
import { droppedAll, namedBadLines } from './rejections.ts';

export interface RejectedLine {
  readonly line: string;
  readonly reason: string;
}

/** Dead-letter lines (raw tier, ns) describing refused lines; [] for lines that must only be logged. */
export type DeadLetterLines = (key: TargetKey, rejected: readonly RejectedLine[]) => string[];

/**
 * One batch to InfluxDB and what its answer means (IW5, IW6 in writer.ts), plus the write
 * path's health: last success, last error and when the next attempt is due.
 */
export class Delivery {
  lastSuccessAt: number | undefined;
  lastErrorAt: number | undefined;
  lastError: string | undefined;
  /** Epoch ms before which no new attempt is made (0: now). */
  retryAt = 0;
  private backoffMs = 0;

  constructor(
    private readonly http: InfluxHttp,
    private readonly spool: Spool,
    private readonly m: InfluxMetrics,
    private readonly log: Logger,
    private readonly maxBackoffMs: number,
    private readonly deadLetters: DeadLetterLines,
  ) {}

  /** 'retry' means nothing was lost: the caller keeps (spools) the lines and tries later. */
  async send(key: TargetKey, lines: readonly string[]): Promise<'ok' | 'retry'> {
    const { tier, precision } = parseTarget(key);
    const end = this.m.writeSeconds.startTimer();
    const out = await this.http.write(tier, precision, lines.join('\n'));
    end({ result: out.kind });
    if (out.kind === 'ok') {
      this.lastSuccessAt = Date.now();
      this.backoffMs = 0;
      this.retryAt = 0;
      return 'ok';
    }
    if (out.kind === 'retry') {
      this.m.retries.inc();
      this.failed(out.message);
      return 'retry';
    }
    this.lastErrorAt = Date.now();
    this.lastError = out.message;
    const named = namedBadLines(lines, out.message);
    if (named.size > 0) {
      await this.reject(key, [...named].map(([i, reason]) => ({ line: lines[i]!, reason: `HTTP ${out.status}: ${reason}` })));
      // Resending the rest is safe whether or not the server already wrote it (S1).
      const rest = lines.filter((_, i) => !named.has(i));
      return rest.length === 0 ? 'ok' : this.send(key, rest);
    }
    if (lines.length === 1 || (out.status === 400 && droppedAll(lines, out.message))) {
      await this.reject(key, lines.map((line) => ({ line, reason: `HTTP ${out.status}: ${out.message}` })));
      return 'ok';
    }
    // Nothing named (1.x field type conflicts, retention drops): halve until the culprits are alone.
    const mid = lines.length >> 1;
    if ((await this.send(key, lines.slice(0, mid))) === 'retry') return 'retry';
    return this.send(key, lines.slice(mid));
  }

  /** IW5: 250 ms doubling to maxBackoffMs, ±20% jitter so several instances do not retry in step. */
  failed(message: string): void {
    this.lastErrorAt = Date.now();
    this.lastError = message;
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs ? this.backoffMs * 2 : 250);
    this.retryAt = Date.now() + this.backoffMs * (0.8 + Math.random() * 0.4);
    this.log.warn({ err: message, backlogLines: this.spool.weight, retryInMs: Math.round(this.retryAt - Date.now()) }, 'influx: write failed; lines kept in the spool');
  }

  /** Dead letters go to the spool (durable before the batch counts as delivered); replay sends them. */
  private async reject(key: TargetKey, rejected: readonly RejectedLine[]): Promise<void> {
    this.m.rejectedLines.inc(rejected.length);
    this.log.warn({ target: key, count: rejected.length, reason: rejected[0]?.reason.slice(0, 500) }, 'influx: lines rejected, dead-lettered');
    const lines = this.deadLetters(key, rejected);
    if (lines.length > 0) await this.spool.append(encodeBatch(targetKey('raw', 'ns'), lines), lines.length);
  }
}
