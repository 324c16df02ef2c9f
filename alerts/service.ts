import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { alertTopic, toTaipeiIso, type AlertChange, type LocalizedText, type Sensor } from '../domain/index.ts';
import type { Mailer } from './delivery/email.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy, type Sleep } from './delivery/retry.ts';
import type { SseHub } from './delivery/sse.ts';
import { postWebhook } from './delivery/webhook.ts';
import type { ConfigurableAlertEngine } from './engine.ts';
import { Escalator, type Notice } from './escalation.ts';
import { alertLink, renderNotification } from './messages.ts';
import type { Router } from './routing.ts';
import type { AlertStateStore, DeliveryRec } from './state-store.ts';
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
   * Changes that did not come through the processor's stream — staff actions and broker
   * connection events — so the main store records them too (e.g. writer.addAlertChanges).
   */
  readonly persist?: (changes: AlertChange[]) => void;
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
 */
export class AlertService {
  readonly escalator = new Escalator();
  private readonly topicChains = new Map<string, Promise<undefined>>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closing = false;
  /** Wakers of backoff sleeps in progress, so close() does not wait out a 60 s backoff. */
  private readonly sleepers = new Set<() => void>();
  private readonly now: () => number;
  private readonly deliveries: Counter<'channel' | 'status'> | undefined;

  constructor(private readonly o: AlertServiceOptions) {
    this.now = o.now ?? Date.now;
    this.deliveries = o.metrics ? new Counter({ name: 'civic_alert_deliveries_total', help: 'alert delivery attempts by channel and outcome', labelNames: ['channel', 'status'], registers: [o.metrics] }) : undefined;
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

  /** After a restart: the engine and the escalator get the open alerts back (state survives). */
  restore(): EngineAlert[] {
    const open = this.o.store.openAlerts();
    this.o.engine.restore(open);
    const now = this.now();
    // ES5: continue each alert's notification history instead of starting it over.
    for (const a of open) this.notify(this.escalator.restore(a, this.o.router.route(a), this.o.store.deliveries.get(a.id) ?? [], now));
    return open;
  }

  /** Republishes the retained T4 state of every open alert (the broker keeps retained messages in memory). */
  republish(): void {
    for (const a of this.o.engine.open()) this.publishMqtt({ type: 'opened', alert: a });
  }

  /** SV1–SV4 for changes emitted by the engine (or by a staff action). */
  handle(changes: readonly AlertChange[], by?: string): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    const now = this.now();
    const recorded = this.o.store.recordChanges(changes, now, by);
    this.track(recorded);
    for (const c of changes) {
      const a = c.alert as EngineAlert;
      this.o.sse.publish('alert', { change: c.type, alert: a, link: alertLink(this.o.baseUrl, a.id), by });
      this.publishMqtt(c);
      this.notify(this.escalator.onChange({ type: c.type, alert: a }, this.o.router.route(a), now));
    }
    return recorded;
  }

  /** FR2: broker connection events (Last Will / disconnect / reconnect) for `offline` rules. */
  onConnection(sensor: Sensor, connected: boolean, at: number): Promise<void> {
    const changes = this.o.engine.onConnection(sensor, connected, at);
    if (changes.length > 0) this.o.persist?.(changes);
    return this.handle(changes);
  }

  /** Escalation and quiet-hour releases; call from the single clock tick. */
  tick(nowMs: number): void {
    this.notify(this.escalator.onTick(nowMs));
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

  /** Shutdown: no new retries (RY3); in-flight attempts finish. */
  async close(): Promise<void> {
    this.closing = true;
    for (const wake of this.sleepers) wake();
    await this.idle();
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
    this.o.persist?.([change]);
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

  private attempt(alertId: string, channel: DeliveryRec['channel'], target: string, reason: string, send: () => Promise<void>): Promise<unknown> {
    const run = withRetry(send, this.o.retry ?? DEFAULT_RETRY, (r) => this.log({ alertId, channel, target, reason, attempt: r.attempt, status: r.ok ? 'sent' : r.dead ? 'dead' : 'failed', at: this.now(), ...(r.error ? { error: r.error } : {}) }), this.o.sleep ?? this.sleep, () => this.closing);
    this.track(run);
    return run;
  }

  private publishMqtt(c: AlertChange): void {
    const publish = this.o.mqttPublish;
    if (!publish) return;
    const a = c.alert as EngineAlert;
    const topic = alertTopic(a.kind, a.district, a.subject.replace(/[#+/]/g, '_'));
    // T4 / MQTT 3.1.1 §3.3.1.3: an empty retained payload removes the retained message.
    const payload = c.type === 'resolved' ? '' : JSON.stringify({ ...a, change: c.type, openedAtLocal: toTaipeiIso(a.openedAt), updatedAtLocal: toTaipeiIso(a.updatedAt), link: alertLink(this.o.baseUrl, a.id) });
    const prev = this.topicChains.get(topic) ?? Promise.resolve();
    // SV2: the next publish on a topic starts only after this one finished (sent or dead).
    const next = prev.then(() => this.attempt(a.id, 'mqtt', topic, c.type, () => publish(topic, payload, true))).then(() => undefined);
    this.track(next);
    this.topicChains.set(topic, next);
    void next.finally(() => {
      if (this.topicChains.get(topic) === next) this.topicChains.delete(topic);
    });
  }

  private notify(notices: readonly Notice[]): void {
    for (const n of notices) {
      const { subject, text } = renderNotification(n.alert, { baseUrl: this.o.baseUrl, reason: n.reason, ...(this.o.location?.(n.alert.district) ? { location: this.o.location(n.alert.district)! } : {}) });
      for (const id of n.contacts) {
        const c = this.o.router.contact(id);
        if (!c) continue;
        if (n.subscription.channels.includes('email') && c.email && this.o.mailer) {
          const mailer = this.o.mailer;
          this.attempt(n.alert.id, 'email', c.email, n.reason, () => mailer.send(c.email!, subject, text));
        }
        if (n.subscription.channels.includes('webhook') && c.webhook) {
          const hook = c.webhook;
          const payload = { reason: n.reason, contact: c.id, alert: n.alert, message: n.alert.message, subject, link: alertLink(this.o.baseUrl, n.alert.id), openedAtLocal: toTaipeiIso(n.alert.openedAt), updatedAtLocal: toTaipeiIso(n.alert.updatedAt) };
          this.attempt(n.alert.id, 'webhook', hook.url, n.reason, () => postWebhook(hook, payload, this.now()));
        }
      }
    }
  }
}
