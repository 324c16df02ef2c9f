import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsonld from 'jsonld';
import pino from 'pino';
import { exportDay } from '../../exporter/open-data/index.ts';
import { NOW, json, openEnv, type Env } from './fixture.ts';

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const DATA_GOV_TW_FIELDS = ['資料集識別碼', '資料集名稱', '資料集描述', '主要欄位說明', '服務分類', '提供機關', '提供機關聯絡人姓名', '提供機關聯絡人電話', '提供機關聯絡人電子郵件', '更新頻率', '授權方式', '授權說明網址', '計費方式', '編碼格式', '檔案格式', '資料資源下載網址', '詮釋資料更新時間', '上架日期', '資料量', '資料提供屬性', '相關網址'];

/** The catalogue as a portal harvester reads it: DCAT parsed as JSON-LD, data.gov.tw fields one by one (OD-C1…OD-C3). */
describe('catalogue: data.gov.tw fields and DCAT IRIs (OD-C1–OD-C3)', () => {
  let env: Env;
  let before1: any;
  before(async () => {
    env = await openEnv({ publisher: { contactPhone: '03-332-2101' } });
    before1 = await json(await env.get('/open-data/v1/datasets'));
    await exportDay({ store: env.store, registry: env.registry, dir: join(env.dir, 'bulk'), date: '2026-11-21', logger: pino({ level: 'silent' }), now: () => NOW });
  });
  after(async () => { await env.close(); });

  it('OD-C3 Parquet is listed only once a dump exists', async () => {
    for (const d of before1.datasets) assert.ok(!d.formats.includes('Parquet'), d.id);
    const after1 = await json(await env.get('/open-data/v1/datasets/civicstream-air-quality'));
    assert.ok(after1.formats.includes('Parquet'));
  });

  it('OD-C1 every data.gov.tw field is present, field by field, with the right values', async () => {
    const body = await json(await env.get('/open-data/v1/datasets'));
    for (const d of body.datasets) {
      for (const f of DATA_GOV_TW_FIELDS) assert.ok(f in d.dataGovTw, `${d.id} lacks ${f}`);
      assert.equal(d.dataGovTw.資料集識別碼, d.id);
      assert.equal(d.dataGovTw.提供機關聯絡人電話, '03-332-2101');
      assert.ok(['生活安全及品質', '公共資訊', '交通及通訊'].includes(d.dataGovTw.服務分類), d.dataGovTw.服務分類);
      assert.equal(d.dataGovTw.資料提供屬性, d.id === 'civicstream-quality' ? '加值衍生資料' : '原始資料', d.id); // OD-C4: derived figures
      assert.ok(d.dataGovTw.相關網址.length >= 1);
    }
    const aq = body.datasets.find((d: any) => d.id === 'civicstream-air-quality');
    assert.equal(aq.dataGovTw.上架日期, '2026-11-21');
    const dayStart = Date.parse('2026-11-21T00:00:00+08:00');
    assert.equal(aq.dataGovTw.資料量, env.readings.filter((r) => r.kind === 'air-quality' && r.ts >= dayStart && r.ts < dayStart + 86_400_000).length);
    assert.deepEqual(aq.dataGovTw.檔案格式.split(';'), ['JSON', 'CSV', 'GeoJSON', 'Parquet']);
    const alerts = body.datasets.find((d: any) => d.id === 'civicstream-alerts');
    assert.equal(alerts.dataGovTw.上架日期, null, 'unknown, not invented');
  });

  it('OD-C2 DCAT parses as JSON-LD; mediaType, accrualPeriodicity, licence, downloadURL are IRIs', async () => {
    const doc = await json(await env.get('/open-data/v1/catalog.jsonld'));
    const expanded = (await jsonld.expand(doc)) as any[];
    const catalog = expanded.find((n) => n['@type']?.includes(`${DCAT}Catalog`));
    assert.ok(catalog, 'a dcat:Catalog node');
    const datasets = catalog[`${DCAT}dataset`];
    assert.equal(datasets.length, 6);
    const iri = (v: any, what: string) => {
      assert.ok(v && typeof v['@id'] === 'string', `${what} is an IRI: ${JSON.stringify(v)}`);
      assert.doesNotThrow(() => new URL(v['@id']), what);
      return v['@id'] as string;
    };
    for (const ds of datasets) {
      assert.match(iri(ds[`${DCT}accrualPeriodicity`][0], 'accrualPeriodicity'), /^http:\/\/purl\.org\/cld\/freq\/(continuous|irregular)$/);
      assert.equal(iri(ds[`${DCT}license`][0], 'license'), 'https://data.gov.tw/license');
      for (const dist of ds[`${DCAT}distribution`]) {
        assert.match(iri(dist[`${DCAT}mediaType`][0], 'mediaType'), /^https:\/\/www\.iana\.org\/assignments\/media-types\/[a-z]+\/[a-z0-9.+-]+$/);
        iri(dist[`${DCAT}accessURL`][0], 'accessURL');
      }
    }
    const aq = datasets.find((d: any) => d[`${DCT}identifier`][0]['@value'] === 'civicstream-air-quality');
    const dumps = aq[`${DCAT}distribution`].filter((d: any) => d[`${DCAT}byteSize`]);
    assert.equal(dumps.length, 4);
    for (const d of dumps) {
      const url = iri(d[`${DCAT}downloadURL`][0], 'downloadURL');
      assert.equal((await fetch(url)).status, 200, url);
    }
  });
});
