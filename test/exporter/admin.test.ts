import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addStaff } from '../../alerts/index.ts';
import { Registry } from '../../registry/index.ts';
import { connect, publish, startApp } from '../support/app.ts';
import { NEW_SENSOR, adminClient, telemetry } from '../registry/helpers.ts';

type ErrBody = { error: { code: string; field?: string; errors?: { field: string; message: string }[]; 'zh-TW': string; message: string } };
const GW = 'gw-lora-taoyuan-01';

function csvRows(n: number, prefix: string, bad: Record<number, (cols: string[]) => void> = {}): string {
  const lines = ['id,kind,name_zh,name_en,district,lat,lon,intervalSeconds,gateway,tags,params'];
  for (let i = 1; i <= n; i++) {
    const cols = [`${prefix}-${String(i).padStart(4, '0')}`, 'parking', `停車場 ${i}`, `Car park ${i}`, '68000020', '24.95', '121.22', '120', GW, 'commuter;onboarding', '"{""capacity"":120}"'];
    bad[i]?.(cols);
    lines.push(cols.join(','));
  }
  return lines.join('\n') + '\n';
}

describe('admin API /api/v1/admin (AD1–AD6)', () => {
  let s: Awaited<ReturnType<typeof startApp>>;
  let api: ReturnType<typeof adminClient>;
  before(async () => {
    s = await startApp();
    api = adminClient(s, (await addStaff(s.app.alerts.store, 'admin-1', 'admin', Date.now())).token);
  });
  after(async () => {
    await s.stop();
  });

  it('SA1/AD1: no token → 401, a viewer → 403, both in the coded error shape', async () => {
    const none = await fetch(`${s.info.url}/api/v1/admin/sensors`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as ErrBody).error.code, 'UNAUTHENTICATED');
    const viewer = adminClient(s, (await addStaff(s.app.alerts.store, 'viewer-1', 'viewer', Date.now())).token);
    const r = await viewer<ErrBody>('GET', '/sensors');
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'FORBIDDEN');
  });

  it('AD1: validation errors name the field (schema, district, gateway, kind parameters, duplicate id)', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...NEW_SENSOR, id: 'v-1', location: { lat: 123, lon: 121 } }, 400, 'location.lat'],
      [{ ...NEW_SENSOR, id: 'v-2', district: '99999999' }, 400, 'district'],
      [{ ...NEW_SENSOR, id: 'v-3', gateway: 'no-such-gw' }, 400, 'gateway'],
      [{ ...NEW_SENSOR, id: 'v-4', params: { pollutants: 'pm25' } }, 400, 'params.pollutants'],
      [{ ...NEW_SENSOR, id: 'v-5', colour: 'red' }, 400, 'colour'],
      [{ ...NEW_SENSOR, id: 'v-6', secretHash: 'scrypt$x' }, 400, 'secretHash'],
      [{ ...NEW_SENSOR, id: Object.keys(s.credentials.sensors)[0] as string }, 409, 'id'],
    ];
    for (const [body, status, field] of cases) {
      const r = await api<ErrBody>('POST', '/sensors', body);
      assert.equal(r.status, status, `${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      assert.ok(r.body.error['zh-TW'].includes(field));
    }
    assert.equal(s.app.registry.sensor('v-1'), undefined, 'nothing half-applied');
  });

  it('AD2: list with filters and paging, get, patch (gateway assignment), delete; never a secret hash', async () => {
    const all = await api<{ items: { id: string; gateway?: string }[]; total: number }>('GET', '/sensors?limit=5&offset=0');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, s.app.registry.size);
    assert.equal(all.body.items.length, 5);
    const viaGw = await api<{ items: { gateway?: string }[]; total: number }>('GET', `/sensors?gateway=${GW}&limit=1000`);
    assert.ok(viaGw.body.total > 0 && viaGw.body.items.every((i) => i.gateway === GW));
    const q = await api<{ items: { id: string }[] }>('GET', '/sensors?q=guanyin&kind=air-quality');
    assert.ok(q.body.items.length > 0 && q.body.items.every((i) => i.id.includes('guanyin')));
    const id = Object.keys(s.credentials.sensors)[4] as string;
    const p = await api<{ gateway?: string; hasSecret: boolean }>('PATCH', `/sensors/${id}`, { gateway: GW });
    assert.equal(p.status, 200);
    assert.equal(p.body.gateway, GW);
    assert.equal(s.app.registry.sensor(id)?.gateway, GW, 'live');
    assert.equal((await api<{ gateway?: string }>('PATCH', `/sensors/${id}`, { gateway: null })).body.gateway, undefined);
    assert.equal((await api<ErrBody>('PATCH', `/sensors/${id}`, { location: { lat: 'x', lon: 1 } })).body.error.field, 'location.lat');
    assert.equal((await api<ErrBody>('DELETE', `/gateways/${GW}`)).body.error.code, 'CONFLICT', 'a gateway still carrying sensors is not deleted');
    assert.equal((await api('DELETE', `/sensors/${id}`)).status, 204);
    assert.equal((await api<ErrBody>('GET', `/sensors/${id}`)).status, 404);
    const gws = await api('GET', '/gateways');
    assert.doesNotMatch(JSON.stringify([all.body, gws.body]), /scrypt\$/);
    const file = readFileSync(path.join(s.dataDir, 'registry.yaml'), 'utf8');
    assert.ok(!file.includes(`id: ${id}\n`));
  });

  it('AD2: gateways and integrations: create returns the secret once, rotate, delete; publish grants must stay under integrations/{id}/', async () => {
    const g = await api<{ gateway: { id: string }; secret: string }>('POST', '/gateways', { id: 'gw-vendor-02', name: { 'zh-TW': '廠商閘道', en: 'Vendor bridge' } });
    assert.equal(g.status, 201);
    assert.equal(await connectCode(s.mqttUrl, 'gw-vendor-02', g.body.secret), 0);
    const i = await api<{ integration: { id: string; read: string[]; publish: string[] }; secret: string }>('POST', '/integrations', { id: 'lake-1', name: 'Data lake bridge', read: ['sensors/+/+/telemetry'] });
    assert.equal(i.status, 201, JSON.stringify(i.body));
    assert.deepEqual(i.body.integration.publish, [], 'subscribe-only by default');
    const bad = await api<ErrBody>('POST', '/integrations', { id: 'evil-1', read: ['alerts/#'], publish: ['sensors/+/+/telemetry'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'publish.0');
    const bad2 = await api<ErrBody>('PATCH', '/integrations/lake-1', { publish: ['integrations/other/#'] });
    assert.equal(bad2.body.error.field, 'publish.0');
    const badFilter = await api<ErrBody>('POST', '/integrations', { id: 'evil-2', read: ['sensors/#/x'] });
    assert.equal(badFilter.body.error.field, 'read.0');
    const rot = await api<{ secret: string }>('POST', '/integrations/lake-1/rotate-secret');
    assert.equal(await connectCode(s.mqttUrl, 'lake-1', i.body.secret), 4);
    assert.equal(await connectCode(s.mqttUrl, 'lake-1', rot.body.secret), 0);
    assert.equal((await api('DELETE', '/integrations/lake-1')).status, 204);
    assert.equal(await connectCode(s.mqttUrl, 'lake-1', rot.body.secret), 4);
  });

  it('AD3: importing 2,000 CSV rows with 3 bad ones reports those rows and fields and applies nothing; fixed, all 2,000 apply and are live', async () => {
    const before = s.app.registry.size;
    const fileBefore = readFileSync(path.join(s.dataDir, 'registry.yaml'), 'utf8');
    const bad = csvRows(2000, 'imp', {
      17: (c) => void (c[5] = 'north'),
      1200: (c) => void (c[1] = 'toaster'),
      1999: (c) => void (c[4] = '12345678'),
    });
    const r = await api<{ applied: boolean; total: number; rows: { row: number; id: string; ok: boolean; errors: { field: string }[] }[] }>('POST', '/import', bad, 'text/csv');
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    assert.equal(r.body.applied, false);
    assert.equal(r.body.total, 2000);
    const failed = r.body.rows.filter((x) => !x.ok);
    assert.deepEqual(failed.map((x) => [x.row, x.id, x.errors[0]?.field]), [
      [17, 'imp-0017', 'location.lat'],
      [1200, 'imp-1200', 'kind'],
      [1999, 'imp-1999', 'district'],
    ]);
    assert.equal(s.app.registry.size, before, 'nothing applied');
    assert.equal(readFileSync(path.join(s.dataDir, 'registry.yaml'), 'utf8'), fileBefore, 'file untouched');
    const good = csvRows(2000, 'imp');
    const dry = await api<{ applied: boolean; rows: { ok: boolean }[] }>('POST', '/import?dryRun=true', good, 'text/csv');
    assert.equal(dry.body.applied, false);
    assert.ok(dry.body.rows.every((x) => x.ok));
    assert.equal(s.app.registry.size, before);
    const ok = await api<{ applied: boolean }>('POST', '/import', good, 'text/csv');
    assert.equal(ok.body.applied, true);
    assert.equal(s.app.registry.size, before + 2000);
    const disk = await Registry.load(path.join(s.dataDir, 'registry.yaml'));
    assert.equal(disk.sensor('imp-1999')?.gateway, GW);
    assert.deepEqual(disk.sensor('imp-0001')?.tags, ['commuter', 'onboarding']);
    // Live: the gateway publishes for an imported sensor at once.
    const gw = await connect(s.mqttUrl, GW, s.credentials.gateways[GW] as string);
    await publish(gw, 'sensors/parking/imp-1500/telemetry', JSON.stringify({ ts: new Date().toISOString(), occupied: 10, capacity: 120 }));
    gw.end(true);
    const json = await api<{ applied: boolean; rows: { row: number; ok: boolean; errors: { field: string }[]; secret?: string }[] }>('POST', '/import', [{ ...NEW_SENSOR, id: 'json-1' }, { ...NEW_SENSOR, id: 'json-1' }], 'application/json');
    assert.equal(json.body.applied, false);
    assert.deepEqual(json.body.rows.map((x) => x.ok), [true, false], 'duplicate id inside one import');
    const one = await api<{ applied: boolean; rows: { secret?: string }[] }>('POST', '/import', { sensors: [{ ...NEW_SENSOR, id: 'json-2' }] }, 'application/json');
    assert.equal(one.body.applied, true);
    const c = await connect(s.mqttUrl, 'json-2', one.body.rows[0]?.secret as string);
    await publish(c, 'sensors/air-quality/json-2/telemetry', telemetry(3));
    c.end(true);
    const audit = await api<{ items: { action: string; target: string }[] }>('GET', '/audit?limit=5');
    assert.ok(audit.body.items.some((e) => e.action === 'sensor.import' && e.target === '2000 sensors'));
  });

  it('OpenAPI documents the admin routes under the tag admin', async () => {
    const doc = await s.json<{ paths: Record<string, Record<string, { tags?: string[] }>> }>('/docs/json');
    for (const p of ['/api/v1/admin/sensors', '/api/v1/admin/sensors/{id}', '/api/v1/admin/sensors/{id}/rotate-secret', '/api/v1/admin/gateways', '/api/v1/admin/integrations', '/api/v1/admin/import', '/api/v1/admin/staff', '/api/v1/admin/audit']) {
      const ops = doc.paths[p];
      assert.ok(ops, `${p} documented`);
      for (const op of Object.values(ops)) assert.deepEqual(op.tags, ['admin']);
    }
  });
});

async function connectCode(url: string, u: string, p: string): Promise<number> {
  try {
    (await connect(url, u, p)).end(true);
    return 0;
  } catch (err) {
    return Number((err as { code?: number }).code ?? -1);
  }
}
