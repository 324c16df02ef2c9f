import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Aggregate, Alert, DeadLetter } from '../../domain/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertStateStore, addStaff, verifyToken } from '../../alerts/index.ts';
import { NOW, openStore, startHarness, type Harness } from './fixture.ts';

const HOUR = 3_600_000;
const hourStart = Math.floor(NOW / HOUR) * HOUR;

function agg(scope: Aggregate['scope'], key: string, district: string, start: number, field: string, mean: number): Aggregate {
  return { scope, key, kind: 'air-quality', district, period: '1h', start, field, count: 60, mean, min: mean - 5, max: mean + 5, last: mean + 1 };
}

function alert(id: string, state: Alert['state'], kind: Alert['kind'], district: string, updatedAt: number): Alert {
  return {
    id, ruleId: 'basic.aq.pm25', subject: id.split(':')[0]!, kind, district, severity: 'warning', state,
    openedAt: updatedAt - 600_000, updatedAt, field: 'pm25', value: 48.2, threshold: 35.5,
    ...(state === 'resolved' ? { resolvedAt: updatedAt } : {}),
    message: { 'zh-TW': '中壢區 PM2.5 濃度偏高', en: 'PM2.5 high in Zhongli' },
  };
}

function dead(i: number, reason: DeadLetter['reason'], sensorId: string | undefined, payload: string): DeadLetter {
  return {
    at: NOW - (10 - i) * 1000, reason, message: `${reason} #${i}`, topic: `sensors/air-quality/${sensorId ?? 'x'}/telemetry`, clientId: `c${i}`,
    ...(sensorId ? { sensorId } : {}), payload, payloadBytes: Buffer.byteLength(payload),
  };
}

