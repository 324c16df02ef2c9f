import { taipeiMinuteOfDay, type AlertChange } from '../domain/index.ts';
import type { NotificationContext } from './messages.ts';
import { inView, type SubscriptionT } from './routing.ts';
import type { ChangeRec } from './state-store.ts';
import type { EngineAlert } from './types.ts';

/**
 * Who is told what, and when (pure: time comes from the caller; unit-tested on a virtual clock).
 * Every time here is the pipeline's clock (the `now` of the caller), never device time (AL5).
 *
 * ES1 (AL1) Notices follow the subscriber's view. An alert *enters* a subscription's view
 *     when it first matches (opened, or a severity rise into minSeverity): one "opened"
 *     notice; a severity or flapping change inside the view: one "updated" notice; it
 *     *leaves* the view when resolved ("resolved") or when it falls below minSeverity
 *     ("left"): one notice. Acknowledge / assign / value-only updates notify nobody.
 * ES2 (AL2) An unacknowledged critical alert in the view is re-notified every
 *     renotifyMinutes, and escalateAfterMinutes after it became critical (pipeline
 *     clock) it is escalated to the second list (once; later notices go to both).
 *     Reminders and escalation only run while the alert is open, unacknowledged,
 *     critical and in the view: acknowledging, resolving or falling below the threshold
 *     stops both, and the escalation contacts get the "resolved"/"left" notice too.
 * ES3 Leaving the view ends the track (a later rise re-enters with a fresh track).
 * ES4 Quiet hours (local +08:00) hold back advisories only; they are sent when quiet
 *     hours end if still in the view; an advisory that left the view before it was sent
 *     is dropped silently (its "left"/"resolved" too). Warnings and critical alerts are
 *     never held.
 * ES5 (AL3) After a restart each open alert's tracks are rebuilt from the delivery log per
 *     subscription: a subscription already told keeps its view (reminder clock from the
 *     last notice, escalation not repeated), one that should see the alert but has no
 *     successful notice on record is told now, one told of a state it has since left
 *     gets its "left" notice. Nothing already delivered is repeated.
 */
export interface Notice {
  readonly alert: EngineAlert;
  readonly reason: NotificationContext['reason'];
  readonly subscription: SubscriptionT;
  readonly contacts: readonly string[];
}

interface Track {
  alert: EngineAlert;
  readonly sub: SubscriptionT;
  lastNotified: number;
  /** Pipeline time since which the alert is critical (NaN when it is not). */
  criticalSince: number;
  escalated: boolean;
  /** ES4: an advisory change held back by quiet hours. */
  deferred: NotificationContext['reason'] | undefined;
}

export interface DeliveredRec {
  readonly reason: string;
  readonly status: string;
  readonly channel: string;
  readonly at: number;
  readonly sub?: string;
}

export function inQuietHours(q: SubscriptionT['quietHours'], ts: number): boolean {
  if (!q) return false;
  const m = taipeiMinuteOfDay(ts);
  const [sh, sm] = q.start.split(':').map(Number) as [number, number];
  const [eh, em] = q.end.split(':').map(Number) as [number, number];
  const s = sh * 60 + sm;
  const e = eh * 60 + em;
  return s <= e ? m >= s && m < e : m >= s || m < e;
}

const LEAVING = new Set(['resolved', 'left']);

export class Escalator {
  /** alert id → subscription id → track (only alerts inside a subscription's view). */
  private readonly tracks = new Map<string, Map<string, Track>>();

  /**
   * ES1/ES3/ES4 for one change. `subs` are the subscriptions whose kind/district/rule
   * criteria match the alert (Router.candidates); minSeverity is applied here (inView).
   */
  onChange(c: AlertChange & { alert: EngineAlert }, subs: readonly SubscriptionT[], now: number): Notice[] {
    const out: Notice[] = [];
    const a = c.alert;
    const byAlert = this.tracks.get(a.id);
    const seen = new Set<string>();
    for (const sub of subs) {
      seen.add(sub.id);
      const t = byAlert?.get(sub.id);
      const match = c.type !== 'resolved' && inView(sub, a);
      if (t === undefined) {
        if (!match) continue;
        const nt: Track = { alert: a, sub, lastNotified: now, criticalSince: a.severity === 'critical' ? now : Number.NaN, escalated: false, deferred: undefined };
        this.put(a.id, nt);
        this.send(nt, 'opened', now, out);
        continue;
      }
      const before = t.alert;
      t.alert = a;
      if (a.severity !== 'critical') t.criticalSince = Number.NaN;
      else if (Number.isNaN(t.criticalSince)) t.criticalSince = now;
      if (!match) {
        this.drop(a.id, sub.id);
        if (t.deferred === undefined) out.push(this.notice(t, c.type === 'resolved' ? 'resolved' : 'left'));
        continue;
      }
      if (before.severity === a.severity && before.flapping === a.flapping) continue;
      this.send(t, t.deferred ?? 'updated', now, out);
    }
    // A resolved alert ends every track, also of subscriptions no longer routed (a reload).
    if (c.type === 'resolved' && byAlert) {
      for (const [id, t] of byAlert) {
        if (seen.has(id)) continue;
        t.alert = a;
        if (t.deferred === undefined) out.push(this.notice(t, 'resolved'));
      }
      this.tracks.delete(a.id);
    }
    return out;
  }

