import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { exportDay } from '../../exporter/open-data/index.ts';
import { parseCsv } from '../exporter/csv-parse.ts';
import { NOW, json, openEnv, type Env } from './fixture.ts';

describe('catalogue, reliability figures and bulk files', () => {
  let env: Env;
  before(async () => {
    env = await openEnv();
    await exportDay({ store: env.store, registry: env.registry, dir: join(env.dir, 'bulk'), date: '2026-11-21', logger: pino({ level: 'silent' }), pageSize: 100, now: () => NOW });
  });
  after(async () => { await env.close(); });

  it('one dataset per kind plus alerts and quality figures, with the data.gov.tw fields and the licence', async () => {
    const body = await json(await env.get('/open-data/v1/datasets'));
    assert.deepEqual(body.datasets.map((d: any) => d.id).sort(), ['civicstream-air-quality', 'civicstream-alerts', 'civicstream-parking', 'civicstream-quality', 'civicstream-streetlight', 'civicstream-water-level']);
    assert.equal(body.count, body.datasets.length);
    for (const d of body.datasets) {
      for (const k of ['資料集名稱', '資料集描述', '主要欄位說明', '提供機關', '提供機關聯絡人姓名', '更新頻率', '授權方式', '授權說明網址', '編碼格式', '檔案格式', '詮釋資料更新時間']) {
        assert.ok(k in d.dataGovTw, `${d.id} lacks ${k}`);
      }
      assert.equal(d.dataGovTw.授權方式, '政府資料開放授權條款-第1版');
      assert.equal(d.license.url, 'https://data.gov.tw/license');
      assert.equal(d.encoding, 'UTF-8');
      assert.ok(d.title['zh-TW'] && d.title.en && d.description['zh-TW'] && d.description.en);
    }
    const aq = body.datasets.find((d: any) => d.id === 'civicstream-air-quality');
    assert.equal(aq.lastModified, '2026-11-22T11:59:00.000+08:00');
    assert.equal(aq.fields.find((f: any) => f.name === 'pm25').unit, 'ug/m3');
    assert.deepEqual(body.qualityFlags.map((f: any) => f.flag).slice(0, 6), ['ok', 'out-of-range', 'spike', 'stuck', 'late', 'estimated']);
  });

  it('OD-C4: the quality figures are a dataset with data.gov.tw fields (test/e2e/late-buffered.test.ts fetches its distributions)', async () => {
    const q = await json(await env.get('/open-data/v1/datasets/civicstream-quality'));
    const g = q.dataGovTw;
    for (const k of ['資料集識別碼', '資料集名稱', '服務分類', '資料集描述', '主要欄位說明', '提供機關', '提供機關聯絡人姓名', '提供機關聯絡人電子郵件', '更新頻率', '授權方式', '授權說明網址', '計費方式', '編碼格式', '檔案格式', '資料資源下載網址', '詮釋資料更新時間', '資料提供屬性', '相關網址']) {
      assert.ok(g[k] !== undefined && g[k] !== '', `civicstream-quality: ${k}`);
    }
    assert.equal(g.資料集識別碼, 'civicstream-quality');
    assert.equal(g.資料提供屬性, '加值衍生資料');
    assert.equal(g.授權方式, '政府資料開放授權條款-第1版');
    assert.match(g.主要欄位說明, /completeness\(完整率/);
    assert.equal(q.lastModified, '2026-11-22T11:59:00.000+08:00', 'the newest stored reading');
    assert.deepEqual(q.distributions.map((d: any) => new URL(d.accessURL).pathname + new URL(d.accessURL).search), ['/open-data/v1/quality?hours=24', '/open-data/v1/quality?hours=720']);
    assert.deepEqual(g.資料資源下載網址, q.distributions.map((d: any) => d.accessURL));
    assert.deepEqual(q.fields.map((f: any) => f.name), ['sensorId', 'kind', 'district', 'expected', 'stored', 'late', 'completeness', 'uptime', 'latencyP50Ms', 'latencyP95Ms']);
    const cat = await json(await env.get('/open-data/v1/catalog.jsonld'));
    const ds = cat['dcat:dataset'].find((d: any) => d['dct:identifier'] === 'civicstream-quality');
    assert.ok(ds, 'in the DCAT catalogue');
    assert.equal(ds['dct:license']['@id'], 'https://data.gov.tw/license');
  });

  it('reliability: completeness over 24 h / 30 d and the silent share, from the seeded readings', async () => {
    const body = await json(await env.get('/open-data/v1/datasets/civicstream-air-quality'));
    const r = body.reliability;
    // Two sensors at 60 s: 2 × 60 per hour expected. Counted hours end at the last full hour (12:00).
    // aq-zl-001 sent 60/h for 24 h; aq-ty-002 sent 60 readings in 10:00–11:00 only.
    assert.equal(r.completeness24h, Math.round(((24 * 60 + 60) / (24 * 120)) * 10_000) / 10_000);
    assert.equal(r.completeness30d, Math.round(((26 * 60 + 60) / (30 * 24 * 120)) * 10_000) / 10_000);
    assert.equal(r.sensors, 2);
    assert.equal(r.silentSensors, 1);
    assert.equal(r.silentShare, 0.5);
    const sl = (await json(await env.get('/open-data/v1/datasets/civicstream-streetlight'))).reliability;
    assert.equal(sl.sensors, 0);
    assert.equal(sl.completeness24h, null);
  });

  it('DCAT JSON-LD catalogue: datasets, distributions, licence, bulk files with size and checksum', async () => {
    const res = await env.get('/open-data/v1/catalog.jsonld');
    assert.match(res.headers.get('content-type') ?? '', /^application\/ld\+json/);
    const cat = await json(res);
    assert.equal(cat['@type'], 'dcat:Catalog');
    assert.equal(cat['@context'].dcat, 'http://www.w3.org/ns/dcat#');
    assert.equal(cat['dcat:dataset'].length, 6);
    const aq = cat['dcat:dataset'].find((d: any) => d['dct:identifier'] === 'civicstream-air-quality');
    assert.deepEqual(aq['dct:title'].map((l: any) => l['@language']), ['zh-TW', 'en']);
    assert.equal(aq['dct:license']['@id'], 'https://data.gov.tw/license');
    const dumps = aq['dcat:distribution'].filter((d: any) => d['spdx:checksum']);
    // The kind's readings and the day's stations file, each as CSV.gz and Parquet (OD-B4).
    assert.equal(dumps.length, 4);
    for (const d of dumps) {
      const file = await env.get(new URL(d['dcat:downloadURL']['@id']).pathname);
      const bytes = Buffer.from(await file.arrayBuffer());
      assert.equal(String(bytes.length), d['dcat:byteSize']['@value']);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), d['spdx:checksum']['spdx:checksumValue']);
    }
  });

  it('daily dump: gzip CSV and Parquet hold the same rows of the Taipei day, zh-TW intact; SHA256SUMS matches', async () => {
    const list = await json(await env.get('/open-data/v1/bulk'));
    const csvEntry = list.files.find((f: any) => f.file === 'civicstream-air-quality_2026-11-21.csv.gz');
    const pqEntry = list.files.find((f: any) => f.file === 'civicstream-air-quality_2026-11-21.parquet');
    const dayStart = Date.parse('2026-11-21T00:00:00+08:00');
    const expected = env.readings.filter((r) => r.kind === 'air-quality' && r.ts >= dayStart && r.ts < dayStart + 86_400_000);
    assert.equal(csvEntry.rows, expected.length);
    const raw = gunzipSync(Buffer.from(await (await env.get('/open-data/v1/bulk/' + csvEntry.file)).arrayBuffer()));
    // OD-B3: a UTF-8 BOM by default (Excel on zh-TW Windows), one only.
    assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(raw.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 3), -1);
    const rows = parseCsv(raw.subarray(3).toString('utf8'));
    assert.equal(rows.length - 1, expected.length);
    assert.equal(rows[0]![0], 'sensor_id');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const reader = await conn.runAndReadAll(`SELECT count(*)::INTEGER, min(epoch_ms)::BIGINT, sum(pm25)::DOUBLE FROM read_parquet('${join(env.dir, 'bulk', pqEntry.file)}')`);
      const [count, minTs, sum] = reader.getRows()[0]!;
      assert.equal(count, expected.length);
      assert.equal(Number(minTs), Math.min(...expected.map((r) => r.ts)));
      assert.equal(sum, expected.reduce((a, r) => a + (r.values.pm25 as number), 0));
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    // OD-B2: the documented {date}.SHA256SUMS URL is served.
    const sumsRes = await env.get('/open-data/v1/bulk/2026-11-21.SHA256SUMS');
    assert.equal(sumsRes.status, 200);
    assert.match(sumsRes.headers.get('content-type') ?? '', /^text\/plain/);
    const sums = await sumsRes.text();
    assert.equal(sums, await readFile(join(env.dir, 'bulk', '2026-11-21.SHA256SUMS'), 'utf8'));
    assert.equal(sums.trim().split('\n').length, 10);
    for (const line of sums.trim().split('\n')) {
      const [hash, name] = line.split(/\s+/);
      assert.equal(createHash('sha256').update(await readFile(join(env.dir, 'bulk', name!))).digest('hex'), hash);
    }
    assert.equal((await env.get('/open-data/v1/bulk/..%2F2026-11-21.manifest.json')).status, 404);
    void NOW;
  });
});
