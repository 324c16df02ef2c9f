import assert from 'node:assert/strict';
import { copyFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { exportDay } from '../../exporter/open-data/index.ts';
import { NOW, json, openEnv, type Env } from './fixture.ts';

const DAY = '2026-11-21';

/** The daily bulk files as a data user loads them: DuckDB with plain, unquoted column names (OD-B1…OD-B4). */
describe('daily bulk files (OD-B1–OD-B4)', () => {
  let env: Env;
  let bulk = '';
  before(async () => {
    env = await openEnv();
    bulk = join(env.dir, 'bulk');
    await exportDay({ store: env.store, registry: env.registry, dir: bulk, date: DAY, logger: pino({ level: 'silent' }), pageSize: 50, now: () => NOW, baseUrl: 'https://data.example.tw' });
  });
  after(async () => {
    await env.close();
  });

  const query = async (sql: string) => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJson();
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  };

  it('OD-B3/OD-B4 CSV.gz and Parquet load in DuckDB with unquoted snake_case names, coordinates in every row, stations joined by sensor_id', async () => {
    const csv = join(bulk, `civicstream-air-quality_${DAY}.csv.gz`).replace(/'/g, "''");
    const pq = join(bulk, `civicstream-air-quality_${DAY}.parquet`).replace(/'/g, "''");
    const stations = join(bulk, `civicstream-stations_${DAY}.parquet`).replace(/'/g, "''");
    const dayStart = Date.parse(`${DAY}T00:00:00+08:00`);
    const expected = env.readings.filter((r) => r.kind === 'air-quality' && r.ts >= dayStart && r.ts < dayStart + 86_400_000);
    assert.ok(expected.length > 0);
    for (const src of [`read_csv('${csv}')`, `read_parquet('${pq}')`]) {
      const rows = await query(`SELECT sensor_id, district_code, lat, lon, count(*) AS n, sum(pm25) AS pm25_sum, min(epoch_ms) AS first_ms FROM ${src} GROUP BY ALL ORDER BY sensor_id`);
      assert.equal(rows.reduce((a, r) => a + Number(r.n), 0), expected.length, src);
      for (const r of rows) {
        const s = env.registry.sensor(String(r.sensor_id))!;
        const mine = expected.filter((x) => x.sensorId === s.id);
        assert.equal(Number(r.n), mine.length);
        assert.equal(Number(r.pm25_sum), mine.reduce((a, x) => a + (x.values.pm25 as number), 0));
        assert.equal(String(r.district_code), s.district.code);
        assert.equal(Number(r.first_ms), Math.min(...mine.map((x) => x.ts)));
        // Public location: the private-host sensor is coarsened, the others are exact.
        if (s.tags.includes('private-host')) assert.notEqual(Number(r.lat), s.location.lat);
        else assert.deepEqual([Number(r.lat), Number(r.lon)], [s.location.lat, s.location.lon]);
      }
    }
    const joined = await query(`SELECT r.sensor_id, s.name_zh, s.kind, s.location_coarsened, count(*) AS n FROM read_parquet('${pq}') r JOIN read_parquet('${stations}') s USING (sensor_id) GROUP BY ALL ORDER BY r.sensor_id`);
    assert.ok(joined.length >= 1);
    for (const j of joined) {
      assert.equal(j.name_zh, env.registry.sensor(String(j.sensor_id))!.name['zh-TW']);
      assert.equal(j.kind, 'air-quality');
    }
    const all = await query(`SELECT count(*) AS n FROM read_parquet('${stations}')`);
    assert.equal(Number(all[0]!.n), env.registry.size);
    // The time column is a real timestamp in Parquet, not text.
    const types = await query(`SELECT column_name, column_type AS data_type FROM (DESCRIBE SELECT * FROM read_parquet('${pq}'))`);
    assert.equal(types.find((t) => t.column_name === 'time')?.data_type, 'TIMESTAMP WITH TIME ZONE');
    assert.equal(types.find((t) => t.column_name === 'relative_humidity')?.data_type, 'DOUBLE');
  });

  it('OD-B3 the CSVW metadata names every column of every CSV with its unit; names need no quoting', async () => {
    const res = await env.get(`/open-data/v1/bulk/${DAY}.csv-metadata.json`);
    assert.equal(res.status, 200);
    const meta = await json(res);
    assert.equal(meta['@context'][0], 'http://www.w3.org/ns/csvw');
    const files = (await readdir(bulk)).filter((f) => f.endsWith('.csv.gz'));
    assert.equal(meta.tables.length, files.length);
    for (const t of meta.tables) {
      assert.ok(t.url.startsWith('https://data.example.tw/open-data/v1/bulk/'), t.url);
      const cols = await query(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv('${join(bulk, t['dc:identifier']).replace(/'/g, "''")}'))`);
      assert.deepEqual(t.tableSchema.columns.map((c: any) => c.name), cols.map((c) => c.column_name), t.url);
      for (const c of t.tableSchema.columns) {
        assert.match(c.name, /^[a-z][a-z0-9_]*$/);
        assert.deepEqual(c['dc:description'].map((d: any) => d['@language']), ['zh-TW', 'en']);
      }
    }
    const aq = meta.tables.find((t: any) => t['dc:identifier'] === `civicstream-air-quality_${DAY}.csv.gz`);
    assert.equal(aq.tableSchema.columns.find((c: any) => c.name === 'pm25')['schema:unitText'], 'ug/m3');
  });

  it('OD-B1 a day that has not ended is neither exported nor served nor listed', async () => {
    await assert.rejects(
      exportDay({ store: env.store, registry: env.registry, dir: bulk, date: '2026-11-22', logger: pino({ level: 'silent' }), now: () => NOW }),
      (err: Error & { code?: string }) => err.code === 'DAY_NOT_ENDED',
    );
    // A file for today that got there anyway (an operator's early hand run) is not served.
    await copyFile(join(bulk, `civicstream-air-quality_${DAY}.csv.gz`), join(bulk, 'civicstream-air-quality_2026-11-22.csv.gz'));
    await copyFile(join(bulk, `${DAY}.manifest.json`), join(bulk, '2026-11-22.manifest.json'));
    assert.equal((await env.get('/open-data/v1/bulk/civicstream-air-quality_2026-11-22.csv.gz')).status, 404);
    const list = await json(await env.get('/open-data/v1/bulk'));
    assert.ok(list.days.every((d: any) => d.date === DAY), JSON.stringify(list.days));
    const ended = await env.get(`/open-data/v1/bulk/civicstream-air-quality_${DAY}.csv.gz`);
    assert.equal(ended.status, 200);
    assert.match(ended.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(list.days[0].sha256sums, `/open-data/v1/bulk/${DAY}.SHA256SUMS`);
    const sums = await (await env.get(`/open-data/v1/bulk/${DAY}.SHA256SUMS`)).text();
    assert.equal(sums, await readFile(join(bulk, `${DAY}.SHA256SUMS`), 'utf8'));
  });
});
