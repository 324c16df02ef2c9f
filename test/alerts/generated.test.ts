import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { stringify } from 'yaml';
import { publication } from '../../alerts/index.ts';
import { inView, parseContacts, type SubscriptionT } from '../../alerts/routing.ts';
import type { EngineAlert } from '../../alerts/types.ts';
import type { AlertChange, Reading } from '../../domain/index.ts';
import { MIN, T0, reading, riverSensor } from '../analytics/fixtures.ts';
import { installErrorHandling } from '../../exporter/error-handler.ts';
import { openData } from '../../exporter/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/index.ts';
import { ruleSet } from './helpers.ts';
import { CONTACTS, RULE_DEFS, received, startVirtual, storeView, type Virtual } from './virtual.ts';

/**
 * Generated situations (AL1–AL8): random sequences of river readings (rising, falling,
 * flapping, buffered and out of order), clock ticks, connects and disconnects (several
 * sessions per sensor, stray downs), acknowledgements, staff resolves, rule reloads and
 * restarts with a journal replay, driven through the real alert runtime on virtual time.
 * After every step:
 *  I1 (AL1) the notices each subscription got for each alert are exactly the view changes
 *     derived from the change stream the main store received: one per enter / change / leave;
 *  I2 (AL2) no reminder or escalation for an alert that was resolved, acknowledged, not
 *     critical or outside the subscription's view when it was sent;
 *  I3 (AL7/AL8) store view = state-file view = engine view (ids, state, severity);
 *  I4 (AL3) a restart with replay adds no notice and no store change, also after a crash
 *     (the snapshot on disk is the last periodic one; everything after it is replayed and
 *     what was already delivered is recognised by SV7);
 *  I5 (AL4) the retained (sensor, rule) topics are exactly the open alerts;
 *  I6 every webhook was signed and verified, one per notice and contact;
 *  I7 (AL5) sessions are counted per sensor and no offline alert is open while one lives.
 * After every run:
 *  I8 (AL9) the public outputs (Atom feed, CAP documents), served by the open-data exporter
 *     from a real store holding the change stream, list exactly the Actual alerts of public
 *     rules (`river` here); no drill (`drill.river`, Exercise) and no alert of a non-public
 *     rule (`river.stuck`, `health.*`) is ever served.
 */
const stations = [riverSensor('wl-a'), riverSensor('wl-b')];
// `river` is public and Actual; the drill fires at level 3 alongside it, public but Exercise.
const RULES = ruleSet(RULE_DEFS.map((r) => (r.id === 'river' ? { ...r, public: true } : r.id === 'drill.river' ? { ...r, levels: [{ severity: 'warning', above: 3, label: { 'zh-TW': '演習', en: 'drill' } }] } : r)));
const REGISTRY = Registry.parse(stringify({ districts: [{ code: stations[0]!.district.code, name: stations[0]!.district.name }], sensors: stations.map((s) => ({ id: s.id, kind: s.kind, name: s.name, district: s.district.code, location: s.location, params: s.params, secretHash: 'scrypt$x$y' })) }), 'generated.yaml');

