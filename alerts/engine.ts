import { createHash } from 'node:crypto';
import { DRILL_GROUP_SUFFIX, isDrillSensor, type AlertChange, type Alert, type LocalizedText, type Reading, type Sensor } from '../domain/index.ts';
import type { AqiTable } from './aqi/table.ts';
import { evaluateComposite } from './composite.ts';
import { evaluatorTable, type AnyEvaluator } from './evaluators.ts';
import { NO_TRANSITIONS, applyVerdict, newSlot, tickSlot, type Slot } from './lifecycle.ts';
import { offline } from './rules/freshness.ts';
import type { CompositeRule, EngineAlert, OfflineRule, RuleConfig, RuleSet, Verdict } from './types.ts';
import { matchesTarget } from './value-ref.ts';

export interface AlertEngineOptions {
  readonly rules: RuleSet;
  /** Needed by `aqi` rules; omit to disable them. */
  readonly aqiTable?: AqiTable;
  /** Every registered sensor, for tick-driven rules (freshness) of sensors that never report. */
  readonly sensors?: () => Iterable<Sensor>;
  /**
   * Most tick-rule evaluations per clock tick (default 20,000). Sensors are visited
   * round-robin, so a fleet larger than the budget is covered over several ticks and
   * one tick never stalls the event loop (measured: a full scan of 100,000 sensors every
   * second caused 0.5–0.8 s stalls and +48 % CPU per reading, bench alert scenario).
   */
  readonly tickBudget?: number;
  /**
   * EN5 Registry sensors not yet seen are registered at most this many per tick (default
   * 5,000): registering all of 200,000 at the first tick held the event loop for 3.7 s
   * (bench city load, CPU profile). A sensor that reports is registered at its reading.
   */
  readonly registerBudget?: number;
}

interface Item {
  readonly rule: RuleConfig;
  readonly ev: AnyEvaluator;
  readonly state: unknown;
  readonly slot: Slot;
}

interface Entry {
  readonly sensor: Sensor;
  readonly items: readonly Item[];
  /** Items with onTick (freshness, offline): the tick visits only these. */
  readonly tickItems: readonly Item[];
}

const key = (ruleId: string, subject: string): string => `${ruleId}\u0000${subject}`;
const NO_ITEMS: readonly Item[] = Object.freeze([]);

/**
 * Slots by rule id, then subject: no key string per slot (a `rule\0subject` string per
 * sensor and rule was 430 B per sensor at 200,000 sensors, heap snapshot), and a rule's slots
 * are its own map's values, for composites (EN2).
 */
class SlotTable {
  private readonly byRule = new Map<string, Map<string, Slot>>();
  private static readonly NONE: ReadonlyMap<string, Slot> = new Map();

  get(ruleId: string, subject: string): Slot | undefined {
    return this.byRule.get(ruleId)?.get(subject);
  }

  has(ruleId: string, subject: string): boolean {
    return this.byRule.get(ruleId)?.has(subject) ?? false;
  }

  set(ruleId: string, subject: string, slot: Slot): void {
    let m = this.byRule.get(ruleId);
    if (m === undefined) this.byRule.set(ruleId, (m = new Map()));
    m.set(subject, slot);
  }

  ofRule(ruleId: string): Iterable<Slot> {
    return (this.byRule.get(ruleId) ?? SlotTable.NONE).values();
  }

  *values(): Iterable<Slot> {
    for (const m of this.byRule.values()) yield* m.values();
  }

  clear(): void {
    this.byRule.clear();
  }
}

/** Evaluator state fields derived from the rule and the registry (recomputed, never snapshotted). */
const DERIVED = new Set(['levels', 'rise', 'etaTo', 'etaAt', 'minPerHour']);

/** One slot's engine state in a snapshot (EN4). */
export interface SlotSnapshot {
  readonly rule: string;
  /** Fingerprint of the rule's configuration: state is taken back only for the same rule. */
  readonly conf: string;
  readonly subject: string;
  readonly lastTs: number;
  readonly transitions: readonly number[];
  readonly clearSince: number;
  readonly lastVerdict?: Verdict;
  readonly state: unknown;
  /** The slot's alert when the snapshot was taken. */
  readonly alert?: EngineAlert;
  /** Taken for a rule reload (the alerts are live in `pending`, never ghosts). */
  readonly reload?: boolean;
}
export interface EngineSnapshot {
  readonly version: 1;
  /** Highest journal seq evaluated: the journal must keep everything after it (AL3). */
  readonly seq: number;
  readonly slots: readonly SlotSnapshot[];
}

