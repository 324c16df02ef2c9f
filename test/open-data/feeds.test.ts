import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parseCsv } from '../exporter/csv-parse.ts';
import { geojsonProblems } from './geojson.ts';
import { HOUR, MIN, NOW, json, openEnv, type Env } from './fixture.ts';

describe('open-data REST feeds', () => {
  let env: Env;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  /** Validates a body against the schema the API itself publishes (fetched, not imported). */
  async function check(name: string, body: unknown): Promise<void> {
    let v = validators.get(name);
    if (!v) {
      const schema = await json(await env.get(`/open-data/v1/schemas/${name}.json`));
      v = ajv.compile(schema);
      validators.set(name, v);
    }
    assert.ok(v(body), `${name}: ${ajv.errorsText(v.errors)}`);
  }

  before(async () => { env = await openEnv(); });
  after(async () => { await env.close(); });

  it('latest: JSON valid against its published schema, flags and units present, stale marks the silent sensor', async () => {
    const body = await json(await env.get('/open-data/v1/feeds/air-quality/latest'));
    await check('latest', body);
    assert.equal(body.count, 2);
    const byId = Object.fromEntries(body.items.map((i: any) => [i.sensor.id, i]));
    assert.equal(byId['aq-zl-001'].time, '2026-11-22T11:59:00.000+08:00');
    assert.equal(byId['aq-zl-001'].stale, false);
    assert.equal(byId['aq-ty-002'].stale, true, 'silent for an hour at a 60 s interval');
    assert.equal(body.units.pm25, 'ug/m3');
    const pk = await json(await env.get('/open-data/v1/feeds/parking/latest'));
    assert.deepEqual(pk.items[0].flags, ['estimated']);
  });

  it('latest CSV: parsed back, zh-TW names (with comma and quotes) intact, units in the header, BOM by default (OD-B3), none with bom=false', async () => {
    // Response.text() would strip a BOM while decoding: look at the bytes.
    const plain = Buffer.from(await (await env.get('/open-data/v1/feeds/air-quality/latest?format=csv&bom=false')).arrayBuffer());
    assert.notDeepEqual([...plain.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const res = await env.get('/open-data/v1/feeds/air-quality/latest?format=csv');
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.subarray(3).toString('utf8'));
    const header = rows[0]!;
    assert.ok(header.includes('pm25 (ug/m3)'));
    const name = header.indexOf('sensor_name');
    const names = rows.slice(1).map((r) => r[name]);
    assert.deepEqual(names.sort(), ['中壢區環保局微型感測器, 一號', '民眾自設 "陽台" 感測器'].sort());
    assert.ok(rows.slice(1).every((r) => r.length === header.length));
  });

  it('latest GeoJSON is a valid FeatureCollection with [lon, lat] points', async () => {
    const res = await env.get('/open-data/v1/feeds/air-quality/latest?format=geojson');
    assert.match(res.headers.get('content-type') ?? '', /^application\/geo\+json/);
    const doc = await json(res);
    assert.deepEqual(geojsonProblems(doc), []);
    const f = doc.features.find((x: any) => x.properties.sensorId === 'aq-zl-001');
    assert.deepEqual(f.geometry.coordinates, [121.2256, 24.9537]);
  });

  it('raw readings: next links followed to the end return every reading once, in order', async () => {
    const from = '2026-11-22T09:00:00%2B08:00';
    let url: string | null = `/open-data/v1/feeds/air-quality/readings?sensor=aq-zl-001&from=${from}&to=2026-11-22T12:00:00%2B08:00&limit=40`;
    const seen: number[] = [];
    let pages = 0;
    while (url) {
      const body: any = await json(await env.get(url.replace(env.url, '')));
      await check('readings', body);
      seen.push(...body.items.map((i: any) => i.epochMs));
      url = body.next;
      pages++;
      assert.ok(pages < 20);
    }
    assert.equal(seen.length, 180);
    assert.equal(pages, 5);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.equal(new Set(seen).size, 180);
  });

  it('raw readings CSV and GeoJSON carry the quality of each row', async () => {
    const text = await (await env.get('/open-data/v1/feeds/air-quality/readings?sensor=aq-zl-001&from=2026-11-22T11:00:00%2B08:00&format=csv')).text();
    const rows = parseCsv(text);
    const q = rows[0]!.indexOf('quality');
    const t = rows[0]!.indexOf('epoch_ms');
    for (const r of rows.slice(1)) {
      const minutesBefore = (NOW - Number(r[t])) / MIN;
      assert.equal(r[q], minutesBefore % 10 === 0 ? 'spike' : 'ok');
    }
    const geo = await json(await env.get('/open-data/v1/feeds/water-level/readings?sensor=wl-zl-001&format=geojson'));
    assert.deepEqual(geojsonProblems(geo), []);
    assert.equal(geo.features.length, 12);
  });

  it('aggregates 1m paging with a cursor visits every window once', async () => {
    let url: string | null = '/open-data/v1/feeds/air-quality/aggregates?period=1m&sensor=aq-zl-001&from=2026-11-22T11:00:00%2B08:00&to=2026-11-22T12:00:00%2B08:00&limit=7';
    const keys = new Set<string>();
    let n = 0;
    while (url) {
      const body: any = await json(await env.get(url.replace(env.url, '')));
      await check('aggregates', body);
      for (const a of body.items) keys.add(`${a.startMs}/${a.field}`);
      n += body.items.length;
      url = body.next;
    }
    assert.equal(n, 120, '60 minutes × 2 fields');
    assert.equal(keys.size, 120);
  });

  it('1d aggregates are folded from 1h with a count-weighted mean equal to the raw mean', async () => {
    const body = await json(await env.get('/open-data/v1/feeds/air-quality/aggregates?period=1d&sensor=aq-zl-001&field=pm25&from=2026-11-21T00:00:00%2B08:00&to=2026-11-22T12:00:00%2B08:00'));
    await check('aggregates', body);
    assert.ok(body.note.includes('1h') || body.note.includes('hourly'));
    const day = body.items.find((a: any) => a.start === '2026-11-22T00:00:00.000+08:00');
    const raw = env.readings.filter((r) => r.sensorId === 'aq-zl-001' && r.ts >= Date.parse('2026-11-22T00:00:00+08:00') && r.ts < NOW).map((r) => r.values.pm25 as number);
    assert.equal(day.count, raw.length);
    assert.ok(Math.abs(day.mean - raw.reduce((a, b) => a + b, 0) / raw.length) < 1e-9);
    assert.equal(day.min, Math.min(...raw));
    assert.equal(day.max, Math.max(...raw));
    const csv = parseCsv(await (await env.get('/open-data/v1/feeds/air-quality/aggregates?period=1d&sensor=aq-zl-001&field=pm25&from=2026-11-21T00:00:00%2B08:00&format=csv')).text());
    assert.equal(csv[0]!.join(','), 'sensor_id,sensor_name,period,start,epoch_ms,field,unit,count,mean,min,max,last');
    assert.equal(csv[1]![1], '中壢區環保局微型感測器, 一號');
  });

  it('bounded ranges: a 400 naming the limit when exceeded, and for unknown sensors/fields', async () => {
    const res = await env.get('/open-data/v1/feeds/air-quality/readings?sensor=aq-zl-001&from=2026-01-01T00:00:00%2B08:00&to=2026-11-22T00:00:00%2B08:00');
    assert.equal(res.status, 400);
    const body = await res.json() as any;
    assert.equal(body.error.code, 'RANGE_TOO_LARGE');
    assert.match(body.error.message, /31 days/);
    assert.equal((await env.get('/open-data/v1/feeds/air-quality/readings?sensor=wl-zl-001')).status, 400, 'sensor of another kind');
    assert.equal((await env.get('/open-data/v1/feeds/air-quality/aggregates?field=floodDepth')).status, 400);
    assert.equal((await env.get('/open-data/v1/feeds/air-quality/latest?colour=red')).status, 400);
    assert.equal((await env.get(`/open-data/v1/feeds/air-quality/readings?sensor=aq-zl-001&cursor=bm9wZQ`)).status, 400);
    void HOUR;
  });
});