  /** ES5: rebuilds the tracks of one open alert after a restart; returns what still has to be sent. */
  restore(alert: EngineAlert, subs: readonly SubscriptionT[], delivered: readonly DeliveredRec[], history: readonly ChangeRec[], now: number): Notice[] {
    const out: Notice[] = [];
    // Pipeline time since which the alert is critical, from its recorded changes.
    let criticalSince = Number.NaN;
    for (const h of history) {
      if (h.alert.severity === 'critical') {
        if (Number.isNaN(criticalSince)) criticalSince = h.at;
      } else criticalSince = Number.NaN;
    }
    if (alert.severity === 'critical' && Number.isNaN(criticalSince)) criticalSince = now;
    const sentAll = delivered.filter((d) => d.status === 'sent' && (d.channel === 'email' || d.channel === 'webhook'));
    for (const sub of subs) {
      // Records before per-subscription logging carry no `sub`: they count for every subscription.
      const sent = sentAll.filter((d) => d.sub === undefined || d.sub === sub.id);
      const last = sent[sent.length - 1];
      const told = last !== undefined && !LEAVING.has(last.reason);
      const match = inView(sub, alert);
      const t: Track = { alert, sub, lastNotified: last?.at ?? now, criticalSince, escalated: sent.some((d) => d.reason === 'escalation'), deferred: undefined };
      if (match && told) this.put(alert.id, t);
      else if (match) {
        this.put(alert.id, t);
        this.send(t, 'opened', now, out);
      } else if (told) out.push(this.notice(t, 'left'));
    }
    return out;
  }

  /** ES2/ES4 on the clock tick. */
  onTick(now: number): Notice[] {
    const out: Notice[] = [];
    for (const byAlert of this.tracks.values()) {
      for (const t of byAlert.values()) {
        const a = t.alert;
        if (t.deferred !== undefined) {
          if (a.severity === 'advisory' && inQuietHours(t.sub.quietHours, now)) continue;
          out.push(this.notice(t, t.deferred));
          t.deferred = undefined;
          t.lastNotified = now;
          continue;
        }
        const esc = t.sub.escalation;
        if (esc === undefined || a.severity !== 'critical' || a.state !== 'open') continue;
        if (!t.escalated && now - t.criticalSince >= esc.escalateAfterMinutes * 60_000) {
          t.escalated = true;
          t.lastNotified = now;
          out.push({ alert: a, reason: 'escalation', subscription: t.sub, contacts: [...t.sub.contacts, ...esc.to] });
        } else if (now - t.lastNotified >= esc.renotifyMinutes * 60_000) {
          t.lastNotified = now;
          out.push(this.notice(t, 'reminder'));
        }
      }
    }
    return out;
  }

  /** The alerts a subscription currently sees (tests: "no reminder for a non-matching alert"). */
  tracked(alertId: string): readonly string[] {
    return [...(this.tracks.get(alertId)?.keys() ?? [])];
  }

  get size(): number {
    let n = 0;
    for (const m of this.tracks.values()) n += m.size;
    return n;
  }

  private send(t: Track, reason: NotificationContext['reason'], now: number, out: Notice[]): void {
    if (t.alert.severity === 'advisory' && inQuietHours(t.sub.quietHours, now)) {
      t.deferred ??= reason;
      return;
    }
    t.deferred = undefined;
    t.lastNotified = now;
    out.push(this.notice(t, reason));
  }

  private put(alertId: string, t: Track): void {
    let m = this.tracks.get(alertId);
    if (m === undefined) this.tracks.set(alertId, (m = new Map()));
    m.set(t.sub.id, t);
  }

  private drop(alertId: string, subId: string): void {
    const m = this.tracks.get(alertId);
    m?.delete(subId);
    if (m?.size === 0) this.tracks.delete(alertId);
  }

  private notice(t: Track, reason: NotificationContext['reason']): Notice {
    const contacts = t.escalated && t.sub.escalation ? [...t.sub.contacts, ...t.sub.escalation.to] : t.sub.contacts;
    return { alert: t.alert, reason, subscription: t.sub, contacts };
  }
}
