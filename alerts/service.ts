import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { mkdir, open as openFile, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { alertTopic, toTaipeiIso, type AlertChange, type LocalizedText, type Reading, type Sensor } from '../domain/index.ts';
import type { Mailer } from './delivery/email.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy, type Sleep } from './delivery/retry.ts';
import type { SseHub } from './delivery/sse.ts';
import { postWebhook } from './delivery/webhook.ts';
import { snapshotFromJson, snapshotToJson, type ConfigurableAlertEngine } from './engine.ts';
import { Escalator, type Notice } from './escalation.ts';
import { alertLink, renderNotification } from './messages.ts';
import type { Router } from './routing.ts';
import type { AlertStateStore, ChangeRec, DeliveryRec } from './state-store.ts';
import type { EngineAlert, RuleSet } from './types.ts';

export interface AlertServiceOptions {
  readonly engine: ConfigurableAlertEngine;
  readonly store: AlertStateStore;
  readonly router: Router;
  readonly sse: SseHub;
  /** Broker publish (T4), e.g. `(t, p, r) => broker.publish(t, p, { qos: 1, retain: r })`. */
  readonly mqttPublish?: (topic: string, payload: string, retain: boolean) => Promise<void>;
  readonly mailer?: Mailer;
  /** Public base URL of the HTTP API, for links in messages. */
  readonly baseUrl: string;
  /** District code → display name, for "location" in messages. */
  readonly location?: (district: string) => LocalizedText | undefined;
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  /**
   * AL7 The main store's writer (writer.addAlertChanges): every alert change — from
   * readings, ticks, connection events and staff actions — reaches the store only here.
   */
  readonly persist?: (changes: AlertChange[]) => void;
  /** Where the engine snapshot is kept (EN4); omitted = no snapshot (tests of delivery only). */
  readonly snapshotFile?: string;
  /** Observes every notice the escalator decides (audit, metrics, tests), before delivery. */
  readonly onNotice?: (n: Notice) => void;
  /** Snapshot at most this often from the tick (default 300 s; also written at close). */
  readonly snapshotEveryMs?: number;
  readonly logger: Logger;
  readonly metrics?: MetricsRegistry;
}

/**
 * The alert runtime around the pure engine (SV1–SV5):
 * SV1 every change is recorded (alert-state.jsonl) before it is delivered;
 * SV2 MQTT T4: retained JSON while open, an empty retained message when resolved,
 *     serialised per topic so a retried "open" can never land after its "resolved";
 * SV3 SSE gets every change; routed contacts get e-mail / webhook via the escalator;
 * SV4 every delivery attempt is logged per alert and channel; failures are retried with
 *     backoff and dead-lettered after maxAttempts (RY1, RY2);
 * SV5 staff actions (acknowledge, assign, note, resolve) go through the engine and are
 *     audited with who and when.
 * SV6 (AL7) the service is the one owner of alert changes: the app hands it the analytics
 *     pipeline's readings and the ticks (onReading/tick), it runs the engine and writes every change
 *     to the state file, the main store (persist), MQTT, SSE and the routed contacts.
 * SV7 (AL3) a change already on record — same alert id, not newer than the recorded
 *     state, or any change of an alert recorded as resolved — is a replay (journal
 *     replay after a restart, readings buffered twice) and is dropped before delivery;
 *     the engine forgets an alert the record holds as resolved.
 * SV8 (AL4) MQTT T4: one retained state per (sensor, rule) on
 *     `alerts/{kind}/{district}/{sensor}/{rule}`, cleared when resolved, plus a retained
 *     per-sensor summary on `alerts/{kind}/{district}/{sensor}` listing its open alerts.
 * SV9 (AL5) connection state is per sensor: live sessions are counted from the broker's
 *     up/down events (whatever their client ids); the engine sees "connected" when the
 *     first session starts and "disconnected" only when the last one ended.
 */
/**
 * The recorded alert right after history entry i, with the staff actions that directly followed
 * it before the engine had evaluated past reading `seq`; the later ones are returned, to be
 * applied when the replay reaches them (a staff action is replayed where it happened in the
 * reading stream, not before readings that were evaluated ahead of it).
 */
function asOf(hist: readonly ChangeRec[], i: number, seq = Number.POSITIVE_INFINITY): { alert: EngineAlert; later: ChangeRec[] } {
  let j = i;
  while (j + 1 < hist.length && hist[j + 1]!.by !== undefined && (hist[j + 1]!.seq ?? Number.NEGATIVE_INFINITY) <= seq) j++;
  const later: ChangeRec[] = [];
  for (let k = j + 1; k < hist.length && hist[k]!.by !== undefined; k++) later.push(hist[k]!);
  return { alert: hist[j]!.alert, later };
}

export class AlertService {
  readonly escalator = new Escalator();
  private readonly topicChains = new Map<string, Promise<undefined>>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closing = false;
  /** Wakers of backoff sleeps in progress, so close() does not wait out a 60 s backoff. */
  private readonly sleepers = new Set<() => void>();
  private readonly now: () => number;
  private readonly deliveries: Counter<'channel' | 'status'> | undefined;
  private readonly changeCount: Counter<'type'> | undefined;
  /** SV9 live sessions per sensor id. */
  private readonly sessions = new Map<string, number>();
  /** SV8 open alerts per sensor topic (for the summary). */
  private readonly openBySubject = new Map<string, Map<string, EngineAlert>>();
  private lastSnapshotAt = Number.NEGATIVE_INFINITY;
  private savedSeq = 0;
  /** SV7 staff actions on record that a replay has not reached yet (pipeline time order). */
  private readonly deferred: ChangeRec[] = [];
  private snapshotting: Promise<void> = Promise.resolve();

  constructor(private readonly o: AlertServiceOptions) {
    this.now = o.now ?? Date.now;
    this.deliveries = o.metrics ? new Counter({ name: 'civic_alert_deliveries_total', help: 'alert delivery attempts by channel and outcome', labelNames: ['channel', 'status'], registers: [o.metrics] }) : undefined;
    this.changeCount = o.metrics ? new Counter({ name: 'civic_alert_changes_total', help: 'alert changes', labelNames: ['type'], registers: [o.metrics] }) : undefined;
  }

  get engine(): ConfigurableAlertEngine {
    return this.o.engine;
  }
  get store(): AlertStateStore {
    return this.o.store;
  }
  get sse(): SseHub {
    return this.o.sse;
  }

  /**
   * After a restart: the engine gets its evaluation snapshot (EN4) and the open alerts
   * back, the escalator its tracks (ES5). Call before the journal replay.
   */
  async restore(): Promise<EngineAlert[]> {
    if (this.o.snapshotFile) {
      const text = await readFile(this.o.snapshotFile, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        try {
          const snap = snapshotFromJson(text);
          // Each slot's alert as recorded at the snapshot, plus the staff actions that followed it.
          const slots = snap.slots.map((sl) => {
            const hist = sl.alert ? this.o.store.history.get(sl.alert.id) : undefined;
            const i = hist?.findIndex((h) => h.by === undefined && h.alert.updatedAt === sl.alert!.updatedAt && h.alert.severity === sl.alert!.severity && h.alert.flapping === sl.alert!.flapping) ?? -1;
            if (i < 0) return sl;
            // Staff actions up to the snapshot's seq are in it; later ones wait for the replay (SV7).
            const { alert, later } = asOf(hist!, i, snap.seq);
            for (const rec of later) if (!this.deferred.includes(rec)) this.deferred.push(rec);
            return { ...sl, alert };
          });
          this.o.engine.restoreSnapshot({ ...snap, slots });
          if (Number.isFinite(snap.seq)) this.savedSeq = snap.seq;
        } catch (err) {
          this.o.logger.warn({ err, file: this.o.snapshotFile }, 'alert engine snapshot unreadable; rebuilding from the open alerts');
        }
      }
    }
    const open = this.o.store.openAlerts();
    this.o.engine.restore(open);
    const now = this.now();
    // ES5: continue each alert's notification history instead of starting it over.
    for (const a of open) {
      this.noteOpen({ type: 'opened', alert: a });
      this.notify(this.escalator.restore(a, this.o.router.candidates(a), this.o.store.deliveries.get(a.id) ?? [], this.o.store.history.get(a.id) ?? [], now));
    }
    return open;
  }

  /** Republishes the retained T4 state of every open alert (the broker keeps retained messages in memory). */
  republish(): void {
    for (const a of this.o.engine.open()) this.publishMqtt({ type: 'opened', alert: a });
  }

  /** SV6: one reading, evaluated and delivered. A failing rule is logged, never thrown (STYLE habit 9). */
  onReading(r: Reading, sensor: Sensor): void {
    if (this.deferred.length > 0) this.applyDeferred(r.seq - 1);
    let changes: AlertChange[];
    try {
      changes = this.o.engine.onReading(r, sensor);
    } catch (err) {
      this.o.logger.warn({ err, sensorId: r.sensorId }, 'alert rule failed for a reading');
      return;
    }
    if (changes.length > 0) void this.handle(changes, undefined, r.seq);
    // A staff action taken right after this reading was evaluated takes effect now (SV7 replay order).
    if (this.deferred.length > 0) this.applyDeferred(r.seq);
  }

  /** SV7: staff actions on record take effect in the engine once the replay has evaluated reading `seq`. */
  private applyDeferred(seq: number): void {
    for (let k = 0; k < this.deferred.length; ) {
      const rec = this.deferred[k]!;
      if ((rec.seq ?? Number.NEGATIVE_INFINITY) > seq) {
        k++;
        continue;
      }
      this.deferred.splice(k, 1);
      if (rec.alert.state === 'resolved') this.o.engine.drop(rec.alert.id);
      else this.o.engine.adopt(rec.alert);
    }
  }

  /** SV1–SV4, SV6, SV7 for changes emitted by the engine (or by a staff action: `by`). */
  handle(changes: readonly AlertChange[], by?: string, seq?: number): Promise<void> {
    const fresh = by === undefined ? changes.filter((c) => this.isNew(c, seq)) : changes;
    if (fresh.length === 0) return Promise.resolve();
    const now = this.now();
    const recorded = this.o.store.recordChanges(fresh, now, by, by === undefined ? undefined : this.o.engine.evaluatedSeq);
    this.track(recorded);
    this.o.persist?.([...fresh]);
    for (const c of fresh) {
      this.changeCount?.labels(c.type).inc();
      const a = c.alert as EngineAlert;
      this.o.sse.publish('alert', { change: c.type, alert: a, link: alertLink(this.o.baseUrl, a.id), by });
      this.publishMqtt(c);
      this.notify(this.escalator.onChange({ type: c.type, alert: a }, this.o.router.candidates(a), now));
    }
    return recorded;
  }

  /**
   * SV7 Is this change new, or one already on record (a replay)? A replayed change has the
   * same alert id, type, severity, flapping mark and updatedAt as a recorded one (the
   * engine is deterministic on event time); the engine then continues from the recorded
   * state right after it, staff actions that followed included. A change of an alert
   * recorded as resolved is never new.
   */
  private isNew(c: AlertChange, seq = Number.POSITIVE_INFINITY): boolean {
    const a = c.alert as EngineAlert;
    const hist = this.o.store.history.get(a.id);
    if (hist === undefined) {
      this.o.engine.confirm(a.id);
      return true;
    }
    const i = hist.findIndex((h) => h.by === undefined && h.type === c.type && h.alert.updatedAt === a.updatedAt && h.alert.severity === a.severity && h.alert.flapping === a.flapping);
    const prev = this.o.store.alerts.get(a.id);
    if (i >= 0) {
      const { alert: next, later } = asOf(hist, i, seq);
      for (const rec of later) if (!this.deferred.includes(rec)) this.deferred.push(rec);
      if (next.state === 'resolved') this.o.engine.drop(a.id);
      else {
        // On record, so no ghost (EN4): staff actions on it reach the engine too (AL7 one view).
        this.o.engine.adopt(next);
        this.o.engine.confirm(a.id);
      }
      return false;
    }
    if (prev?.state === 'resolved' || c.type === 'opened') {
      this.o.engine.drop(a.id);
      return false;
    }
    this.o.engine.confirm(a.id);
    return true;
  }

  /**
   * FR2 / SV9: broker connection events (Last Will / disconnect / reconnect) for
   * `offline` rules. The broker reports exactly one up and one later down per session
   * that got CONNACK 0; a stray down without an up is ignored.
   */
  onConnection(sensor: Sensor, connected: boolean, at: number): Promise<void> {
    const n = this.sessions.get(sensor.id) ?? 0;
    if (connected) {
      this.sessions.set(sensor.id, n + 1);
      if (n > 0) return Promise.resolve();
    } else {
      if (n === 0) return Promise.resolve();
      if (n > 1) {
        this.sessions.set(sensor.id, n - 1);
        return Promise.resolve();
      }
      this.sessions.delete(sensor.id);
    }
    return this.handle(this.o.engine.onConnection(sensor, connected, at));
  }

  /** Live MQTT sessions of a sensor (SV9). */
  liveSessions(sensorId: string): number {
    return this.sessions.get(sensorId) ?? 0;
  }

  /** The single clock tick (pipeline time): time-based rules, then escalation and quiet-hour releases. */
  tick(nowMs: number): void {
    if (this.deferred.length > 0) this.applyDeferred(this.o.engine.evaluatedSeq);
    let changes: AlertChange[] = [];
    try {
      changes = this.o.engine.onTick(nowMs);
    } catch (err) {
      this.o.logger.warn({ err }, 'alert tick failed');
    }
    if (changes.length > 0) void this.handle(changes, undefined, this.o.engine.evaluatedSeq);
    this.notify(this.escalator.onTick(nowMs));
    // EN4: the first snapshot one interval after start, then every interval (it costs ~0.1 ms per
    // sensor, measured at 2,000 sensors; the journal keeps what the snapshot has not seen).
    if (this.lastSnapshotAt === Number.NEGATIVE_INFINITY) this.lastSnapshotAt = nowMs;
    if (this.o.snapshotFile && nowMs - this.lastSnapshotAt >= (this.o.snapshotEveryMs ?? 300_000)) {
      this.lastSnapshotAt = nowMs;
      this.track(this.saveSnapshot());
    }
  }

  /**
   * AL3 The highest journal seq whose evaluation is in the snapshot on disk: the journal
   * checkpoint never passes it, so a crash replays everything the snapshot has not seen.
   * Infinity when no snapshot is configured.
   */
  get snapshotSeq(): number {
    return this.o.snapshotFile ? this.savedSeq : Number.POSITIVE_INFINITY;
  }

  /** EN4: writes the engine snapshot atomically (temp file, fsync, rename); writes never overlap. */
  saveSnapshot(): Promise<void> {
    const file = this.o.snapshotFile;
    if (!file) return Promise.resolve();
    const snap = this.o.engine.snapshot();
    const text = snapshotToJson(snap);
    this.snapshotting = this.snapshotting.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp`;
      const fh = await openFile(tmp, 'w');
      try {
        await fh.writeFile(text);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      this.savedSeq = Math.max(this.savedSeq, snap.seq);
    });
    return this.snapshotting;
  }

  reloadRules(rules: RuleSet, actor: string): Promise<void> {
    this.o.engine.setRules(rules);
    return this.o.store.addAudit({ at: this.now(), actor, action: 'rules.reload', detail: { files: rules.files, rules: rules.rules.length } });
  }

  async acknowledge(id: string, actor: string): Promise<EngineAlert | undefined> {
    return this.staffAction(id, actor, 'acknowledge', (at) => this.o.engine.acknowledge(id, actor, at));
  }
  async assign(id: string, actor: string, assignee: string): Promise<EngineAlert | undefined> {
    return this.staffAction(id, actor, 'assign', (at) => this.o.engine.assign(id, assignee, at), { assignee });
  }
  async resolve(id: string, actor: string, reason: string): Promise<EngineAlert | undefined> {
    return this.staffAction(id, actor, 'resolve', (at) => this.o.engine.resolve(id, actor, reason, at), { reason });
  }
  async note(id: string, actor: string, text: string): Promise<boolean> {
    if (!this.o.store.alerts.has(id)) return false;
    const at = this.now();
    await this.o.store.addNote({ alertId: id, by: actor, at, text });
    await this.o.store.addAudit({ at, actor, action: 'note', alertId: id });
    this.o.sse.publish('note', { alertId: id, by: actor, at: toTaipeiIso(at), text });
    return true;
  }

  /** Shutdown: no new retries (RY3); in-flight attempts finish; the engine snapshot is written (`snapshot: false`: tests of a crash). */
  async close(o: { snapshot?: boolean } = {}): Promise<void> {
    this.closing = true;
    for (const wake of this.sleepers) wake();
    await this.idle();
    if (o.snapshot === false) return;
    await this.saveSnapshot().catch((err: Error) => this.o.logger.error({ err }, 'alert engine snapshot failed'));
  }

  /** Waits until every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async staffAction(id: string, actor: string, action: string, f: (at: number) => AlertChange | undefined, detail?: unknown): Promise<EngineAlert | undefined> {
    const at = this.now();
    const change = f(at);
    if (change === undefined) return undefined;
    await this.o.store.addAudit({ at, actor, action, alertId: id, ...(detail !== undefined ? { detail } : {}) });
    await this.handle([change], actor);
    return change.alert as EngineAlert;
  }

  private readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });

  private track<T>(p: Promise<T>): void {
    const q = p.catch((err: Error) => this.o.logger.error({ err }, 'alert state write failed'));
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  private log(d: DeliveryRec): void {
    this.deliveries?.labels(d.channel, d.status).inc();
    this.track(this.o.store.addDelivery(d));
    if (d.status === 'dead') this.o.logger.error({ alertId: d.alertId, channel: d.channel, target: d.target, error: d.error }, 'alert delivery dead-lettered');
  }

  private attempt(alertId: string, channel: DeliveryRec['channel'], target: string, reason: string, send: () => Promise<void>, sub?: string): Promise<unknown> {
    const run = withRetry(send, this.o.retry ?? DEFAULT_RETRY, (r) => this.log({ alertId, channel, target, reason, ...(sub !== undefined ? { sub } : {}), attempt: r.attempt, status: r.ok ? 'sent' : r.dead ? 'dead' : 'failed', at: this.now(), ...(r.error ? { error: r.error } : {}) }), this.o.sleep ?? this.sleep, () => this.closing);
    this.track(run);
    return run;
  }

  /** SV8 keeps the per-sensor set of open alerts; returns the sensor's summary topic. */
  private noteOpen(c: AlertChange): string {
    const a = c.alert as EngineAlert;
    const topic = alertTopic(a.kind, a.district, a.subject.replace(/[#+/]/g, '_'));
    let m = this.openBySubject.get(topic);
    if (c.type === 'resolved') {
      m?.delete(a.ruleId);
      if (m?.size === 0) this.openBySubject.delete(topic);
    } else {
      if (m === undefined) this.openBySubject.set(topic, (m = new Map()));
      m.set(a.ruleId, a);
    }
    return topic;
  }

  private publishMqtt(c: AlertChange): void {
    const sensorTopic = this.noteOpen(c);
    const publish = this.o.mqttPublish;
    if (!publish) return;
    const a = c.alert as EngineAlert;
    // SV8: one retained state per (sensor, rule).
    const topic = `${sensorTopic}/${a.ruleId.replace(/[#+/]/g, '_')}`;
    // T4 / MQTT 3.1.1 §3.3.1.3: an empty retained payload removes the retained message.
    const payload = c.type === 'resolved' ? '' : JSON.stringify({ ...a, change: c.type, openedAtLocal: toTaipeiIso(a.openedAt), updatedAtLocal: toTaipeiIso(a.updatedAt), link: alertLink(this.o.baseUrl, a.id) });
    this.publishOn(a.id, topic, payload, c.type, publish);
    const open = [...(this.openBySubject.get(sensorTopic)?.values() ?? [])];
    const summary = open.length === 0 ? '' : JSON.stringify({ sensorId: a.subject, kind: a.kind, district: a.district, count: open.length, alerts: open.map((o) => ({ id: o.id, ruleId: o.ruleId, severity: o.severity, state: o.state, topic: `${sensorTopic}/${o.ruleId.replace(/[#+/]/g, '_')}` })) });
    this.publishOn(a.id, sensorTopic, summary, c.type, publish);
  }

  private publishOn(alertId: string, topic: string, payload: string, reason: string, publish: NonNullable<AlertServiceOptions['mqttPublish']>): void {
    const prev = this.topicChains.get(topic) ?? Promise.resolve();
    // SV2: the next publish on a topic starts only after this one finished (sent or dead).
    const next = prev.then(() => this.attempt(alertId, 'mqtt', topic, reason, () => publish(topic, payload, true))).then(() => undefined);
    this.track(next);
    this.topicChains.set(topic, next);
    void next.finally(() => {
      if (this.topicChains.get(topic) === next) this.topicChains.delete(topic);
    });
  }

  private notify(notices: readonly Notice[]): void {
    for (const n of notices) {
      this.o.onNotice?.(n);
      const { subject, text } = renderNotification(n.alert, { baseUrl: this.o.baseUrl, reason: n.reason, ...(this.o.location?.(n.alert.district) ? { location: this.o.location(n.alert.district)! } : {}) });
      for (const id of n.contacts) {
        const c = this.o.router.contact(id);
        if (!c) continue;
        if (n.subscription.channels.includes('email') && c.email && this.o.mailer) {
          const mailer = this.o.mailer;
          this.attempt(n.alert.id, 'email', c.email, n.reason, () => mailer.send(c.email!, subject, text), n.subscription.id);
        }
        if (n.subscription.channels.includes('webhook') && c.webhook) {
          const hook = c.webhook;
          const payload = { reason: n.reason, contact: c.id, alert: n.alert, message: n.alert.message, subject, link: alertLink(this.o.baseUrl, n.alert.id), openedAtLocal: toTaipeiIso(n.alert.openedAt), updatedAtLocal: toTaipeiIso(n.alert.updatedAt) };
          this.attempt(n.alert.id, 'webhook', hook.url, n.reason, () => postWebhook(hook, payload, this.now()), n.subscription.id);
        }
      }
    }
  }
}
