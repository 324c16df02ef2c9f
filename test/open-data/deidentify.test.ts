import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { KIND_NAMES, type Reading } from '../../domain/index.ts';
import { createPublicMqtt, exportDay } from '../../exporter/open-data/index.ts';
import { ALERTS, NOW, openEnv, reading, type Env } from './fixture.ts';

/**
 * Issue 5 §8: no personal data or secrets in any public output. Every public format is
 * fetched and scanned for what must never appear: credentials, the gateway, registry params
 * and tags, the true location of the privately hosted sensor, and non-public alerts.
 */
const FORBIDDEN = [
  'scrypt$', 'secret-sensor-hash', 'secret-gateway-hash', 'secret-parking-hash', 'secretHash', 'lora-ns-1', 'LoRa network server', '物聯網閘道',
  'private-host', 'industrial', 'pm25Threshold', 'floodThresholdCm', 'pollutants', 'capacity',
  '24.98913', '121.31372', '24.9891', '121.3137',
  'TEST-ONLY', 'EXERCISE-ONLY', 'INTERNAL-ADVISORY', 'drill-1', 'exercise-1', 'adv-1',
  'password', 'assignee', 'clientId', 'client_id',
];

describe('de-identification scan of every public format', () => {
  let env: Env;
  const listeners = new Set<(r: Reading) => void>();
  const outputs: { where: string; text: string }[] = [];
  const grab = async (path: string) => {
    const res = await env.get(path);
    assert.equal(res.status, 200, path);
    outputs.push({ where: path, text: path.includes('/bulk/') && path.endsWith('.gz') ? gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8') : await res.text() });
  };

  before(async () => {
    env = await openEnv({ subscribe: (l) => { listeners.add(l); return () => listeners.delete(l); } });
    await exportDay({ store: env.store, registry: env.registry, dir: join(env.dir, 'bulk'), date: '2026-11-21', logger: pino({ level: 'silent' }), now: () => NOW });
  });
  after(async () => { await env.close(); });

  it('finds none of the forbidden strings in feeds, STA, CAP, Atom, catalogue, DCAT, bulk, SSE and MQTT', async () => {
    const from = 'from=2026-11-22T00:00:00%2B08:00';
    for (const kind of KIND_NAMES) {
      for (const format of ['json', 'csv', 'geojson']) {
        await grab(`/open-data/v1/feeds/${kind}/latest?format=${format}`);
        for (const period of ['1m', '1h', '1d']) await grab(`/open-data/v1/feeds/${kind}/aggregates?period=${period}&${from}&format=${format}&limit=10000`);
      }
    }
    for (const s of env.registry.sensors()) for (const format of ['json', 'csv', 'geojson']) await grab(`/open-data/v1/feeds/${s.kind}/readings?sensor=${s.id}&${from}&format=${format}&limit=10000`);
    for (const set of ['Things', 'Locations', 'HistoricalLocations', 'Sensors', 'ObservedProperties', 'FeaturesOfInterest']) await grab(`/sta/v1.1/${set}?$top=1000`);
    await grab('/sta/v1.1/Things?$expand=Locations,HistoricalLocations,Datastreams($expand=Sensor,ObservedProperty,Observations($top=5;$expand=FeatureOfInterest))');
    await grab('/sta/v1.1/Datastreams?$expand=Observations($top=1)&$top=1000');
    await grab(`/sta/v1.1/Observations?$top=1000&$filter=${encodeURIComponent('phenomenonTime ge 2026-11-22T10:00:00+08:00')}`);
    await grab('/open-data/v1/alerts/atom.xml');
    for (const a of [ALERTS.open!, ALERTS.updated!, ALERTS.resolved!, ALERTS.private!]) await grab(`/open-data/v1/alerts/cap/${encodeURIComponent(a.id)}.xml`);
    await grab('/open-data/v1/datasets');
    await grab('/open-data/v1/catalog.jsonld');
    await grab('/open-data/v1/bulk');
    // The last ended day (OD-B1), with its stations file and column metadata.
    for (const kind of [...KIND_NAMES, 'stations']) await grab(`/open-data/v1/bulk/civicstream-${kind}_2026-11-21.csv.gz`);
    await grab('/open-data/v1/bulk/2026-11-21.csv-metadata.json');
    await grab('/open-data/v1/bulk/2026-11-21.SHA256SUMS');
    // Parquet is compressed: read it back through DuckDB and scan the rows as text.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    for (const kind of KIND_NAMES) {
      const r = await conn.runAndReadAll(`SELECT * FROM read_parquet('${join(env.dir, 'bulk', `civicstream-${kind}_2026-11-21.parquet`)}')`);
      outputs.push({ where: `parquet ${kind}`, text: JSON.stringify(r.getRowObjectsJson()) + r.columnNames().join(',') });
    }
    conn.closeSync();
    db.closeSync();
    // SSE
    const res = await env.get('/open-data/v1/feeds/air-quality/live');
    const reader = res.body!.getReader();
    await new Promise((r) => setTimeout(r, 50));
    for (const l of listeners) l(reading('aq-ty-002', 'air-quality', '6800100', NOW, { pm25: 12 }));
    let sse = '';
    while (!sse.includes('event: reading')) sse += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    outputs.push({ where: 'sse', text: sse });
    // MQTT payload
    createPublicMqtt({ registry: env.registry, publish: (topic, payload) => outputs.push({ where: `mqtt ${topic}`, text: payload.toString('utf8') }) }).onReading(reading('aq-ty-002', 'air-quality', '6800100', NOW, { pm25: 12 }));

    assert.ok(outputs.length >= 87, `scanned ${outputs.length} outputs`);
    const hits: string[] = [];
    for (const { where, text } of outputs) for (const f of FORBIDDEN) if (text.includes(f)) hits.push(`${where}: ${f}`);
    assert.deepEqual(hits, []);
    // The scan is not vacuous: the private sensor itself is published, at its coarsened location.
    assert.ok(outputs.some((o) => o.text.includes('aq-ty-002') && o.text.includes('24.985')));
    assert.ok(outputs.some((o) => o.where.includes('/cap/') && o.text.includes('中壢區')));
  });
});