/** A short fingerprint of a rule's configuration, computed once per rule object (snapshots stay small). */
const confCache = new WeakMap<RuleConfig, string>();
const ruleConf = (r: RuleConfig): string => {
  let c = confCache.get(r);
  if (c === undefined) confCache.set(r, (c = createHash('sha1').update(JSON.stringify(r)).digest('base64url').slice(0, 16)));
  return c;
};

/** JSON with NaN/±Infinity and typed arrays preserved (evaluator states use both). */
export function snapshotToJson(s: EngineSnapshot): string {
  return JSON.stringify(s, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $n: String(v) };
    if (v instanceof Float64Array) return { $f64: Array.from(v, (x) => (Number.isFinite(x) ? x : String(x))) };
    if (v instanceof Uint32Array) return { $u32: Array.from(v) };
    return v;
  });
}
export function snapshotFromJson(text: string): EngineSnapshot {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$n === 'string') return Number(o.$n);
      if (Array.isArray(o.$f64)) return Float64Array.from(o.$f64 as (number | string)[], (x) => Number(x));
      if (Array.isArray(o.$u32)) return Uint32Array.from(o.$u32 as number[]);
    }
    return v;
  }) as EngineSnapshot;
}

/**
 * The configurable alert engine behind analytics' AlertEngine seam (AE1–AE4 hold:
 * pure transitions, one open alert per slot, deterministic ids, restore without replays
 * flipping state). Staff actions (acknowledge, assign, resolve) are transitions too:
 * they take the event time from the caller.
 *
 * EN1 Per reading: one map lookup for the sensor's entry, then only the rules that
 *     target it (resolved once per Sensor object, so a registry reload re-targets).
 * EN2 Per tick: tick-driven rules of every sensor (freshness is O(sensors) of cheap
 *     comparisons, no timers) and only the held (flapping) slots; composites look only
 *     at the slots of the rules they name.
 * EN5 Registry sensors that have not reported are registered a bounded number per tick
 *     (registerBudget), so the first ticks of a large fleet never hold the event loop.
 */
export class ConfigurableAlertEngine {
  private rules: RuleSet;
  private readonly evaluators: Partial<Record<string, AnyEvaluator>>;
  private readonly entries = new Map<string, Entry>();
  /** Every slot that has or had an alert, by rule and subject (composites included). */
  private readonly slots = new SlotTable();
  /** Restored alerts waiting for their slot. */
  private readonly pending = new Map<string, EngineAlert>();
  /** Snapshotted slot states waiting for their slot (EN4). */
  private readonly snapped = new Map<string, SlotSnapshot>();
  private readonly districtNames = new Map<string, LocalizedText>();
  /** Flapping alerts held through a clear: the only slots the tick must visit (EN2). */
  private readonly held = new Set<Slot>();
  private composites: readonly CompositeRule[] = [];
  /**
   * EN4 Alerts of the snapshot that the state file has since resolved: kept in their slot so
   * the replay re-derives (and the service drops) their resolution instead of opening a
   * new alert, but invisible in open()/get() and to staff actions.
   */
  private readonly ghosts = new Set<string>();
  /** Highest reading seq evaluated (EN4). */
  private maxSeq = 0;
  /** Restored alerts a staff action changed before their slot was attached (EN4). */
  private readonly touched = new Set<string>();
  private ruleIds = new Set<string>();

  constructor(private readonly o: AlertEngineOptions) {
    this.rules = o.rules;
    this.evaluators = evaluatorTable(o.aqiTable);
    this.index();
  }

  private index(): void {
    this.composites = this.rules.rules.filter((r): r is CompositeRule => r.type === 'composite' && r.enabled);
    this.ruleIds = new Set(this.rules.rules.filter((r) => r.enabled).map((r) => r.id));
  }

