import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Escalator, inQuietHours } from '../../alerts/escalation.ts';
import { Router, parseContacts } from '../../alerts/routing.ts';
import type { EngineAlert } from '../../alerts/types.ts';
import { MIN, T0 } from '../analytics/fixtures.ts';

const doc = parseContacts(
  `
contacts:
  - { id: duty, name: { zh-TW: 值班, en: Duty }, agency: fire, email: duty@example.org }
  - { id: chief, name: { zh-TW: 主管, en: Chief }, agency: fire, email: chief@example.org }
  - { id: epb, name: { zh-TW: 環保局, en: EPB }, agency: epb, email: epb@example.org }
subscriptions:
  - id: fire-water
    contacts: [duty]
    match: { kinds: [water-level], minSeverity: warning }
    channels: [email]
    escalation: { renotifyMinutes: 10, escalateAfterMinutes: 30, to: [chief] }
  - id: epb-air
    contacts: [epb]
    match: { kinds: [air-quality], districts: ["68000120"] }
    channels: [email]
    quietHours: { start: "22:00", end: "07:00" }
`,
  'contacts.yaml',
);
const router = new Router(doc);
const alert = (o: Partial<EngineAlert>): EngineAlert => ({
  id: 'a1', ruleId: 'r', subject: 's', kind: 'water-level', district: '68000020', severity: 'critical', state: 'open', openedAt: T0, updatedAt: T0, field: 'f', value: 1, threshold: 1, message: { 'zh-TW': 'x', en: 'x' }, ...o,
});

describe('routing (RT1)', () => {
  it('matches by kind, district and minimum severity', () => {
    assert.deepEqual(router.route(alert({})).map((s) => s.id), ['fire-water']);
    assert.deepEqual(router.route(alert({ severity: 'advisory' })).map((s) => s.id), []);
    assert.deepEqual(router.route(alert({ kind: 'air-quality', district: '68000120', severity: 'advisory' })).map((s) => s.id), ['epb-air']);
    assert.deepEqual(router.route(alert({ kind: 'air-quality', district: '68000010' })).map((s) => s.id), []);
  });
  it('rejects a subscription naming an unknown contact', () => {
    assert.throws(() => parseContacts('contacts: []\nsubscriptions: [{ id: x, contacts: [nobody], match: {}, channels: [email] }]', 'c.yaml'), /unknown contact "nobody"/);
  });
});

describe('escalation on a virtual clock (ES1–ES4)', () => {
  it('ES2 re-notifies an unacknowledged critical alert every N minutes and escalates after M', () => {
    const e = new Escalator();
    const a = alert({});
    const subs = router.route(a);
    const first = e.onChange({ type: 'opened', alert: a }, subs, T0);
    assert.deepEqual(first.map((n) => [n.reason, n.contacts.join()]), [['opened', 'duty']]);
    const seen: string[] = [];
    for (let m = 1; m <= 45; m++) for (const n of e.onTick(T0 + m * MIN)) seen.push(`${m}:${n.reason}:${n.contacts.join('+')}`);
    assert.deepEqual(seen, ['10:reminder:duty', '20:reminder:duty', '30:escalation:duty+chief', '40:reminder:duty+chief']);
  });

  it('ES2 acknowledging stops reminders and escalation', () => {
    const e = new Escalator();
    const a = alert({});
    e.onChange({ type: 'opened', alert: a }, router.route(a), T0);
    e.onChange({ type: 'updated', alert: { ...a, state: 'acknowledged' } }, router.route(a), T0 + 5 * MIN);
    const later: unknown[] = [];
    for (let m = 6; m <= 120; m++) later.push(...e.onTick(T0 + m * MIN));
    assert.deepEqual(later, []);
  });

  it('ES4 quiet hours hold advisories until they end, never critical ones', () => {
    // 23:00 local = 15:00 UTC
    const night = T0 + 15 * 60 * MIN;
    assert.equal(inQuietHours({ start: '22:00', end: '07:00' }, night), true);
    const e = new Escalator();
    const adv = alert({ id: 'aq', kind: 'air-quality', district: '68000120', severity: 'advisory' });
    assert.deepEqual(e.onChange({ type: 'opened', alert: adv }, router.route(adv), night), []);
    assert.deepEqual(e.onTick(night + 60 * MIN), [], 'still quiet at 00:00 local');
    const morning = T0 + 23 * 60 * MIN; // 07:00 local
    assert.deepEqual(e.onTick(morning).map((n) => n.reason), ['opened']);
    const crit = alert({ id: 'aq2', kind: 'air-quality', district: '68000120', severity: 'critical' });
    assert.deepEqual(e.onChange({ type: 'opened', alert: crit }, router.route(crit), night).map((n) => n.reason), ['opened']);
  });

  it('ES3 a resolved advisory that was never sent is not announced as resolved', () => {
    const e = new Escalator();
    const night = T0 + 15 * 60 * MIN;
    const adv = alert({ id: 'aq', kind: 'air-quality', district: '68000120', severity: 'advisory' });
    e.onChange({ type: 'opened', alert: adv }, router.route(adv), night);
    assert.deepEqual(e.onChange({ type: 'resolved', alert: { ...adv, state: 'resolved' } }, router.route(adv), night + MIN), []);
    assert.equal(e.size, 0);
  });
});

describe('escalation after a restart (ES5)', () => {
  const critical = alert({});
  const subs = router.route(critical);
  const sent = (reason: string, at: number) => ({ reason, status: 'sent', channel: 'email', at });

  it('does not repeat an escalation or the opening notice already sent, and keeps the reminder clock', () => {
    const e = new Escalator();
    const restored = e.restore(critical, subs, [sent('opened', T0), sent('escalation', T0 + 30 * MIN)], [], T0 + 35 * MIN);
    assert.deepEqual(restored, [], 'nothing re-sent at restore');
    assert.deepEqual(e.onTick(T0 + 36 * MIN), [], 'no second escalation, no early reminder');
    const reminder = e.onTick(T0 + 40 * MIN); // 10 minutes after the last notice (the escalation)
    assert.equal(reminder.length, 1);
    assert.equal(reminder[0]!.reason, 'reminder');
    assert.deepEqual(reminder[0]!.contacts, ['duty', 'chief'], 'still escalated: both lists');
  });

  it('announces an open alert that has no successful notice on record (crash before or during delivery)', () => {
    const e = new Escalator();
    const restored = e.restore(critical, subs, [{ reason: 'opened', status: 'failed', channel: 'email', at: T0 }], [], T0 + 5 * MIN);
    assert.equal(restored.length, 1);
    assert.equal(restored[0]!.reason, 'opened');
  });
});
