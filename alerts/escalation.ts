import { taipeiMinuteOfDay, type AlertChange } from '../domain/index.ts';
import type { NotificationContext } from './messages.ts';
import type { SubscriptionT } from './routing.ts';
import type { EngineAlert } from './types.ts';

/**
 * Who is told what, and when (pure: time comes from the caller; unit-tested on a virtual clock).
 *
 * ES1 A change (opened / updated / resolved) notifies the subscription's contacts now,
 *     plus its escalation contacts once the alert has been escalated.
 * ES2 An unacknowledged critical alert is re-notified every renotifyMinutes, and after
 *     escalateAfterMinutes it is escalated to the second list (once; later reminders go
 *     to both). Acknowledging or resolving stops both (ThingsBoard users ask for
 *     "periodic reminders until acknowledged").
 * ES3 Resolved ends the tracking. Updates that change neither severity nor the flapping
 *     mark (acknowledge, assign) update the track silently.
 * ES4 Quiet hours (local +08:00) hold back advisories only; they are sent when quiet
 *     hours end if still open. Warnings and critical alerts are never held.
 * ES5 After a restart each open alert's track is rebuilt from its delivery log: contacts
 *     already told are not told again, the reminder clock continues from the last notice,
 *     and an escalation already sent is not repeated. An alert with no successful notice on
 *     record (a crash between opening and delivery, or during retries) is announced now.
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
  escalated: boolean;
  /** ES4: an advisory change held back by quiet hours. */
  deferred: NotificationContext['reason'] | undefined;
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

export class Escalator {
  private readonly tracks = new Map<string, Track>();

  /** ES1/ES3/ES4 for one change routed to `subs`. */
  onChange(c: AlertChange & { alert: EngineAlert }, subs: readonly SubscriptionT[], now: number): Notice[] {
    const out: Notice[] = [];
    for (const sub of subs) {
      const k = `${c.alert.id}|${sub.id}`;
      let t = this.tracks.get(k);
      if (t === undefined) {
        t = { alert: c.alert, sub, lastNotified: now, escalated: false, deferred: undefined };
        this.tracks.set(k, t);
      }
      const before = t.alert;
      t.alert = c.alert;
      // Acknowledge / assign / value-only updates change the track, not who is told (no e-mail per ack).
      if (c.type === 'updated' && before.severity === c.alert.severity && before.flapping === c.alert.flapping) continue;
      if (c.type === 'resolved') {
        this.tracks.delete(k);
        // An advisory that was never sent does not need its "resolved" either.
        if (t.deferred !== undefined) continue;
        out.push(this.notice(t, 'resolved'));
        continue;
      }
      const reason = c.type === 'opened' ? 'opened' : 'updated';
      if (c.alert.severity === 'advisory' && inQuietHours(sub.quietHours, now)) {
        t.deferred ??= reason;
        continue;
      }
      t.deferred = undefined;
      t.lastNotified = now;
      out.push(this.notice(t, reason));
    }
    return out;
  }

  /** ES5: rebuilds the tracks of one open alert after a restart; returns what still has to be sent. */
  restore(alert: EngineAlert, subs: readonly SubscriptionT[], delivered: readonly { readonly reason: string; readonly status: string; readonly channel: string; readonly at: number }[], now: number): Notice[] {
    const sent = delivered.filter((d) => d.status === 'sent' && (d.channel === 'email' || d.channel === 'webhook'));
    const last = sent.reduce((m, d) => Math.max(m, d.at), Number.NEGATIVE_INFINITY);
    const out: Notice[] = [];
    for (const sub of subs) {
      const t: Track = { alert, sub, lastNotified: sent.length ? last : now, escalated: sent.some((d) => d.reason === 'escalation'), deferred: undefined };
      this.tracks.set(`${alert.id}|${sub.id}`, t);
      if (sent.length > 0) continue;
      if (alert.severity === 'advisory' && inQuietHours(sub.quietHours, now)) t.deferred = 'opened';
      else out.push(this.notice(t, 'opened'));
    }
    return out;
  }

  /** ES2/ES4 on the clock tick. */
  onTick(now: number): Notice[] {
    const out: Notice[] = [];
    for (const t of this.tracks.values()) {
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
      if (!t.escalated && now - a.openedAt >= esc.escalateAfterMinutes * 60_000) {
        t.escalated = true;
        t.lastNotified = now;
        out.push({ alert: a, reason: 'escalation', subscription: t.sub, contacts: [...t.sub.contacts, ...esc.to] });
      } else if (now - t.lastNotified >= esc.renotifyMinutes * 60_000) {
        t.lastNotified = now;
        out.push(this.notice(t, 'reminder'));
      }
    }
    return out;
  }

  private notice(t: Track, reason: NotificationContext['reason']): Notice {
    const contacts = t.escalated && t.sub.escalation ? [...t.sub.contacts, ...t.sub.escalation.to] : t.sub.contacts;
    return { alert: t.alert, reason, subscription: t.sub, contacts };
  }

  /** Tracks to rebuild after a restart: open alerts re-enter with their opening time. */
  get size(): number {
    return this.tracks.size;
  }
}