  /** Reload rules without losing alert state: open alerts re-attach by rule id; unchanged rules keep their state (EN4). */
  /** Round-robin position of the tick scan over `entries` (see tickBudget). */
  private tickCursor: IterableIterator<Entry> | undefined;
  private sensorsRegistered = false;
  /** EN5: where the registration of not-yet-seen registry sensors continues at the next tick. */
  private registering: Iterator<Sensor> | undefined;

  /** The configuration of a rule in force (for the open-data CAP gate: `public`, `capStatus`). */
  ruleConfig(id: string): RuleSet['rules'][number] | undefined {
    return this.rules.rules.find((r) => r.id === id);
  }

  setRules(rules: RuleSet): void {
    // EN4: slots of unchanged rules keep their evaluation state (streaks, counters, lastTs).
    const snap = this.snapshot();
    this.rules = rules;
    for (const a of this.open()) this.pending.set(key(a.ruleId, a.subject), a);
    this.snapped.clear();
    for (const sl of snap.slots) this.snapped.set(key(sl.rule, sl.subject), { ...sl, reload: true });
    this.entries.clear();
    this.tickCursor = undefined;
    this.sensorsRegistered = false;
    this.registering = undefined;
    this.slots.clear();
    this.held.clear();
    this.index();
  }

  get ruleSet(): RuleSet {
    return this.rules;
  }

  restore(open: readonly Alert[]): void {
    for (const a of open) if (a.state !== 'resolved') this.pending.set(key(a.ruleId, a.subject), { ...a });
  }

