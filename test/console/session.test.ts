import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { consolePlugin, PasswordFile } from '../../exporter/console/index.ts';
import { LoginThrottle } from '../../exporter/console/throttle.ts';

/** Console sign-in without a browser (CO1–CO4): Fastify inject against the plugin and a probe route. */
describe('console sessions (CO1–CO4)', () => {
  let dir: string;
  let app: FastifyInstance;
  let clock = Date.parse('2026-12-02T08:00:00+08:00');
  const audit: string[] = [];
  const revoked = new Set<string>();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'civic-console-session-'));
    await PasswordFile.inDataDir(dir).set('mei', 'operator', 'a-long-password-1');
    app = Fastify();
    const square = { type: 'Polygon', coordinates: [[[121.2, 24.9], [121.3, 24.9], [121.3, 25], [121.2, 24.9]]] };
    await app.register(consolePlugin({ districts: () => [{ code: 'A', name: { 'zh-TW': '甲區', en: 'A' }, boundary: square } as never, { code: 'B', name: { 'zh-TW': '乙區', en: 'B' } }], staffActive: (n) => !revoked.has(n), dataDir: dir, distDir: path.join(dir, 'no-build'), sessionIdleMinutes: 30, sessionMaxHours: 12, secureCookie: true, now: () => clock, audit: async (r) => void audit.push(`${r.actor}:${r.action}`) }));
    app.all('/probe', async (req) => ({ staff: req.sessionStaff ?? null }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (name: string, password: string, ip = '10.0.0.1') => app.inject({ method: 'POST', url: '/console/api/session', payload: { name, password }, remoteAddress: ip });
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;

  it('CO1 the password file holds only an scrypt hash', () => {
    const text = readFileSync(path.join(dir, 'console', 'staff-passwords.json'), 'utf8');
    assert.doesNotMatch(text, /a-long-password-1/);
    assert.match(text, /"hash": "scrypt\$/);
  });

  it('CO1 CO2 sign-in sets an httpOnly, SameSite=Strict, Secure cookie and the session authenticates safe requests', async () => {
    const res = await login('mei', 'a-long-password-1');
    assert.equal(res.statusCode, 200);
    const set = String(res.headers['set-cookie']);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.match(set, /Secure/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const probe = await app.inject({ url: '/probe', headers: { cookie: cookieOf(res) } });
    assert.deepEqual(probe.json().staff.name, 'mei');
    assert.equal(probe.json().staff.role, 'operator');
    assert.deepEqual(audit.at(-1), 'mei:console.login');
  });

  it('CO3 an unsafe request needs the session CSRF token; a bearer header disables the cookie', async () => {
    const res = await login('mei', 'a-long-password-1');
    const cookie = cookieOf(res);
    const { csrf } = res.json() as { csrf: string };
    assert.equal((await app.inject({ method: 'POST', url: '/probe', headers: { cookie } })).json().staff, null);
    assert.equal((await app.inject({ method: 'POST', url: '/probe', headers: { cookie, 'x-csrf-token': 'x'.repeat(csrf.length) } })).json().staff, null);
    assert.equal((await app.inject({ method: 'POST', url: '/probe', headers: { cookie, 'x-csrf-token': csrf } })).json().staff.name, 'mei');
    assert.equal((await app.inject({ url: '/probe', headers: { cookie, authorization: 'Bearer cs_other' } })).json().staff, null);
  });

  it('CO2 idle and absolute expiry end a session; sign-out ends it at once', async () => {
    const res = await login('mei', 'a-long-password-1');
    const cookie = cookieOf(res);
    clock += 29 * 60_000;
    assert.ok((await app.inject({ url: '/probe', headers: { cookie } })).json().staff, 'used within the idle window');
    clock += 31 * 60_000;
    assert.equal((await app.inject({ url: '/probe', headers: { cookie } })).json().staff, null, 'idle for 31 min');
    const again = await login('mei', 'a-long-password-1');
    const c2 = cookieOf(again);
    for (let i = 0; i < 25; i++) {
      clock += 29 * 60_000;
      await app.inject({ url: '/probe', headers: { cookie: c2 } });
    }
    assert.equal((await app.inject({ url: '/probe', headers: { cookie: c2 } })).json().staff, null, 'past 12 h however active');
    const third = await login('mei', 'a-long-password-1');
    const c3 = cookieOf(third);
    const out = await app.inject({ method: 'DELETE', url: '/console/api/session', headers: { cookie: c3, 'x-csrf-token': (third.json() as { csrf: string }).csrf } });
    assert.equal(out.statusCode, 200);
    assert.equal((await app.inject({ url: '/probe', headers: { cookie: c3 } })).json().staff, null);
  });

  it('CO4 wrong passwords are refused, then throttled per name (429 with Retry-After), also for the right password', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login('mei', 'wrong-password', `10.1.0.${i}`)).statusCode, 401);
    const blocked = await login('mei', 'a-long-password-1', '10.2.0.1');
    assert.equal(blocked.statusCode, 429);
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    clock += 2000;
    assert.equal((await login('mei', 'a-long-password-1', '10.2.0.1')).statusCode, 200, 'the wait has passed');
    assert.equal((await login('nobody', 'whatever-pass')).statusCode, 401);
    assert.ok(audit.includes('mei:console.login.failed'));
  });

  it('CO4 the throttle delay never shrinks while failures continue and always allows after the delay (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 30 }), (gaps) => {
        const th = new LoginThrottle(3, 60_000);
        let now = 0;
        let failures = 0;
        for (const g of gaps) {
          now += g;
          const wait = th.waitMs(['k'], now);
          if (failures < 3) assert.equal(wait, 0);
          if (wait > 0) now += wait;
          assert.equal(th.waitMs(['k'], now), 0);
          th.failed(['k'], now);
          failures++;
          const next = th.waitMs(['k'], now);
          assert.equal(next, failures < 3 ? 0 : Math.min(60_000, 1000 * 2 ** (failures - 3)));
        }
      }),
    );
  });

  it('CO2 revoking a person (all staff tokens revoked) ends their session and refuses their password', async () => {
    clock += 3_600_000;
    await PasswordFile.inDataDir(dir).set('kai', 'viewer', 'kai-password-123');
    const res = await login('kai', 'kai-password-123', '10.9.0.1');
    assert.equal(res.statusCode, 200);
    const cookie = cookieOf(res);
    assert.equal((await app.inject({ url: '/probe', headers: { cookie } })).json().staff.name, 'kai');
    revoked.add('kai');
    assert.equal((await app.inject({ url: '/probe', headers: { cookie } })).json().staff, null);
    assert.equal((await login('kai', 'kai-password-123', '10.9.0.2')).statusCode, 401);
  });

  it('district outlines are served when the registry carries a boundary, and omitted otherwise', async () => {
    const body = (await app.inject({ url: '/console/api/districts' })).json() as { items: { code: string; boundary?: { type: string } }[] };
    assert.equal(body.items.find((d) => d.code === 'A')?.boundary?.type, 'Polygon');
    assert.equal('boundary' in body.items.find((d) => d.code === 'B')!, false);
  });

  it('pages answer 503 with instructions when the console is not built', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:console/);
  });
});