/** I8: what the public alert outputs serve, from a real store holding the persisted change stream. */
async function checkPublicOutputs(v: Virtual): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'civic-gen-public-'));
  const logger = pino({ level: 'silent' });
  const store = new DuckDbStore({ path: path.join(dir, 'civic.duckdb'), logger, metrics: new MetricsRegistry() });
  await store.open();
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  try {
    await store.writeAlertChanges(v.persisted);
    installErrorHandling(app);
    const now = v.clock.now;
    await app.register(openData.createOpenDataPlugin({ store, registry: REGISTRY, logger, metrics: new MetricsRegistry(), now: () => now, alertPolicy: publication(v.service.engine), http: { rateLimit: false } }));
    const feed = await app.inject({ method: 'GET', url: '/open-data/v1/alerts/atom.xml' });
    assert.equal(feed.statusCode, 200, feed.body);
    const served = [...feed.body.matchAll(/\/open-data\/v1\/alerts\/cap\/([^"#<]+)\.xml#/g)].map((m) => decodeURIComponent(m[1]!)).sort();
    const view = [...storeView(v.persisted).values()];
    const expected = view.filter((a) => a.ruleId === 'river' && (a.state !== 'resolved' || (a.resolvedAt ?? a.updatedAt) >= now - 24 * 3_600_000)).map((a) => a.id).sort();
    assert.deepEqual(served, expected, 'I8 the Atom feed lists exactly the current Actual alerts of public rules');
    for (const a of view) {
      const res = await app.inject({ method: 'GET', url: `/open-data/v1/alerts/cap/${encodeURIComponent(a.id)}.xml` });
      if (a.ruleId === 'river') continue;
      assert.equal(res.statusCode, 404, `I8 no CAP document for ${a.ruleId} alert ${a.id}`);
    }
  } finally {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
const subs: SubscriptionT[] = parseContacts(CONTACTS.replaceAll('{{hook}}', 'http://x'), 'c.yaml').subscriptions;

type Cmd =
  | { t: 'level'; s: number; m: number; lagMin: number }
  | { t: 'tick'; ms: number }
  | { t: 'conn'; s: number; up: boolean }
  | { t: 'ack'; i: number }
  | { t: 'resolve'; i: number }
  | { t: 'reload' }
  | { t: 'restart'; replay: number; crash: boolean };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('level' as const), s: fc.nat(1), m: fc.constantFrom(0.5, 1.9, 2.1, 2.9, 3.1, 3.9, 4.1, 4.5), lagMin: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 90 }) }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.constantFrom(1000, 30_000, MIN, 3 * MIN, 6 * MIN, 16 * MIN) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('conn' as const), s: fc.nat(1), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('ack' as const), i: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('resolve' as const), i: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reload' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), replay: fc.integer({ min: 0, max: 8 }), crash: fc.boolean() }) },
);

/** I1 oracle: the view changes of one subscription, from the stored change stream. */
function expectedNotices(changes: readonly AlertChange[]): string[] {
  const out: string[] = [];
  for (const sub of subs) {
    const last = new Map<string, EngineAlert>();
    const seen = new Map<string, boolean>();
    for (const c of changes) {
      const a = c.alert as EngineAlert;
      const m = sub.match;
      if ((m.rules && !m.rules.includes(a.ruleId)) || (m.kinds && !m.kinds.includes(a.kind))) continue;
      const was = seen.get(a.id) ?? false;
      const now = c.type !== 'resolved' && inView(sub, a);
      const prev = last.get(a.id);
      last.set(a.id, a);
      seen.set(a.id, now);
      if (!was && now) out.push(`${sub.id}|${a.id}|opened`);
      else if (was && !now) out.push(`${sub.id}|${a.id}|${c.type === 'resolved' ? 'resolved' : 'left'}`);
      else if (was && now && (prev!.severity !== a.severity || prev!.flapping !== a.flapping)) out.push(`${sub.id}|${a.id}|updated`);
    }
  }
  return out.sort();
}

async function run(cmds: readonly Cmd[]): Promise<void> {
  const v: Virtual = await startVirtual({ rules: RULES, contactsYaml: CONTACTS, sensors: stations, start: T0 });
  const fed: { r: Reading; s: number }[] = [];
  /** I7 model: live sessions per station (a new process starts with none). */
  const live = [0, 0];
  try {
    for (const [k, c] of cmds.entries()) {
      const where = `step ${k} ${JSON.stringify(c)}`;
      const before = v.notices.length;
      const storedBefore = v.persisted.length;
      switch (c.t) {
        case 'level': {
          const s = stations[c.s]!;
          const r = received(reading(s, v.clock.now - c.lagMin * MIN, { currentLevel: c.m }), v.clock.now);
          fed.push({ r, s: c.s });
          v.service.onReading(r, s);
          break;
        }
        case 'tick':
          v.clock.now += c.ms;
          v.service.tick(v.clock.now);
          break;
        case 'conn':
          await v.service.onConnection(stations[c.s]!, c.up, v.clock.now);
          live[c.s] = c.up ? live[c.s]! + 1 : Math.max(0, live[c.s]! - 1);
          break;
        case 'ack':
        case 'resolve': {
          const open = v.service.engine.open().sort((a, b) => a.id.localeCompare(b.id));
          const a = open[c.i % Math.max(1, open.length)];
          if (a) await (c.t === 'ack' ? v.service.acknowledge(a.id, 'amy') : v.service.resolve(a.id, 'amy', 'checked on site'));
          break;
        }
        case 'reload':
          await v.service.reloadRules(RULES, 'test');
          break;
        case 'restart': {
          const seen = v.service.snapshotSeq;
          await v.restart({ crash: c.crash });
          live.fill(0);
          // The journal replay: everything after the checkpoint, which never passes the snapshot's seq
          // (AL3), plus `replay` readings before it that the checkpoint had not yet released.
          const after = fed.findIndex((f) => f.r.seq > seen);
          const from = Math.max(0, (after < 0 ? fed.length : after) - c.replay);
          for (const { r, s } of fed.slice(from)) v.service.onReading(r, stations[s]!);
          await v.settle();
          assert.deepEqual(v.notices.slice(before), [], `I4 restart adds no notice (${where})`);
          assert.equal(v.persisted.length, storedBefore, `I4 restart adds no store change (${where})`);
          break;
        }
      }
      await v.settle();
      // I2: reminders and escalations only for open, unacknowledged, critical alerts in the view.
      for (const n of v.notices.slice(before)) {
        if (n.reason !== 'reminder' && n.reason !== 'escalation') continue;
        const a = v.service.engine.get(n.alertId);
        const sub = subs.find((s) => s.id === n.sub)!;
        assert.ok(a && a.state === 'open' && a.severity === 'critical' && inView(sub, a), `I2 ${n.reason} for ${n.alertId} (${where})`);
      }
      // I1
      const got = v.notices.filter((n) => n.reason !== 'reminder' && n.reason !== 'escalation').map((n) => `${n.sub}|${n.alertId}|${n.reason}`).sort();
      assert.deepEqual(got, expectedNotices(v.persisted), `I1 notices follow the views (${where})`);
      // I3
      const key = (a: EngineAlert) => `${a.id}|${a.state}|${a.severity}`;
      const engine = v.service.engine.open().map(key).sort();
      assert.deepEqual([...storeView(v.persisted).values()].filter((a) => a.state !== 'resolved').map(key).sort(), engine, `I3 store view = engine view (${where})`);
      assert.deepEqual(v.service.store.openAlerts().map(key).sort(), engine, `I3 state file = engine (${where})`);
      for (const a of storeView(v.persisted).values()) {
        assert.ok(Number.isFinite(a.value) && Number.isFinite(a.threshold), `finite (${where})`);
        if (a.resolvedAt !== undefined) assert.ok(a.resolvedAt >= a.openedAt, `AL6 resolvedAt ≥ openedAt (${where})`);
      }
      // I7 (AL5): no offline alert while any session of the sensor lives; sessions counted per sensor.
      stations.forEach((st, i) => {
        assert.equal(v.service.liveSessions(st.id), live[i], `I7 sessions of ${st.id} (${where})`);
        if (live[i]! > 0) assert.ok(!v.service.engine.open().some((a) => a.ruleId === 'health.offline' && a.subject === st.id), `I7 no offline while connected (${where})`);
      });
      // I5
      const retained = [...v.retained.keys()].filter((t) => t.split('/').length === 5).sort();
      const expected = v.service.engine.open().map((a) => `alerts/${a.kind}/${a.district}/${a.subject}/${a.ruleId}`).sort();
      assert.deepEqual(retained, expected, `I5 retained states = open alerts (${where})`);
    }
    await checkPublicOutputs(v);
    // I6
    assert.ok(v.hooks.every((h) => h.verified), 'I6 signatures');
    assert.equal(v.hooks.length, v.notices.reduce((n, x) => n + x.contacts.split('+').length, 0), 'I6 one webhook per notice and contact');
  } finally {
    await v.close();
  }
}

describe('generated alert situations (fast-check, virtual time, AL1–AL9)', () => {
  it('AL1 AL2 AL3 AL4 AL5 AL6 AL7 AL8 AL9 hold after every step of random readings, ticks, sessions, staff actions, reloads and restarts', { timeout: 240_000 }, async () => {
    // Counterexamples fast-check found, kept as regression cases: a staff action replayed before readings
    // evaluated ahead of it (SV7), an adopted alert left a ghost, a snapshot slot overriding a newer alert,
    // a staff action replayed before its slot re-attached (adopt reaches the snapshot's copy too).
    const found = [
      '[{"t":"level","s":1,"m":4.1,"lagMin":1},{"t":"level","s":1,"m":4.1,"lagMin":0},{"t":"level","s":0,"m":0.5,"lagMin":0},{"t":"resolve","i":0},{"t":"level","s":0,"m":0.5,"lagMin":1},{"t":"restart","replay":0,"crash":true}]',
      '[{"t":"level","s":0,"m":3.1,"lagMin":0},{"t":"restart","replay":0,"crash":false},{"t":"restart","replay":0,"crash":false},{"t":"ack","i":0},{"t":"tick","ms":1000},{"t":"tick","ms":1000},{"t":"reload"},{"t":"level","s":0,"m":0.5,"lagMin":0},{"t":"tick","ms":1000}]',
      '[{"t":"tick","ms":1000},{"t":"level","s":0,"m":2.9,"lagMin":0},{"t":"tick","ms":960000},{"t":"resolve","i":5},{"t":"level","s":0,"m":4.5,"lagMin":0},{"t":"tick","ms":1000},{"t":"conn","s":0,"up":false},{"t":"restart","replay":0,"crash":true},{"t":"tick","ms":1000}]',
      '[{"t":"level","s":0,"m":3.1,"lagMin":0},{"t":"level","s":0,"m":0.5,"lagMin":0},{"t":"resolve","i":0},{"t":"restart","replay":0,"crash":true},{"t":"reload"},{"t":"reload"},{"t":"tick","ms":1000},{"t":"tick","ms":1000},{"t":"reload"}]',
      '[{"t":"level","s":0,"m":2.9,"lagMin":0},{"t":"level","s":0,"m":0.5,"lagMin":0},{"t":"resolve","i":0},{"t":"restart","replay":0,"crash":true},{"t":"level","s":0,"m":0.5,"lagMin":0},{"t":"restart","replay":0,"crash":false},{"t":"level","s":0,"m":0.5,"lagMin":1},{"t":"ack","i":0},{"t":"level","s":0,"m":0.5,"lagMin":0}]',
      '[{"t":"level","s":0,"m":4.5,"lagMin":0},{"t":"tick","ms":1000},{"t":"restart","replay":0,"crash":false},{"t":"level","s":0,"m":4.5,"lagMin":0},{"t":"tick","ms":1000},{"t":"level","s":0,"m":3.1,"lagMin":0},{"t":"restart","replay":0,"crash":true}]',
      '[{"t":"level","s":0,"m":3.1,"lagMin":1},{"t":"restart","replay":0,"crash":false},{"t":"level","s":1,"m":0.5,"lagMin":0},{"t":"conn","s":0,"up":false},{"t":"ack","i":0},{"t":"ack","i":0},{"t":"restart","replay":0,"crash":true},{"t":"level","s":0,"m":3.9,"lagMin":0}]',
    ].map((j) => [JSON.parse(j) as Cmd[]] as [Cmd[]]);
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 60 }), run), { numRuns: Number(process.env.FC_RUNS ?? 100), examples: found, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true } : {}) });
  });
});