  /**
   * EN4 (AL3) The engine's whole evaluation state — every slot's last evaluated event time,
   * transitions, flap hold and its evaluator state (duration streaks, stuck counters,
   * freshness clocks, rate windows, AQI buckets) — as plain data. Restored before the
   * journal replay, readings already evaluated (ts ≤ lastTs) are skipped (AE4), so a
   * restart neither repeats transitions nor loses a duration in progress.
   */
  snapshot(): EngineSnapshot {
    const slots: SlotSnapshot[] = [];
    for (const entry of this.entries.values()) {
      for (const it of entry.items) {
        const sl = it.slot;
        if (!Number.isFinite(sl.lastTs) && it.ev.onTick === undefined) continue;
        const state: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(it.state as Record<string, unknown>)) if (!DERIVED.has(k)) state[k] = v;
        slots.push({ rule: it.rule.id, conf: ruleConf(it.rule), subject: sl.subject, lastTs: sl.lastTs, transitions: sl.transitions, clearSince: sl.clearSince, ...(sl.lastVerdict ? { lastVerdict: sl.lastVerdict } : {}), ...(sl.alert && !this.ghosts.has(sl.alert.id) ? { alert: sl.alert } : {}), state });
      }
    }
    for (const s of this.snapped.values()) if (!this.slots.has(s.rule, s.subject)) slots.push(s); // not yet re-attached
    return { version: 1, seq: this.maxSeq, slots };
  }

  restoreSnapshot(s: EngineSnapshot): void {
    if (s.version !== 1) return;
    if (Number.isFinite(s.seq) && s.seq > this.maxSeq) this.maxSeq = s.seq;
    for (const sl of s.slots) this.snapped.set(key(sl.rule, sl.subject), sl);
  }

  /** SV7: the record holds a newer state of this alert than the replay re-derived: continue from it. */
  adopt(a: EngineAlert): void {
    for (const s of this.slots.values()) if (s.alert?.id === a.id) s.alert = { ...a };
    // A slot not yet re-attached continues from the adopted state when it attaches.
    for (const [k, sl] of this.snapped) if (sl.alert?.id === a.id) this.snapped.set(k, { ...sl, alert: { ...a } });
  }

  /** A change of this alert was delivered: it is no ghost (EN4). */
  confirm(id: string): void {
    this.ghosts.delete(id);
  }

  /** The store holds this alert as resolved: the engine forgets it too (AL7 one view). */
  drop(id: string): void {
    this.ghosts.delete(id);
    for (const s of this.slots.values()) {
      if (s.alert?.id !== id) continue;
      s.alert = undefined;
      s.clearSince = Number.NaN;
      this.held.delete(s);
    }
    for (const [k, a] of this.pending) if (a.id === id) this.pending.delete(k);
    for (const [k, sl] of this.snapped) if (sl.alert?.id === id) this.snapped.set(k, { ...sl, alert: undefined, clearSince: Number.NaN });
  }

  /** The highest reading seq evaluated so far (SV7: staff actions are replayed after it). */
  get evaluatedSeq(): number {
    return this.maxSeq;
  }

  onReading(r: Reading, sensor: Sensor): AlertChange[] {
    const entry = this.entryFor(sensor);
    if (r.seq > this.maxSeq) this.maxSeq = r.seq;
    const out: AlertChange[] = [];
    for (const it of entry.items) {
      if (it.ev.onReading === undefined) continue;
      if (r.ts <= it.slot.lastTs) continue; // AE4
      it.slot.lastTs = r.ts;
      const v = it.ev.onReading(it.state, r, it.rule, sensor);
      if (v !== undefined) this.apply(it.slot, v, r.ts, out);
    }
    return out.length === 0 ? out : this.withComposites(out);
  }

  private apply(slot: Slot, v: Verdict, ts: number, out: AlertChange[]): void {
    applyVerdict(slot, v, ts, this.rules.flap, out);
    if (!Number.isNaN(slot.clearSince)) this.held.add(slot);
  }

  onTick(nowMs: number): AlertChange[] {
    const out: AlertChange[] = [];
    // Sensors that never report still need their tick rules: registered once, not every tick.
    if (this.o.sensors && !this.sensorsRegistered) {
      this.registering ??= this.o.sensors()[Symbol.iterator]();
      for (let n = this.o.registerBudget ?? 5_000; n > 0; n--) {
        const next = this.registering.next();
        if (next.done) {
          this.sensorsRegistered = true;
          this.registering = undefined;
          break;
        }
        this.entryFor(next.value);
      }
    }
    let budget = this.o.tickBudget ?? 20_000;
    const total = this.entries.size;
    for (let visited = 0; visited < total && budget > 0; visited++) {
      this.tickCursor ??= this.entries.values();
      let next = this.tickCursor.next();
      if (next.done) {
        this.tickCursor = this.entries.values();
        next = this.tickCursor.next();
        if (next.done) break;
      }
      const entry = next.value;
      for (const it of entry.tickItems) {
        budget--;
        const v = it.ev.onTick!(it.state, nowMs, it.rule, entry.sensor);
        if (v !== undefined) this.apply(it.slot, v, nowMs, out);
      }
    }
    for (const slot of this.held) {
      if (slot.alert === undefined || Number.isNaN(slot.clearSince)) this.held.delete(slot);
      else tickSlot(slot, nowMs, this.rules.flap, out);
    }
    this.dropOrphans(nowMs, out);
    return this.withComposites(out);
  }

  /** Broker connection events (Last Will / disconnect) for `offline` rules (FR2). */
  onConnection(sensor: Sensor, connected: boolean, ts: number): AlertChange[] {
    const out: AlertChange[] = [];
    for (const it of this.entryFor(sensor).items) {
      if (it.rule.type !== 'offline') continue;
      const v = offline.onConnection(it.state as never, connected, ts, it.rule as OfflineRule);
      if (v !== undefined) this.apply(it.slot, v, ts, out);
    }
    return this.withComposites(out);
  }

  open(): EngineAlert[] {
    const list: EngineAlert[] = [];
    for (const s of this.slots.values()) if (s.alert && !this.ghosts.has(s.alert.id)) list.push({ ...s.alert });
    for (const a of this.pending.values()) list.push({ ...a });
    return list;
  }

  get(id: string): EngineAlert | undefined {
    if (this.ghosts.has(id)) return undefined;
    for (const s of this.slots.values()) if (s.alert?.id === id) return { ...s.alert };
    for (const a of this.pending.values()) if (a.id === id) return { ...a };
    return undefined;
  }

  acknowledge(id: string, by: string, at: number): AlertChange | undefined {
    return this.manual(id, (a) => (a.state === 'open' ? { ...a, state: 'acknowledged', acknowledgedBy: by, acknowledgedAt: at, updatedAt: Math.max(a.updatedAt, at) } : undefined));
  }

  assign(id: string, assignee: string, at: number): AlertChange | undefined {
    return this.manual(id, (a) => ({ ...a, assignee, updatedAt: Math.max(a.updatedAt, at) }));
  }

  /** Manual resolve with a reason; if the condition still holds, the next evaluation opens a new alert. */
  resolve(id: string, by: string, reason: string, at: number): AlertChange | undefined {
    return this.manual(id, (a) => ({ ...a, state: 'resolved', resolvedAt: Math.max(a.updatedAt, at), updatedAt: Math.max(a.updatedAt, at), resolvedBy: by, resolveReason: reason }));
  }

  private manual(id: string, f: (a: EngineAlert) => EngineAlert | undefined): AlertChange | undefined {
    if (this.ghosts.has(id)) return undefined;
    const apply = (cur: EngineAlert, store: (next: EngineAlert | undefined) => void): AlertChange | undefined => {
      const next = f(cur);
      if (next === undefined) return undefined;
      const type = next.state === 'resolved' ? 'resolved' : 'updated';
      store(type === 'resolved' ? undefined : next);
      return { type, alert: { ...next } };
    };
    for (const s of this.slots.values()) {
      if (s.alert?.id !== id) continue;
      return apply(s.alert, (next) => {
        s.alert = next;
        if (next === undefined) s.clearSince = Number.NaN;
      });
    }
    for (const [k, a] of this.pending) {
      if (a.id !== id) continue;
      this.touched.add(id);
      return apply(a, (next) => (next === undefined ? this.pending.delete(k) : this.pending.set(k, next)));
    }
    return undefined;
  }

  private slotFor(rule: RuleConfig, subject: string, s: { kind: Sensor['kind']; district: string; name: LocalizedText }): Slot {
    let slot = this.slots.get(rule.id, subject);
    if (slot === undefined) {
      slot = newSlot(rule.id, rule.type, subject, s.kind, s.district, s.name);
      this.slots.set(rule.id, subject, slot);
    }
    return slot;
  }

  private entryFor(sensor: Sensor): Entry {
    const prev = this.entries.get(sensor.id);
    if (prev !== undefined && prev.sensor === sensor) return prev;
    this.districtNames.set(sensor.district.code, sensor.district.name);
    const items: Item[] = [];
    for (const rule of this.rules.rules) {
      if (!rule.enabled || rule.type === 'composite' || !matchesTarget(rule.target, sensor)) continue;
      const ev = this.evaluators[rule.type];
      if (ev === undefined) continue;
      const state = ev.init(rule, sensor);
      const slot = this.slotFor(rule, sensor.id, { kind: sensor.kind, district: sensor.district.code, name: sensor.name });
      const k = key(rule.id, sensor.id);
      const restored = this.pending.get(k);
      const snap = this.snapped.get(k);
      if (snap) this.snapped.delete(k);
      const exact = snap !== undefined && snap.conf === ruleConf(rule);
      if (exact) {
        // EN4: the evaluation state as it was; the alert itself comes from the state store.
        Object.assign(state as object, snap.state);
        slot.lastTs = Math.max(slot.lastTs, snap.lastTs);
        slot.transitions = snap.transitions.length ? [...snap.transitions] : NO_TRANSITIONS;
        slot.clearSince = snap.clearSince;
        slot.lastVerdict = snap.lastVerdict;
      }
      // A snapshot alert that staff resolved before the snapshot's seq (SV7 asOf) is no alert.
      const was = exact && snap.alert?.state !== 'resolved' ? snap.alert : undefined;
      if (exact && snap.reload !== true && ev.onTick === undefined) {
        // EN4 deterministic restart: the slot continues from the snapshot (its alert as of then);
        // the journal replay re-derives every later change, which the service recognises (SV7).
        if (restored) this.pending.delete(k);
        if (was !== undefined) {
          // A staff action taken after the restart, before this slot was attached, changed the restored
          // copy: continue from it (AL7 one view). Otherwise the snapshot's copy, which the replay advances.
          slot.alert = restored?.id === was.id && this.touched.has(was.id) ? restored : { ...was };
          if (restored?.id !== was.id) this.ghosts.add(was.id); // resolved since: invisible until re-derived
        }
      } else if (restored) {
        this.pending.delete(k);
        slot.alert = restored;
        // The state file knows an alert the snapshot does not (opened after it): restore from the alert (AE4).
        if (was?.id !== restored.id) {
          slot.lastTs = Math.max(slot.lastTs, restored.updatedAt); // AE4
          ev.restore?.(state, restored, rule);
        }
        if (!Number.isNaN(slot.clearSince)) this.held.add(slot);
      } else if (slot.alert) ev.restore?.(state, slot.alert, rule); // registry reload: new Sensor object
      else if (was !== undefined && snap?.reload !== true) {
        slot.alert = { ...was };
        this.ghosts.add(was.id);
      } else if (exact) slot.clearSince = Number.NaN;
      if (slot.alert && !Number.isNaN(slot.clearSince)) this.held.add(slot);
      items.push({ rule, ev, state, slot });
    }
    // Exact-length arrays, and one shared empty list (push-grown arrays kept spare capacity: 577 B per sensor at 200,000).
    const exact = items.slice();
    const ticking = exact.filter((i) => i.ev.onTick !== undefined);
    // When every item ticks, the tick list is the item list itself.
    const entry: Entry = { sensor, items: exact, tickItems: ticking.length === 0 ? NO_ITEMS : ticking.length === exact.length ? exact : ticking.slice() };
    this.entries.set(sensor.id, entry);
    return entry;
  }

  /** Runs composite rules over the changes (cascading: a composite may feed another). */
  private withComposites(out: AlertChange[]): AlertChange[] {
    const composites = this.composites;
    if (composites.length === 0) return out;
    for (let i = 0; i < out.length; i++) {
      const a = out[i]!.alert;
      for (const rule of composites) {
        if (!rule.rules.includes(a.ruleId)) continue;
        const perDistrict = rule.op === 'count';
        const drill = perDistrict && this.isDrill(a.subject); // CP3: drills count in their own group
        const subject = perDistrict ? `district:${a.district}${drill ? DRILL_GROUP_SUFFIX : ''}` : a.subject;
        const district = this.districtNames.get(a.district) ?? { 'zh-TW': a.district, en: a.district };
        const name = perDistrict
          ? drill ? { 'zh-TW': `${district['zh-TW']}（演練）`, en: `${district.en} (drill)` } : district
          : (this.entries.get(a.subject)?.sensor.name ?? { 'zh-TW': a.subject, en: a.subject });
        const slot = this.slotFor(rule, subject, { kind: a.kind, district: a.district, name });
        const k = key(rule.id, subject);
        const restored = this.pending.get(k);
        if (restored) {
          this.pending.delete(k);
          slot.alert = restored;
        }
        const v = evaluateComposite(rule, subject, a.district, (ruleId) => this.openOf(ruleId), perDistrict ? (x) => this.isDrill(x.subject) === drill : undefined);
        this.apply(slot, v, a.updatedAt, out);
      }
    }
    return out;
  }

  /** A drill sensor (AL10) or a composite group of drill sensors (CP3). */
  private isDrill(subject: string): boolean {
    if (subject.endsWith(DRILL_GROUP_SUFFIX)) return true;
    const sensor = this.entries.get(subject)?.sensor;
    return sensor !== undefined && isDrillSensor(sensor);
  }

  private *openOf(ruleId: string): Iterable<EngineAlert> {
    for (const s of this.slots.ofRule(ruleId)) if (s.alert && !this.ghosts.has(s.alert.id)) yield s.alert;
  }

  /**
   * EN3 A restored alert whose rule no longer exists (rule removed or renamed, or an
   * alert of the basic engine after the upgrade) is resolved at the next tick instead
   * of staying open forever with nothing able to clear it.
   */
  private dropOrphans(nowMs: number, out: AlertChange[]): void {
    for (const [k, a] of this.pending) {
      if (this.ruleIds.has(a.ruleId)) continue;
      this.pending.delete(k);
      const at = Math.max(nowMs, a.updatedAt);
      out.push({ type: 'resolved', alert: { ...a, state: 'resolved', updatedAt: at, resolvedAt: at, resolvedBy: 'system', resolveReason: 'rule no longer configured' } as EngineAlert });
    }
  }
}

export function createAlertEngine(o: AlertEngineOptions): ConfigurableAlertEngine {
  return new ConfigurableAlertEngine(o);
}