describe('aggregates, alerts and dead letters', () => {
  let h: Harness;
  let dispose: () => Promise<void>;
  before(async () => {
    const s = await openStore();
    dispose = s.dispose;
    await s.store.writeAggregates([
      agg('sensor', 'aq-zl-001', '6800200', hourStart - HOUR, 'pm25', 20),
      agg('sensor', 'aq-zl-001', '6800200', hourStart - 2 * HOUR, 'pm25', 25),
      agg('sensor', 'aq-zl-001', '6800200', hourStart - HOUR, 'pm10', 40),
      agg('sensor', 'aq-ty-002', '6800100', hourStart - HOUR, 'pm25', 12),
      agg('district', '6800200', '6800200', hourStart - HOUR, 'pm25', 22),
    ]);
    await s.store.writeAlertChanges([
      { type: 'opened', alert: alert('aq-zl-001:pm25', 'open', 'air-quality', '6800200', NOW - 5 * 60_000) },
      { type: 'updated', alert: alert('aq-ty-002:pm25', 'acknowledged', 'air-quality', '6800100', NOW - 4 * 60_000) },
      { type: 'resolved', alert: alert('wl-zl-001:depth', 'resolved', 'water-level', '6800200', NOW - 3 * 60_000) },
    ]);
    await s.store.writeDeadLetters([
      dead(1, 'BAD_JSON', 'aq-zl-001', '{"pm25": 1'),
      dead(2, 'SCHEMA', 'aq-zl-001', JSON.stringify({ pm25: -5, note: '感測器'.repeat(40) })),
      dead(3, 'UNKNOWN_SENSOR', undefined, 'x'),
      dead(4, 'SCHEMA', 'pk-ty-001', '{"totalSpotNumber":"many"}'),
    ]);
    tokenDir = await mkdtemp(join(tmpdir(), 'civic-tokens-'));
    tokens = await AlertStateStore.open(tokenDir);
    viewer = (await addStaff(tokens, 'viewer-1', 'viewer', NOW)).token;
    h = await startHarness(s.store, {
      limits: { deadLetterPayloadChars: 50 },
      verifyStaff: (t) => verifyToken(tokens, t),
      alertMeta: (a) => ({ public: false, capStatus: a.ruleId.startsWith('drill.') ? 'Exercise' : 'Actual' }),
    });
  });
  after(async () => {
    await h.close();
    await dispose();
    await tokens.close();
    await rm(tokenDir, { recursive: true, force: true });
  });
  let tokens: AlertStateStore;
  let tokenDir = '';
  let viewer = '';

  const json = async (path: string, status = 200) => {
    const res = await fetch(h.url + path, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(res.status, status, path);
    return (await res.json()) as Record<string, any>;
  };

  test('aggregates per sensor, with unit, name and +08:00 window start', async () => {
    const body = await json('/api/v1/aggregates?scope=sensor&period=1h&key=aq-zl-001&field=pm25');
    assert.equal(body.truncated, false);
    assert.deepEqual(body.items.map((a: any) => a.mean), [25, 20]);
    const a = body.items[1];
    assert.equal(a.start, '2026-11-22T11:00:00.000+08:00');
    assert.equal(a.startMs, hourStart - HOUR);
    assert.equal(a.unit, 'ug/m3');
    assert.equal(a.name['zh-TW'], '中壢區環保局微型感測器, 一號');
    assert.deepEqual([a.count, a.min, a.max, a.last], [60, 15, 25, 21]);
  });

  test('aggregates per district, filters and truncation', async () => {
    const d = await json('/api/v1/aggregates?scope=district&key=6800200');
    assert.deepEqual(d.items.map((a: any) => [a.key, a.name['zh-TW'], a.mean]), [['6800200', '中壢區', 22]]);
    const all = await json('/api/v1/aggregates?field=pm25&kind=air-quality');
    assert.equal(all.count, 3);
    const inTaoyuan = await json('/api/v1/aggregates?district=6800100');
    assert.deepEqual(inTaoyuan.items.map((a: any) => a.key), ['aq-ty-002']);
    const one = await json('/api/v1/aggregates?limit=1');
    assert.equal(one.count, 1);
    assert.equal(one.truncated, true);
    const minute = await json('/api/v1/aggregates?period=1m');
    assert.equal(minute.count, 0);
  });

  test('aggregates reject unknown keys, fields of another kind and bad enums', async () => {
    const cases: [string, string, string][] = [
      ['?key=nope', 'UNKNOWN_SENSOR_PARAM', 'key'],
      ['?scope=district&key=123', 'UNKNOWN_DISTRICT', 'key'],
      ['?key=aq-zl-001&field=availableSpotNumber', 'UNKNOWN_FIELD', 'field'],
      ['?period=5m', 'BAD_PARAMETER', 'period'],
      ['?scope=city', 'BAD_PARAMETER', 'scope'],
      ['?limit=-1', 'BAD_PARAMETER', 'limit'],
    ];
    for (const [q, code, parameter] of cases) {
      const e = (await json(`/api/v1/aggregates${q}`, 400)).error;
      assert.equal(e.code, code, q);
      assert.equal(e.parameter, parameter, q);
    }
  });

  test('AL9 /api/v1/alerts is staff only: 401 without or with a wrong token, coded and bilingual', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: viewer }] as Record<string, string>[]) {
      const res = await fetch(h.url + '/api/v1/alerts', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as Record<string, any>;
      assert.equal(body.error.code, 'UNAUTHENTICATED');
      assert.match(body.error['zh-TW'], /值勤人員/);
      assert.equal('items' in body, false);
    }
  });

  test('AL9 every staff alert item says whether its rule is public and its CAP status', async () => {
    const body = await json('/api/v1/alerts');
    assert.ok(body.items.length > 0);
    for (const a of body.items) {
      assert.equal(a.public, false);
      assert.equal(a.capStatus, 'Actual');
    }
  });

  test('alerts filter by state list, kind and district; never cached', async () => {
    const res = await fetch(h.url + '/api/v1/alerts?state=open,acknowledged', { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as Record<string, any>;
    assert.deepEqual(body.items.map((a: any) => a.state).sort(), ['acknowledged', 'open']);
    const open = body.items.find((a: any) => a.state === 'open');
    assert.equal(open.message['zh-TW'], '中壢區 PM2.5 濃度偏高');
    assert.equal(open.openedAt, '2026-11-22T11:45:00.000+08:00');
    assert.equal(open.unit, 'ug/m3');
    assert.equal('resolvedAt' in open, false);
    const resolved = await json('/api/v1/alerts?state=resolved');
    assert.equal(resolved.items[0].resolvedAt, '2026-11-22T11:57:00.000+08:00');
    assert.equal((await json('/api/v1/alerts')).count, 3);
    assert.equal((await json('/api/v1/alerts?kind=water-level')).items[0].subject, 'wl-zl-001');
    assert.deepEqual((await json('/api/v1/alerts?district=6800100')).items.map((a: any) => a.subject), ['aq-ty-002']);
    assert.equal((await json('/api/v1/alerts?limit=1')).count, 1);
    const e = (await json('/api/v1/alerts?state=open,closed', 400)).error;
    assert.equal(e.parameter, 'state');
    assert.match(e.message, /"closed"/);
  });

  test('OD-P1 dead letters need a staff token: 401 without or with a wrong one, any case of the Bearer scheme works (OD-P4)', async () => {
    for (const path of ['/api/v1/dead-letters', '/api/v1/dead-letters/counts', '/api/v1/dead-letters?reason=NOPE']) {
      const anon = await h.get(path);
      assert.equal(anon.status, 401, path);
      const body = (await anon.json()) as Record<string, any>;
      assert.equal(body.error.code, 'UNAUTHENTICATED');
      assert.doesNotMatch(JSON.stringify(body), /pm25|clientId|sensors\//);
      assert.equal((await fetch(h.url + path, { headers: { authorization: 'Bearer cs_wrong' } })).status, 401);
    }
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      assert.equal((await fetch(h.url + '/api/v1/dead-letters/counts', { headers: { authorization: `${scheme} ${viewer}` } })).status, 200, scheme);
    }
    const noVerifier = await startHarness(h.store);
    try {
      assert.equal((await fetch(noVerifier.url + '/api/v1/dead-letters', { headers: { authorization: `Bearer ${viewer}` } })).status, 401, 'no verifier configured: nobody is admitted');
    } finally {
      await noVerifier.close();
    }
  });

  test('dead letters: filters, bounded payload, bilingual reason; counts include every reason', async () => {
    const res = await fetch(h.url + '/api/v1/dead-letters', { headers: { authorization: `Bearer ${viewer}` } });
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.count, 4);
    const schema = (await json('/api/v1/dead-letters?reason=SCHEMA&sensor=aq-zl-001')).items;
    assert.equal(schema.length, 1);
    assert.equal(schema[0].at, '2026-11-22T11:59:52.000+08:00');
    assert.equal(schema[0].payload.length, 50);
    assert.equal(schema[0].payloadTruncated, true);
    assert.ok(schema[0].payloadBytes > 50);
    assert.equal(schema[0].reasonText['zh-TW'], '欄位不符合此感測器類型的結構');
    const small = (await json('/api/v1/dead-letters?reason=BAD_JSON')).items[0];
    assert.equal(small.payload, '{"pm25": 1');
    assert.equal(small.payloadTruncated, false);
    assert.equal((await json('/api/v1/dead-letters?reason=UNKNOWN_SENSOR')).items[0].sensorId, undefined);
    const counts = await json('/api/v1/dead-letters/counts');
    assert.equal(counts.total, 4);
    assert.equal(counts.counts.SCHEMA, 2);
    assert.equal(counts.counts.RATE_LIMITED, 0);
    assert.equal(Object.keys(counts.counts).length, 11);
    const e = (await json('/api/v1/dead-letters?reason=NOPE', 400)).error;
    assert.equal(e.parameter, 'reason');
    assert.match(e.message, /BAD_TOPIC/);
    assert.equal((await json('/api/v1/dead-letters/counts?x=1', 400)).error.code, 'UNKNOWN_PARAMETER');
  });
});
