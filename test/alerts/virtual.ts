import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SseHub } from '../../alerts/delivery/sse.ts';
import { verifyWebhook } from '../../alerts/delivery/webhook.ts';
import { createAlertEngine } from '../../alerts/engine.ts';
import { Router, parseContacts } from '../../alerts/routing.ts';
import { AlertService } from '../../alerts/service.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import type { EngineAlert, RuleSet } from '../../alerts/types.ts';
import type { AlertChange, Reading, Sensor } from '../../domain/index.ts';
import { L, ruleSet } from './helpers.ts';

/**
 * The real alert runtime (engine, state file, snapshot, escalator, router, service) on a
 * virtual clock, for the guarantee tests (AL1–AL9). What leaves it is observed where it
 * leaves: notices as the service hands them to delivery (onNotice), the main-store change
 * stream (persist), and a retained-message table that applies MQTT 3.1.1 §3.3.1.3 (an
 * empty retained payload deletes). A restart closes everything and opens it again on the
 * same state directory; the retained table is lost, as the broker keeps it in memory.
 * Contacts deliver by webhook to a real HTTP receiver that verifies each signature
 * (`{{hook}}` in the contacts text is its URL; secret HOOK_SECRET).
 */
export const HOOK_SECRET = 'virtual-webhook-secret-0123456789';
export interface NoticeRec {
  readonly alertId: string;
  readonly ruleId: string;
  readonly sub: string;
  readonly reason: string;
  readonly severity: string;
  readonly state: string;
  readonly contacts: string;
  readonly at: number;
}

