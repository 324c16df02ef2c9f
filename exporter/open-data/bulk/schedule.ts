import type { Logger } from 'pino';
import { TAIPEI_OFFSET_MS } from '../../../domain/index.ts';
import { taipeiDayStart } from '../rollup.ts';

export interface DailyJobOptions {
  /** Minutes after local (+08:00) midnight to export the previous day; late data gets this long to arrive. */
  readonly minuteOfDay?: number;
  readonly now?: () => number;
  readonly logger: Logger;
  readonly run: (date: string) => Promise<unknown>;
}

/** YYYY-MM-DD of the Taipei day holding ms. */
export function taipeiDate(ms: number): string {
  return new Date(taipeiDayStart(ms) + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The scheduled daily dump: one timer for the whole process (not per dataset), re-armed after
 * each run, exporting yesterday (Taipei). A failure is logged and retried at the next day's slot;
 * `civicstream export --date` covers a missed day by hand.
 */
export function scheduleDailyExport(o: DailyJobOptions): { stop(): void } {
  const now = o.now ?? Date.now;
  const offset = (o.minuteOfDay ?? 30) * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const t = now();
    let at = taipeiDayStart(t) + offset;
    if (at <= t) at += 86_400_000;
    timer = setTimeout(() => {
      const date = taipeiDate(at - 86_400_000);
      o.run(date).catch((err: unknown) => o.logger.error({ err, date }, 'daily open-data export failed')).finally(arm);
    }, at - t);
    timer.unref();
  };
  arm();
  return { stop() { stopped = true; if (timer) clearTimeout(timer); } };
}
