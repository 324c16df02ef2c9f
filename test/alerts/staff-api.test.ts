import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { createAlertEngine } from '../../alerts/engine.ts';
import { SseHub } from '../../alerts/delivery/sse.ts';
import { Router } from '../../alerts/routing.ts';
import { AlertService } from '../../alerts/service.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import { addStaff } from '../../alerts/staff-tokens.ts';
import { staffRoutes } from '../../exporter/staff/index.ts';
import { T0, MIN, reading, riverSensor } from '../analytics/fixtures.ts';
import { L, ruleSet } from './helpers.ts';

const river = riverSensor();
const rules = ruleSet([{ id: 'river', type: 'threshold', field: 'currentLevel', levels: [{ severity: 'critical', above: 4, label: L('L1') }] }]);

describe('staff API (SA1–SA5)', () => {
  let dir: string;
  let app: FastifyInstance;
  let service: AlertService;
  let store: AlertStateStore;
  const tok: Record<string, string> = {};
  let alertId = '';
  let clock = T0 + 10 * MIN;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'civic-staff-'));
    store = await AlertStateStore.open(dir);
    const engine = createAlertEngine({ rules });
    service = new AlertService({ engine, store, router: new Router({ contacts: [], subscriptions: [] }), sse: new SseHub(100, 60_000), baseUrl: 'http://x', logger: pino({ level: 'silent' }), now: () => clock });
    for (const role of ['viewer', 'operator', 'admin'] as const) tok[role] = (await addStaff(store, `${role}-1`, role, T0)).token;
    app = Fastify({ forceCloseConnections: true });
    await app.register(staffRoutes, { prefix: '/api/v1/staff', service, reloadRules: async () => rules });
    await app.ready();
    const changes = engine.onReading(reading(river, T0, { currentLevel: 4.5 }), river);
    await service.handle(changes);
    alertId = changes[0]!.alert.id;
  });
  after(async () => {
    service.sse.close();
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST', url: string, role?: string, payload?: object) =>
    app.inject({ method, url: `/api/v1/staff${url}`, ...(role ? { headers: { authorization: `Bearer ${tok[role] ?? role}` } } : {}), ...(payload ? { payload } : {}) });

  it('SA1 401 without or with an unknown token, 403 below the role', async () => {
    assert.equal((await call('GET', '/alerts')).statusCode, 401);
    assert.equal((await call('GET', '/alerts', 'cs_not-a-token')).statusCode, 401);
    const forbidden = await call('POST', `/alerts/${encodeURIComponent(alertId)}/acknowledge`, 'viewer');
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().error.code, 'FORBIDDEN');
    assert.ok(forbidden.json().error['zh-TW']);
    assert.equal((await call('GET', '/audit', 'operator')).statusCode, 403);
  });

  it('lists and filters alerts; no-store', async () => {
    const res = await call('GET', '/alerts?state=open&severity=critical', 'viewer');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.json().items.map((a: { id: string }) => a.id), [alertId]);
    assert.match(res.json().items[0].openedAtLocal, /\+08:00$/);
    assert.equal((await call('GET', '/alerts?severity=advisory', 'viewer')).json().count, 0);
  });

  it('SA2 acknowledge, assign, note, resolve — each audited with who and when; history shows them', async () => {
    const id = encodeURIComponent(alertId);
    clock += MIN;
    const ack = await call('POST', `/alerts/${id}/acknowledge`, 'operator');
    assert.equal(ack.statusCode, 200);
    assert.equal(ack.json().alert.state, 'acknowledged');
    assert.equal(ack.json().alert.acknowledgedBy, 'operator-1');
    assert.equal((await call('POST', `/alerts/${id}/acknowledge`, 'operator')).statusCode, 409);
    assert.equal((await call('POST', `/alerts/${id}/assign`, 'operator', { assignee: 'team-7' })).json().alert.assignee, 'team-7');
    assert.equal((await call('POST', `/alerts/${id}/notes`, 'operator', { text: '已派員前往 / crew dispatched' })).statusCode, 200);
    assert.equal((await call('POST', `/alerts/${id}/resolve`, 'operator', {})).statusCode, 400, 'a reason is required');
    const res = await call('POST', `/alerts/${id}/resolve`, 'operator', { reason: '水位已退 / water receded' });
    assert.equal(res.json().alert.state, 'resolved');
    const one = (await call('GET', `/alerts/${id}`, 'viewer')).json();
    assert.deepEqual(one.history.map((h: { type: string }) => h.type), ['opened', 'updated', 'updated', 'resolved']);
    assert.equal(one.notes[0].by, 'operator-1');
    const audit = (await call('GET', '/audit', 'admin')).json().items;
    assert.deepEqual(audit.map((a: { action: string }) => a.action).reverse(), ['acknowledge', 'assign', 'note', 'resolve']);
    assert.ok(audit.every((a: { actor: string; atLocal: string }) => a.actor === 'operator-1' && a.atLocal.endsWith('+08:00')));
    assert.equal((await call('GET', '/alerts/nope', 'viewer')).statusCode, 404);
  });

  it('admin creates a token that works once shown; rules reload is admin-only', async () => {
    const created = await call('POST', '/tokens', 'admin', { name: 'newbie', role: 'viewer' });
    assert.equal(created.statusCode, 201);
    const t = created.json().token as string;
    assert.equal((await app.inject({ url: '/api/v1/staff/alerts', headers: { authorization: `Bearer ${t}` } })).statusCode, 200);
    assert.equal((await call('POST', '/rules/reload', 'operator')).statusCode, 403);
    assert.equal((await call('POST', '/rules/reload', 'admin')).json().rules, 1);
  });

  it('SA5 SSE stream delivers live changes and replays after Last-Event-ID', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const ctrl = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/staff/stream?access_token=${tok.viewer}`, { headers: { 'last-event-id': '0' }, signal: ctrl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const dec = new TextDecoder();
    clock += MIN;
    // Replay (events since id 0) then a live one.
    const changes = service.engine.onReading(reading(river, T0 + 20 * MIN, { currentLevel: 4.8 }), river);
    await service.handle(changes);
    while (!text.includes(changes[0]!.alert.id)) text += dec.decode((await reader.read()).value);
    await reader.cancel().catch(() => undefined);
    ctrl.abort();
    assert.match(text, /^: civicstream alerts/);
    assert.match(text, /event: alert\ndata: .*"change":"opened"/);
    assert.ok((text.match(/^id: /gm) ?? []).length >= 2, 'replayed history plus the live event');
    const unauth = await fetch(`http://127.0.0.1:${port}/api/v1/staff/stream`);
    assert.equal(unauth.status, 401);
    await unauth.arrayBuffer();
  });
});
