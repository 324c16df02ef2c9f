import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseCsv } from './csv-parse.ts';
import { NOW, airSeries, openStore, reading, startHarness, type Harness } from './fixture.ts';

const ZL = '6800200';
const PATH = '/api/v1/sensors/aq-zl-001/readings';
const NAME_ZH = '中壢區環保局微型感測器, 一號';

interface ReadingsBody {
  sensor: { id: string; name: { 'zh-TW': string } };
  from: string;
  to: string;
  units: Record<string, string>;
  count: number;
  items: { ts: string; tsMs: number; values: Record<string, number>; flags: string[] }[];
  next: string | null;
}

interface ErrorBody {
  error: { code: string; message: string; 'zh-TW': string; parameter?: string };
}

describe('GET /api/v1/sensors/:id/readings', () => {
  let h: Harness;
  let dispose: () => Promise<void>;
  before(async () => {
    const s = await openStore();
    dispose = s.dispose;
    // 250 one-minute readings in the last 250 minutes, plus one 25 h old (outside the default range).
    await s.store.writeReadings([...airSeries('aq-zl-001', ZL, 250), reading('aq-zl-001', 'air-quality', ZL, NOW - 25 * 3_600_000, { pm25: 99 })]);
    h = await startHarness(s.store, { publicBaseUrl: 'https://data.example.tw/' });
  });
  after(async () => {
    await h.close();
    await dispose();
  });

  /** Next links are absolute on the public base URL; follow them on the test server. */
  const follow = (next: string) => {
    assert.ok(next.startsWith('https://data.example.tw/api/v1/'), next);
    return h.get(next.slice('https://data.example.tw'.length));
  };

  const errorOf = async (path: string, status = 400): Promise<ErrorBody['error']> => {
    const res = await h.get(path);
    assert.equal(res.status, status, path);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    return ((await res.json()) as ErrorBody).error;
  };

  test('default range is the last 24 h, oldest first, times +08:00 and epoch ms', async () => {
    const res = await h.get(`${PATH}?limit=5`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as ReadingsBody;
    assert.equal(body.sensor.name['zh-TW'], NAME_ZH);
    assert.equal(body.from, '2026-11-21T12:00:00.000+08:00');
    assert.equal(body.to, '2026-11-22T12:00:00.000+08:00');
    assert.equal(body.units.pm25, 'ug/m3');
    assert.equal(body.count, 5);
    const first = body.items[0]!;
    assert.equal(first.tsMs, NOW - 250 * 60_000);
    assert.equal(first.ts, '2026-11-22T07:50:00.000+08:00');
    assert.equal(first.values.pm25, 10 + (250 % 17));
    assert.deepEqual(first.flags, ['LATE', 'SPIKE']); // 250 % 10 === 0 in airSeries
    assert.ok(body.next);
    assert.match(res.headers.get('link') ?? '', /rel="next".*rel="license"/);
  });

  test('JSON paging followed to the end returns every reading once, in order', async () => {
    const seen: number[] = [];
    let res = await h.get(`${PATH}?limit=100`);
    let pages = 0;
    for (;;) {
      assert.equal(res.status, 200);
      const body = (await res.json()) as ReadingsBody;
      pages++;
      seen.push(...body.items.map((i) => i.tsMs));
      if (!body.next) break;
      assert.match(body.next, /from=2026-11-21T12%3A00%3A00\.000%2B08%3A00/, 'next pins the resolved range');
      res = await follow(body.next);
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen).size, 250);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  });

  test('an explicit range includes from, excludes to, and accepts an unencoded +', async () => {
    const from = '2026-11-22T11:50:00+08:00';
    const to = '2026-11-22T11:55:00+08:00';
    const body = (await (await h.get(`${PATH}?from=${from}&to=${to}`)).json()) as ReadingsBody;
    assert.deepEqual(body.items.map((i) => i.ts.slice(11, 16)), ['11:50', '11:51', '11:52', '11:53', '11:54']);
    assert.equal(body.next, null);
    const older = (await (await h.get(`${PATH}?from=${encodeURIComponent('2026-11-21T10:00:00+08:00')}&to=${encodeURIComponent('2026-11-21T12:00:00+08:00')}`)).json()) as ReadingsBody;
    assert.deepEqual(older.items.map((i) => i.values.pm25), [99]);
  });

  test('CSV: UTF-8 with BOM on the first page, units in headers, zh-TW name intact, pages via Link', async () => {
    let res = await h.get(`${PATH}?limit=120&format=csv`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    const rows: string[][] = [];
    let page = 0;
    for (;;) {
      const bytes = Buffer.from(await res.arrayBuffer());
      const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
      assert.equal(hasBom, page === 0, `BOM only on page 0 (page ${page})`);
      const parsed = parseCsv(bytes.toString('utf8').replace(/^\uFEFF/, ''));
      const [header, ...data] = parsed;
      assert.equal(header![0], 'time');
      assert.ok(header!.includes('pm25 (ug/m3)'));
      assert.ok(header!.includes('relativeHumidity (%RH)'));
      for (const r of data) assert.equal(r.length, header!.length);
      rows.push(...data.map((r) => r));
      page++;
      const link = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '');
      if (!link) break;
      res = await follow(link[1]!);
      assert.equal(res.status, 200);
    }
    assert.equal(page, 3);
    assert.equal(rows.length, 250);
    const header = parseCsv((await (await h.get(`${PATH}?limit=1&format=csv`)).text()))[0]!;
    const col = (name: string) => header.indexOf(name);
    const first = rows[0]!;
    assert.equal(first[col('time')], '2026-11-22T07:50:00.000+08:00');
    assert.equal(first[col('sensor_name')], NAME_ZH);
    assert.equal(first[col('pm25 (ug/m3)')], String(10 + (250 % 17)));
    assert.equal(first[col('no2 (ppb)')], '');
    assert.equal(first[col('flags')], 'LATE|SPIKE');
    assert.equal(new Set(rows.map((r) => r[col('epoch_ms')])).size, 250);
  });

  test('a sensor name with quotes survives CSV quoting', async () => {
    const s = await openStore();
    await s.store.writeReadings([reading('aq-ty-002', 'air-quality', '6800100', NOW - 60_000, { pm25: 7 })]);
    const h2 = await startHarness(s.store);
    try {
      const text = await (await h2.get('/api/v1/sensors/aq-ty-002/readings?format=csv')).text();
      const [header, row] = parseCsv(text.replace(/^\uFEFF/, ''));
      assert.equal(row![header!.indexOf('sensor_name')], '桃園火車站 "前站"');
    } finally {
      await h2.close();
      await s.dispose();
    }
  });

  test('unknown sensor is 404 with a coded JSON error', async () => {
    const e = await errorOf('/api/v1/sensors/no-such-sensor/readings', 404);
    assert.equal(e.code, 'SENSOR_NOT_FOUND');
    assert.equal(e.parameter, 'id');
  });

  test('bad parameters are 400s naming the parameter', async () => {
    const cases: [string, string, string][] = [
      ['?from=2026-11-22T08:00:00', 'BAD_TIME', 'from'],
      ['?to=tomorrow', 'BAD_TIME', 'to'],
      [`?from=${encodeURIComponent('2026-11-22T10:00:00+08:00')}&to=${encodeURIComponent('2026-11-22T09:00:00+08:00')}`, 'BAD_RANGE', 'from'],
      [`?from=${encodeURIComponent('2026-10-01T00:00:00+08:00')}&to=${encodeURIComponent('2026-11-22T00:00:00+08:00')}`, 'RANGE_TOO_LARGE', 'from'],
      ['?limit=0', 'BAD_PARAMETER', 'limit'],
      ['?limit=abc', 'BAD_PARAMETER', 'limit'],
      ['?limit=10001', 'BAD_PARAMETER', 'limit'],
      ['?format=xml', 'BAD_PARAMETER', 'format'],
      ['?cursor=bm90LWEtY3Vyc29y', 'BAD_CURSOR', 'cursor'],
      ['?form=2026-11-22T08:00:00Z', 'UNKNOWN_PARAMETER', 'form'],
    ];
    for (const [query, code, parameter] of cases) {
      const e = await errorOf(PATH + query);
      assert.equal(e.code, code, query);
      assert.equal(e.parameter, parameter, query);
      assert.ok(e.message.includes(parameter), `${query}: message names ${parameter}: ${e.message}`);
    }
    const range = await errorOf(`${PATH}?from=${encodeURIComponent('2026-10-01T00:00:00+08:00')}&to=${encodeURIComponent('2026-11-22T00:00:00+08:00')}`);
    assert.match(range.message, /maximum is 31 days/);
    const fmt = await errorOf(`${PATH}?format=xml`);
    assert.match(fmt.message, /json, csv/);
    assert.match(fmt['zh-TW'], /須為下列之一/);
  });
});
