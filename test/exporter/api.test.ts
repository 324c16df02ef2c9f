import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Gauge } from 'prom-client';
import { QualityFlag } from '../../domain/index.ts';
import type { HealthReport } from '../../exporter/index.ts';
import { NOW, openStore, reading, startHarness, type Harness } from './fixture.ts';

interface SensorsBody {
  count: number;
  items: { id: string; kind: string; name: { 'zh-TW': string; en: string }; district: { code: string; name: { 'zh-TW': string } }; status?: { ts: string; online?: boolean; batteryLevel?: number } }[];
  next: string | null;
}

describe('ops, sensors, latest and docs', () => {
  let h: Harness;
  let dispose: () => Promise<void>;
  before(async () => {
    const s = await openStore();
    dispose = s.dispose;
    await s.store.writeReadings([
      reading('aq-zl-001', 'air-quality', '6800200', NOW - 120_000, { pm25: 30 }),
      reading('aq-zl-001', 'air-quality', '6800200', NOW - 60_000, { pm25: 41.5, pm10: 60 }, QualityFlag.OUT_OF_RANGE | QualityFlag.CLOCK_SKEW),
      // Parking reports every 300 s; 20 minutes old is more than 3 intervals: stale.
      reading('pk-ty-001', 'parking', '6800100', NOW - 20 * 60_000, { totalSpotNumber: 120, availableSpotNumber: 12, occupiedSpotNumber: 108 }, QualityFlag.ESTIMATED),
      // In the store but not in the registry (removed sensor): never published.
      reading('ghost-01', 'air-quality', '6800200', NOW - 60_000, { pm25: 1 }),
    ]);
    h = await startHarness(s.store, {
      sensorStatus: (id) => (id === 'wl-zl-001' ? { sensorId: id, ts: NOW - 5_000, online: false, batteryLevel: 17 } : undefined),
    });
  });
  after(async () => {
    await h.close();
    await dispose();
  });

  test('sensors: no secret or gateway ever leaves the API', async () => {
    const text = await (await h.get('/api/v1/sensors?limit=100')).text();
    for (const secret of ['scrypt', 'secretHash', 'secret-sensor-hash', 'gateway', 'lora-ns-1']) assert.ok(!text.includes(secret), secret);
    const body = JSON.parse(text) as SensorsBody;
    assert.deepEqual(body.items.map((s) => s.id), ['aq-ty-002', 'aq-zl-001', 'pk-ty-001', 'wl-zl-001']);
    const aq = body.items[1]!;
    assert.equal(aq.name['zh-TW'], '中壢區環保局微型感測器, 一號');
    assert.deepEqual(aq.district, { code: '6800200', name: { 'zh-TW': '中壢區', en: 'Zhongli' } });
  });

  test('sensors: filters, status and paging to the end', async () => {
    const zl = (await (await h.get('/api/v1/sensors?district=6800200&kind=water-level')).json()) as SensorsBody;
    assert.deepEqual(zl.items.map((s) => s.id), ['wl-zl-001']);
    assert.deepEqual(zl.items[0]!.status, { ts: '2026-11-22T11:59:55.000+08:00', online: false, batteryLevel: 17 });
    const ids: string[] = [];
    let next: string | null = '/api/v1/sensors?limit=1';
    while (next) {
      const page = (await (await h.get(next)).json()) as SensorsBody;
      assert.ok(page.count <= 1);
      ids.push(...page.items.map((s) => s.id));
      next = page.next;
    }
    assert.deepEqual(ids, ['aq-ty-002', 'aq-zl-001', 'pk-ty-001', 'wl-zl-001']);
    const bad = await h.get('/api/v1/sensors?district=9999999');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'UNKNOWN_DISTRICT');
  });

  test('latest: one reading per registered sensor with names, units, flags, +08:00 and staleness', async () => {
    const res = await h.get('/api/v1/latest');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /max-age/);
    const body = (await res.json()) as { license: { url: string }; items: Record<string, unknown>[] };
    assert.equal(body.license.url, 'https://data.gov.tw/license');
    assert.deepEqual(body.items.map((i) => i.sensorId), ['aq-zl-001', 'pk-ty-001']);
    const [aq, pk] = body.items as [Record<string, any>, Record<string, any>];
    assert.equal(aq.sensorName['zh-TW'], '中壢區環保局微型感測器, 一號');
    assert.equal(aq.ts, '2026-11-22T11:59:00.000+08:00');
    assert.equal(aq.tsMs, NOW - 60_000);
    assert.deepEqual(aq.values, { pm25: 41.5, pm10: 60 });
    assert.equal(aq.units.pm25, 'ug/m3');
    assert.deepEqual(aq.flags, ['CLOCK_SKEW', 'OUT_OF_RANGE']);
    assert.equal(aq.stale, false);
    assert.equal(pk.units.availableSpotNumber, '{spaces}');
    assert.deepEqual(pk.flags, ['ESTIMATED']);
    assert.equal(pk.stale, true);
    const parking = (await (await h.get('/api/v1/latest?kind=parking')).json()) as { items: { sensorId: string }[] };
    assert.deepEqual(parking.items.map((i) => i.sensorId), ['pk-ty-001']);
    const zl = (await (await h.get('/api/v1/latest?district=6800200')).json()) as { items: { sensorId: string }[] };
    assert.deepEqual(zl.items.map((i) => i.sensorId), ['aq-zl-001']);
  });

  test('healthz and metrics are no-store; metrics come from the given registry', async () => {
    const health = await h.get('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await health.json(), { status: 'ok', components: { store: { ok: true, adapter: 'duckdb' } } });
    new Gauge({ name: 'civic_test_marker', help: 'marker', registers: [h.metrics] }).set(42);
    const metrics = await h.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers.get('cache-control'), 'no-store');
    assert.equal(metrics.headers.get('content-type'), h.metrics.contentType);
    const text = await metrics.text();
    assert.match(text, /^civic_test_marker 42$/m);
    assert.match(text, /civic_http_requests_total\{route="\/healthz",method="GET",status="200"\} 1/);
    assert.match(text, /civic_http_requests_total\{route="\/api\/v1\/sensors",method="GET",status="400"\}/);
  });

  test('unknown routes and unknown query parameters are JSON errors', async () => {
    const res = await h.get('/api/v2/nothing');
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NOT_FOUND');
    assert.match(body.error.message, /\/api\/v2\/nothing/);
    const typo = await h.get('/api/v1/latest?distrcit=6800200');
    assert.equal(typo.status, 400);
    const e = ((await typo.json()) as { error: { code: string; parameter: string; message: string } }).error;
    assert.equal(e.code, 'UNKNOWN_PARAMETER');
    assert.equal(e.parameter, 'distrcit');
    assert.match(e.message, /allowed: kind, district/);
    const kind = await h.get('/api/v1/latest?kind=traffic');
    assert.equal(kind.status, 400);
    assert.match(((await kind.json()) as { error: { message: string } }).error.message, /"kind".*air-quality, water-level, streetlight, parking/);
  });

  test('OpenAPI document lists every endpoint with bilingual text; the UI is served', async () => {
    const res = await h.get('/docs/json');
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; info: { description: string }; paths: Record<string, Record<string, { summary?: string; responses: Record<string, unknown> }>> };
    assert.match(doc.openapi, /^3\.1/);
    assert.match(doc.info.description, /政府資料開放授權條款/);
    assert.match(doc.info.description, /Open Government Data License/);
    const expected = ['/healthz', '/metrics', '/api/v1/sensors', '/api/v1/latest', '/api/v1/sensors/{id}/readings', '/api/v1/aggregates', '/api/v1/alerts', '/api/v1/sensors/{id}/flood-eta', '/api/v1/dead-letters', '/api/v1/dead-letters/counts', '/api/v1/quality'];
    assert.deepEqual(Object.keys(doc.paths).sort(), [...expected].sort());
    for (const p of expected) {
      const op = doc.paths[p]!.get!;
      assert.ok(op, p);
      assert.match(op.summary ?? '', /[\u4e00-\u9fff].* \/ [A-Za-z]/, `${p} summary is zh-TW / English`);
      assert.ok(op.responses['200'], p);
    }
    assert.ok(doc.paths['/api/v1/sensors/{id}/readings']!.get!.responses['404']);
    const ui = await h.get('/docs');
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
  });
});

describe('healthz status codes', () => {
  for (const [status, code] of [['ok', 200], ['degraded', 200], ['down', 503]] as const) {
    test(`${status} → ${code}`, async () => {
      const s = await openStore();
      const report: HealthReport = { status, components: { broker: { ok: status !== 'down', detail: 'x', clients: 3 } } };
      const h = await startHarness(s.store, { health: async () => report });
      try {
        const res = await h.get('/healthz');
        assert.equal(res.status, code);
        assert.deepEqual(await res.json(), report);
      } finally {
        await h.close();
        await s.dispose();
      }
    });
  }

  test('a failing health source reports down with 503, not 500', async () => {
    const s = await openStore();
    const h = await startHarness(s.store, { health: async () => { throw new Error('journal unreadable'); } });
    try {
      const res = await h.get('/healthz');
      assert.equal(res.status, 503);
      const body = (await res.json()) as HealthReport;
      assert.equal(body.status, 'down');
      assert.equal(body.components.health?.detail, 'journal unreadable');
    } finally {
      await h.close();
      await s.dispose();
    }
  });
});
