import type { Reading, Sensor, Severity } from '../domain/index.ts';
import type { Store } from '../storage/index.ts';
import type { AqiTable } from './aqi/table.ts';
import { createAlertEngine } from './engine.ts';
import type { RuleConfig, RuleSet } from './types.ts';
import { matchesTarget, severityRank } from './value-ref.ts';

/**
 * Backtest (BT1–BT3): replays stored readings through one rule so staff can tune a
 * threshold before enabling it (ANCHORS: no peer has this).
 * BT1 Only the chosen rule runs (plus the rules a composite names), with the same
 *     engine and lifecycle as production, on virtual time: ticks are generated every
 *     tickMs of event time between readings, never from the wall clock.
 * BT2 Readings are merged across sensors in event-time order.
 * BT3 The report lists each alert with its opening, resolution (or "still open" at
 *     `to`), peak severity and duration, plus totals.
 */
export interface BacktestAlert {
  readonly id: string;
  readonly subject: string;
  readonly openedAt: number;
  readonly resolvedAt?: number;
  readonly durationMs: number;
  readonly peakSeverity: Severity;
  readonly flapping: boolean;
}

export interface BacktestReport {
  readonly ruleId: string;
  readonly from: number;
  readonly to: number;
  readonly readings: number;
  readonly alerts: readonly BacktestAlert[];
  readonly totalOpenMs: number;
}

export interface BacktestOptions {
  readonly rules: RuleSet;
  readonly ruleId: string;
  readonly sensors: readonly Sensor[];
  readonly readings: Iterable<Reading> | AsyncIterable<Reading>;
  readonly from: number;
  readonly to: number;
  readonly tickMs?: number;
  readonly aqiTable?: AqiTable;
}

function closure(rules: RuleSet, ruleId: string): RuleConfig[] {
  const byId = new Map(rules.rules.map((r) => [r.id, r]));
  const want = new Set<string>();
  const visit = (id: string): void => {
    const r = byId.get(id);
    if (!r || want.has(id)) return;
    want.add(id);
    if (r.type === 'composite') r.rules.forEach(visit);
  };
  visit(ruleId);
  if (!want.has(ruleId)) throw new Error(`unknown rule "${ruleId}"`);
  return [...want].map((id) => ({ ...byId.get(id)!, enabled: true }));
}

/** The sensors a backtest of `ruleId` needs (those its rule, or its composite's rules, target). */
export function backtestSensors(rules: RuleSet, ruleId: string, sensors: readonly Sensor[]): Sensor[] {
  const used = closure(rules, ruleId).filter((r) => r.type !== 'composite');
  return sensors.filter((s) => used.some((r) => matchesTarget(r.target, s)));
}

export async function backtest(o: BacktestOptions): Promise<BacktestReport> {
  const rules = closure(o.rules, o.ruleId);
  const sensors = backtestSensors(o.rules, o.ruleId, o.sensors);
  const byId = new Map(sensors.map((s) => [s.id, s]));
  const engine = createAlertEngine({ rules: { ...o.rules, rules }, ...(o.aqiTable ? { aqiTable: o.aqiTable } : {}), sensors: () => sensors });
  const tickMs = o.tickMs ?? 60_000;
  const open = new Map<string, { subject: string; openedAt: number; peak: Severity; flapping: boolean }>();
  const done: BacktestAlert[] = [];
  const take = (changes: ReturnType<typeof engine.onTick>): void => {
    for (const c of changes) {
      if (c.alert.ruleId !== o.ruleId) continue;
      const a = c.alert as typeof c.alert & { flapping?: boolean };
      const cur = open.get(a.id) ?? { subject: a.subject, openedAt: a.openedAt, peak: a.severity, flapping: false };
      if (severityRank(a.severity) > severityRank(cur.peak)) cur.peak = a.severity;
      cur.flapping ||= a.flapping === true;
      if (c.type === 'resolved') {
        open.delete(a.id);
        done.push({ id: a.id, subject: cur.subject, openedAt: cur.openedAt, resolvedAt: a.resolvedAt!, durationMs: a.resolvedAt! - cur.openedAt, peakSeverity: cur.peak, flapping: cur.flapping });
      } else open.set(a.id, cur);
    }
  };
  let nextTick = Math.ceil(o.from / tickMs) * tickMs;
  let n = 0;
  take(engine.onTick(o.from));
  for await (const r of o.readings) {
    if (r.ts < o.from || r.ts > o.to) continue;
    for (; nextTick <= r.ts; nextTick += tickMs) take(engine.onTick(nextTick));
    const s = byId.get(r.sensorId);
    if (!s) continue;
    n++;
    take(engine.onReading(r, s));
  }
  for (; nextTick <= o.to; nextTick += tickMs) take(engine.onTick(nextTick));
  for (const [id, a] of open) done.push({ id, subject: a.subject, openedAt: a.openedAt, durationMs: o.to - a.openedAt, peakSeverity: a.peak, flapping: a.flapping });
  done.sort((a, b) => a.openedAt - b.openedAt);
  return { ruleId: o.ruleId, from: o.from, to: o.to, readings: n, alerts: done, totalOpenMs: done.reduce((s, a) => s + a.durationMs, 0) };
}

/** Stored readings of `sensors` in [from, to], merged in event-time order (BT2), paged per sensor. */
export async function* storedReadings(store: Store, sensors: readonly Sensor[], from: number, to: number, page = 10_000): AsyncIterable<Reading> {
  const all: Reading[] = [];
  for (const s of sensors) {
    let after: number | undefined;
    for (;;) {
      const batch = await store.readings({ sensorId: s.id, from, to, limit: page, order: 'asc', ...(after !== undefined ? { after } : {}) });
      all.push(...batch);
      if (batch.length < page) break;
      after = batch[batch.length - 1]!.ts;
    }
  }
  all.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  yield* all;
}

/** Plain-text report for the CLI (`civicstream rules backtest`). */
export function formatBacktest(r: BacktestReport, iso: (ms: number) => string): string {
  const lines = [`rule ${r.ruleId}: ${r.alerts.length} alert(s) from ${r.readings} reading(s), ${iso(r.from)} → ${iso(r.to)}; open ${Math.round(r.totalOpenMs / 60_000)} min in total`];
  for (const a of r.alerts) lines.push(`  ${a.subject}  ${a.peakSeverity.padEnd(8)} ${iso(a.openedAt)} → ${a.resolvedAt !== undefined ? iso(a.resolvedAt) : 'still open'}  (${Math.round(a.durationMs / 60_000)} min${a.flapping ? ', flapping' : ''})`);
  return lines.join('\n');
}