export interface Virtual {
  clock: { now: number };
  service: AlertService;
  notices: NoticeRec[];
  persisted: AlertChange[];
  retained: Map<string, string>;
  /** Webhook bodies received, with the signature check result. */
  hooks: { reason: string; alertId: string; contact: string; verified: boolean }[];
  readonly dir: string;
  /** Clean restart; `crash`: no snapshot at close (the last periodic one stays), so readings after it must be replayed. */
  restart(o?: { crash?: boolean }): Promise<void>;
  /** Waits for every write and delivery in flight. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startVirtual(o: { rules: RuleSet; contactsYaml: string; sensors: readonly Sensor[]; start: number }): Promise<Virtual> {
  const dir = await mkdtemp(path.join(tmpdir(), 'civic-virtual-'));
  const clock = { now: o.start };
  const notices: NoticeRec[] = [];
  const persisted: AlertChange[] = [];
  const retained = new Map<string, string>();
  const hooks: Virtual['hooks'] = [];
  const receiver: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const ok = verifyWebhook(HOOK_SECRET, req.headers, raw, clock.now, 24 * 3_600_000).ok; // signed on the virtual clock, which runs ahead while in flight
      const body = JSON.parse(raw) as { reason: string; contact: string; alert: { id: string } };
      hooks.push({ reason: body.reason, alertId: body.alert.id, contact: body.contact, verified: ok });
      res.statusCode = ok ? 204 : 401;
      res.end();
    });
  });
  const port = await new Promise<number>((r) => receiver.listen(0, '127.0.0.1', () => r((receiver.address() as AddressInfo).port)));
  const router = new Router(parseContacts(o.contactsYaml.replaceAll('{{hook}}', `http://127.0.0.1:${port}/hook`), 'contacts.yaml'));
  const boot = async (): Promise<AlertService> => {
    const store = await AlertStateStore.open(dir);
    const engine = createAlertEngine({ rules: o.rules, sensors: () => o.sensors });
    const s = new AlertService({
      engine,
      store,
      router,
      sse: new SseHub(10, 60_000),
      baseUrl: 'http://127.0.0.1',
      logger: pino({ level: 'silent' }),
      now: () => clock.now,
      retry: { maxAttempts: 3, baseMs: 5, maxMs: 20 },
      persist: (c) => void persisted.push(...c),
      mqttPublish: async (t, p) => void (p === '' ? retained.delete(t) : retained.set(t, p)),
      snapshotFile: path.join(dir, 'engine-snapshot.json'),
      onNotice: (n) => notices.push({ alertId: n.alert.id, ruleId: n.alert.ruleId, sub: n.subscription.id, reason: n.reason, severity: n.alert.severity, state: n.alert.state, contacts: n.contacts.join('+'), at: clock.now }),
    });
    await s.restore();
    s.republish();
    return s;
  };
  const v: Virtual = {
    clock,
    service: await boot(),
    notices,
    persisted,
    retained,
    hooks,
    dir,
    async settle() {
      await v.service.idle();
    },
    async restart(r = {}) {
      await v.service.close(r.crash ? { snapshot: false } : {});
      v.service.sse.close();
      await v.service.store.close();
      retained.clear();
      v.service = await boot();
      await v.service.idle();
    },
    async close() {
      await v.service.close();
      v.service.sse.close();
      await v.service.store.close();
      await new Promise<void>((r) => receiver.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return v;
}

/** A reading received now (pipeline clock) with the given device time. */
export function received(r: Reading, receivedAt: number): Reading {
  return { ...r, receivedAt };
}

/** The main store's view of the persisted change stream (storage S3: a row is replaced only by a change with updatedAt ≥ its own). */
export function storeView(changes: readonly AlertChange[]): Map<string, EngineAlert> {
  const m = new Map<string, EngineAlert>();
  for (const c of changes) {
    const prev = m.get(c.alert.id);
    if (prev === undefined || c.alert.updatedAt >= prev.updatedAt) m.set(c.alert.id, c.alert as EngineAlert);
  }
  return m;
}

/** The rules and contacts of the guarantee tests (guarantees.test.ts, generated.test.ts). */
export const RULE_DEFS: Record<string, unknown>[] = [
  {
    id: 'river',
    type: 'threshold',
    target: { params: { station: 'river' } },
    field: 'currentLevel',
    levels: [
      { severity: 'critical', above: { param: 'warningLevels.level1' }, label: L('一級警戒') },
      { severity: 'warning', above: { param: 'warningLevels.level2' }, label: L('二級警戒') },
      { severity: 'advisory', above: { param: 'warningLevels.level3' }, label: L('三級警戒') },
    ],
  },
  { id: 'river.stuck', type: 'stuck', target: { params: { station: 'river' } }, field: 'currentLevel', count: 3, severity: 'advisory', label: L('stuck') },
  { id: 'parking.stuck', type: 'stuck', target: { kinds: ['parking'] }, field: 'occupiedSpotNumber', minutes: 360, severity: 'advisory', label: L('parking stuck') },
  { id: 'health.silent', type: 'freshness', factor: 3, severity: 'advisory', label: L('silent') },
  { id: 'health.offline', type: 'offline', graceMinutes: 2, severity: 'warning', label: L('offline') },
  { id: 'light.no-draw', type: 'threshold', target: { kinds: ['streetlight'] }, field: 'powerConsumption', schedule: 'on', levels: [{ severity: 'warning', below: 1, label: L('no draw') }] },
  { id: 'drill.river', type: 'threshold', target: { params: { station: 'river' } }, field: 'currentLevel', capStatus: 'Exercise', public: true, levels: [{ severity: 'warning', above: 100, label: L('drill') }] },
];
export const RULES = ruleSet(RULE_DEFS);

export const CONTACTS = `
contacts:
  - { id: duty, name: { zh-TW: 值班, en: Duty }, agency: water, webhook: { url: "{{hook}}", secret: "virtual-webhook-secret-0123456789" } }
  - { id: chief, name: { zh-TW: 主管, en: Chief }, agency: water, webhook: { url: "{{hook}}", secret: "virtual-webhook-secret-0123456789" } }
  - { id: flood, name: { zh-TW: 防汛, en: Flood }, agency: water, webhook: { url: "{{hook}}", secret: "virtual-webhook-secret-0123456789" } }
subscriptions:
  - { id: flood-warning, contacts: [flood], match: { kinds: [water-level], rules: [river], minSeverity: warning }, channels: [webhook] }
  - { id: crit, contacts: [duty], match: { rules: [river], minSeverity: critical }, channels: [webhook], escalation: { renotifyMinutes: 5, escalateAfterMinutes: 15, to: [chief] } }
  - { id: all, contacts: [duty], match: {}, channels: [webhook] }
`;

