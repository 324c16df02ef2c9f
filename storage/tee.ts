import type { Store } from './port.ts';

/**
 * "both": every write goes to the primary (embedded, serves the API) and to the
 * secondary (InfluxDB, for history and Grafana); reads come from the primary. A
 * write resolves when both are durable (S4) — InfluxDB counts as durable once its
 * spool holds the lines, so an InfluxDB outage never blocks ingest.
 */
export class TeeStore implements Store {
  readonly name: string;

  constructor(
    private readonly primary: Store,
    private readonly secondary: Store,
  ) {
    this.name = `${primary.name}+${secondary.name}`;
  }

  async open(): Promise<void> {
    await Promise.all([this.primary.open(), this.secondary.open()]);
  }
  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.secondary.close()]);
  }
  /** The primary's outcome (AC3): it decides duplicates and corrections; the secondary overwrites in the same order. */
  async writeReadings(b: Parameters<Store['writeReadings']>[0]): ReturnType<Store['writeReadings']> {
    const [out] = await Promise.all([this.primary.writeReadings(b), this.secondary.writeReadings(b)]);
    return out;
  }
  async writeAggregates(b: Parameters<Store['writeAggregates']>[0]): Promise<void> {
    await Promise.all([this.primary.writeAggregates(b), this.secondary.writeAggregates(b)]);
  }
  async writeAlertChanges(b: Parameters<Store['writeAlertChanges']>[0]): Promise<void> {
    await Promise.all([this.primary.writeAlertChanges(b), this.secondary.writeAlertChanges(b)]);
  }
  async writeDeadLetters(b: Parameters<Store['writeDeadLetters']>[0]): Promise<void> {
    await Promise.all([this.primary.writeDeadLetters(b), this.secondary.writeDeadLetters(b)]);
  }
  latest: Store['latest'] = (q) => this.primary.latest(q);
  readings: Store['readings'] = (q) => this.primary.readings(q);
  readingSpans: Store['readingSpans'] = (q) => this.primary.readingSpans(q);
  aggregates: Store['aggregates'] = (q) => this.primary.aggregates(q);
  alerts: Store['alerts'] = (q) => this.primary.alerts(q);
  deadLetters: Store['deadLetters'] = (q) => this.primary.deadLetters(q);
  deadLetterCounts: Store['deadLetterCounts'] = () => this.primary.deadLetterCounts();
  windowReadings: NonNullable<Store['windowReadings']> = (q) => this.primary.windowReadings?.(q) ?? Promise.resolve([]);
  readingQuality: NonNullable<Store['readingQuality']> = (q) => this.primary.readingQuality?.(q) ?? Promise.resolve([]);
  auditCounts: NonNullable<Store['auditCounts']> = () => this.primary.auditCounts?.() ?? Promise.resolve({ duplicate: 0, superseded: 0 });
  async health(): ReturnType<Store['health']> {
    const [a, b] = await Promise.all([this.primary.health(), this.secondary.health()]);
    return { ok: a.ok && b.ok, adapter: this.name, detail: [a.detail, b.detail].filter(Boolean).join('; ') || undefined };
  }
}
