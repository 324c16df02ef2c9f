import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AlertService, AlertStateStore, Router, SseHub, addStaff, createAlertEngine, parseRules } from '../../alerts/index.ts';
import { PasswordFile } from '../../exporter/index.ts';
import { NOW, openStore, startHarness, type Harness } from './fixture.ts';

/**
 * createApi registers every route group itself from its options (issue 15): the console, the
 * staff API under /api/v1/staff; without their options they are not served. The console's
 * session hook is at the root scope, so a console session reaches the staff routes.
 */
describe('createApi route groups from options', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let bare: Harness;
  let full: Harness;
  let alertStore: AlertStateStore;
  let service: AlertService;
  let viewerToken = '';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'civic-route-groups-'));
    const s = await openStore();
    dispose = s.dispose;
    alertStore = await AlertStateStore.open(path.join(dir, 'alerts'));
    const rules = parseRules([{ file: 'empty.yaml', text: 'version: 1\nrules: []\n' }]);
    service = new AlertService({ engine: createAlertEngine({ rules }), store: alertStore, router: new Router({ contacts: [], subscriptions: [] }), sse: new SseHub(100, 60_000), baseUrl: 'http://x', logger: pino({ level: 'silent' }), now: () => NOW });
    viewerToken = (await addStaff(alertStore, 'viewer-1', 'viewer', NOW)).token;
    await PasswordFile.inDataDir(dir).set('mei', 'viewer', 'a-long-password-1');
    bare = await startHarness(s.store);
    full = await startHarness(s.store, {
      console: { dataDir: dir, distDir: path.join(dir, 'no-build'), sessionIdleMinutes: 30, sessionMaxHours: 12, secureCookie: false },
      staff: { service, reloadRules: async () => rules },
    });
  });
  after(async () => {
    await bare.close();
    await full.close();
    service.sse.close();
    await alertStore.close();
    await dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('without console and staff options their routes are not served', async () => {
    assert.equal((await bare.get('/console/api/config')).status, 404);
    assert.equal((await bare.get('/api/v1/staff/audit')).status, 404);
    const doc = (await (await bare.get('/docs/json')).json()) as { paths: Record<string, unknown> };
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/staff')));
  });

  it('with them: the console answers, the staff API is under /api/v1/staff and in the OpenAPI document', async () => {
    const config = await full.get('/console/api/config');
    assert.equal(config.status, 200);
    assert.equal(((await config.json()) as { timeZone: string }).timeZone, 'Asia/Taipei');
    assert.equal((await full.get('/api/v1/staff/alerts')).status, 401);
    const ok = await fetch(`${full.url}/api/v1/staff/alerts`, { headers: { authorization: `Bearer ${viewerToken}` } });
    assert.equal(ok.status, 200);
    const doc = (await (await full.get('/docs/json')).json()) as { paths: Record<string, unknown> };
    assert.ok('/api/v1/staff/alerts' in doc.paths, Object.keys(doc.paths).join(' '));
  });

  it('a console session reaches the staff routes (the session hook is at the root scope)', async () => {
    const login = await fetch(`${full.url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'mei', password: 'a-long-password-1' }) });
    assert.equal(login.status, 200);
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
    const res = await fetch(`${full.url}/api/v1/staff/alerts`, { headers: { cookie } });
    assert.equal(res.status, 200);
  });
});
