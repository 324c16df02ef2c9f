import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kindOf } from '../../domain/index.ts';
import { MIN, NOW, json, openEnv, type Env } from './fixture.ts';

/** STA 1.1 §9.2: every entity has @iot.id and an absolute @iot.selfLink; navigation links end with the nav name. */
function assertEntity(e: any, navs: string[]): void {
  assert.ok(typeof e['@iot.id'] === 'string' || typeof e['@iot.id'] === 'number');
  assert.match(e['@iot.selfLink'], /^http:\/\/127\.0\.0\.1:\d+\/sta\/v1\.1\/\w+\('/);
  for (const n of navs) assert.equal(e[`${n}@iot.navigationLink`], `${e['@iot.selfLink']}/${n}`);
}

describe('SensorThings API v1.1', () => {
  let env: Env;
  before(async () => { env = await openEnv(); });
  after(async () => { await env.close(); });
  const sta = (p: string) => env.get(`/sta/v1.1/${p}`);

  it('service root lists the eight entity sets and the conformance classes', async () => {
    const body = await json(await env.get('/sta/v1.1'));
    assert.deepEqual(body.value.map((v: any) => v.name).sort(), ['Datastreams', 'FeaturesOfInterest', 'HistoricalLocations', 'Locations', 'Observations', 'ObservedProperties', 'Sensors', 'Things']);
    assert.ok(body.serverSettings.conformance.length >= 1);
  });

  it('Things carry Civil IoT style properties; Things(id)/Datastreams navigates', async () => {
    const things = await json(await sta('Things'));
    assert.equal(things.value.length, 4);
    for (const t of things.value) assertEntity(t, ['Locations', 'HistoricalLocations', 'Datastreams']);
    const t = await json(await sta("Things('aq-zl-001')"));
    assert.deepEqual([t.properties.city, t.properties.township, t.properties.stationID], ['桃園市', '中壢區', 'aq-zl-001']);
    assert.ok(t.properties.authority);
    const ds = await json(await sta("Things('aq-zl-001')/Datastreams"));
    assert.equal(ds.value.length, kindOf('air-quality').fields.length);
    const pm = ds.value.find((d: any) => d['@iot.id'] === 'aq-zl-001:pm25');
    assertEntity(pm, ['Thing', 'Sensor', 'ObservedProperty', 'Observations']);
    assert.deepEqual(pm.unitOfMeasurement.symbol, 'ug/m3');
    assert.match(pm.observationType, /OM_Measurement$/);
    const thing = await json(await sta("Datastreams('aq-zl-001:pm25')/Thing"));
    assert.equal(thing['@iot.id'], 'aq-zl-001');
    const loc = await json(await sta("Things('aq-zl-001')/Locations"));
    assert.equal(loc.value[0].encodingType, 'application/geo+json');
    assert.deepEqual(loc.value[0].location.coordinates, [121.2256, 24.9537]);
    const name = await sta("Things('aq-zl-001')/name/$value");
    assert.equal(await name.text(), '中壢區環保局微型感測器, 一號');
  });

  it('@iot.nextLink followed to the end returns exactly @iot.count observations, newest first', async () => {
    const filter = encodeURIComponent('phenomenonTime ge 2026-11-22T10:00:00+08:00');
    let url: string | undefined = `Datastreams('aq-zl-001:pm25')/Observations?$filter=${filter}&$top=25&$count=true`;
    const first = await json(await sta(url));
    assert.equal(first['@iot.count'], 120);
    const times: string[] = [];
    let body = first;
    let pages = 0;
    for (;;) {
      for (const o of body.value) { assertEntity(o, ['Datastream', 'FeatureOfInterest']); times.push(o.phenomenonTime); }
      pages++;
      url = body['@iot.nextLink'];
      if (!url) break;
      assert.ok(url.startsWith(env.url));
      body = await json(await fetch(url));
    }
    assert.equal(pages, 5);
    assert.equal(times.length, 120);
    assert.equal(new Set(times).size, 120);
    assert.deepEqual(times, [...times].sort().reverse());
  });

  it('$filter semantics match the seeded data (comparison, logical, arithmetic, date functions)', async () => {
    const rows = env.readings.filter((r) => r.sensorId === 'aq-zl-001');
    const count = async (f: string) => (await json(await sta(`Datastreams('aq-zl-001:pm25')/Observations?$count=true&$top=1&$filter=${encodeURIComponent(f)}`)))['@iot.count'];
    const inLast3h = rows.filter((r) => r.ts >= NOW - 180 * MIN);
    assert.equal(await count('result gt 20 and phenomenonTime ge 2026-11-22T09:00:00+08:00'), inLast3h.filter((r) => (r.values.pm25 as number) > 20).length);
    assert.equal(await count('(result eq 10 or result eq 26) and phenomenonTime ge 2026-11-22T09:00:00+08:00'), inLast3h.filter((r) => r.values.pm25 === 10 || r.values.pm25 === 26).length);
    assert.equal(await count('result mul 2 sub 1 ge 45 and phenomenonTime ge 2026-11-22T09:00:00+08:00'), inLast3h.filter((r) => (r.values.pm25 as number) * 2 - 1 >= 45).length);
    assert.equal(await count('hour(phenomenonTime) eq 10'), rows.filter((r) => new Date(r.ts + 8 * 3_600_000).getUTCHours() === 10 && r.ts > NOW - 31 * 86_400_000).length);
    assert.equal(await count("not (result lt 25) and day(phenomenonTime) eq 21"), rows.filter((r) => (r.values.pm25 as number) >= 25 && new Date(r.ts + 8 * 3_600_000).getUTCDate() === 21).length);
    const spikes = await json(await sta(`Datastreams('aq-zl-001:pm25')/Observations?$filter=${encodeURIComponent("phenomenonTime ge 2026-11-22T11:00:00+08:00 and substringof('spike', concat(result, 'x')) eq false")}&$top=2`));
    assert.equal(spikes.value.length, 2);
    // Things filtered by a zh-TW property.
    const things = await json(await sta(`Things?$filter=${encodeURIComponent("properties/township eq '中壢區'")}`));
    assert.deepEqual(things.value.map((t: any) => t['@iot.id']).sort(), ['aq-zl-001', 'wl-zl-001']);
    // Top-level Observations with a path into the Datastream's Thing.
    const top = await json(await sta(`Observations?$count=true&$top=100&$filter=${encodeURIComponent("Datastream/Thing/@iot.id eq 'wl-zl-001'")}`));
    assert.equal(top['@iot.count'], 12);
    const narrowed = await json(await sta(`Observations?$count=true&$filter=${encodeURIComponent("Datastream/@iot.id eq 'aq-zl-001:pm10' and result eq 24 and phenomenonTime ge 2026-11-22T11:00:00+08:00")}`));
    assert.equal(narrowed['@iot.count'], rows.filter((r) => r.ts >= NOW - 60 * MIN && r.values.pm10 === 24).length);
    assert.ok(narrowed.value.every((o: any) => o['@iot.id'].startsWith('aq-zl-001:pm10:')));
  });

  it('$orderby, $select, $skip', async () => {
    const body = await json(await sta(`Datastreams('aq-zl-001:pm25')/Observations?$filter=${encodeURIComponent('phenomenonTime ge 2026-11-22T11:00:00+08:00')}&$orderby=result desc,phenomenonTime asc&$select=result,phenomenonTime&$top=3&$skip=1`));
    const all = env.readings.filter((r) => r.sensorId === 'aq-zl-001' && r.ts >= NOW - 60 * MIN).sort((a, b) => (b.values.pm25 as number) - (a.values.pm25 as number) || a.ts - b.ts);
    assert.deepEqual(body.value.map((o: any) => o.result), all.slice(1, 4).map((r) => r.values.pm25));
    assert.deepEqual(Object.keys(body.value[0]).sort(), ['phenomenonTime', 'result']);
    const things = await json(await sta('Things?$orderby=name desc&$select=name'));
    assert.deepEqual(things.value.map((t: any) => t.name), [...things.value.map((t: any) => t.name)].sort().reverse());
  });

  it('nested $expand, and latest observation per Datastream from one store query', async () => {
    const t = await json(await sta("Things('aq-zl-001')?$expand=Locations,Datastreams($select=name,@iot.id;$expand=Observations($top=1;$orderby=phenomenonTime desc),ObservedProperty)"));
    assert.equal(t.Locations.length, 1);
    const pm = t.Datastreams.find((d: any) => d['@iot.id'] === 'aq-zl-001:pm25');
    assert.equal(pm.Observations.length, 1);
    assert.equal(pm.Observations[0].phenomenonTime, '2026-11-22T11:59:00.000+08:00');
    assert.equal(pm.ObservedProperty['@iot.id'], 'air-quality:pm25');
    const no2 = t.Datastreams.find((d: any) => d['@iot.id'] === 'aq-zl-001:no2');
    assert.deepEqual(no2.Observations, [], 'a field never reported has no observations');
    const latest = (await env.store.latest({ kind: 'air-quality' })).find((r) => r.sensorId === 'aq-ty-002')!;
    const ds = await json(await sta(`Datastreams?$filter=${encodeURIComponent("Thing/@iot.id eq 'aq-ty-002' and properties/field eq 'pm25'")}&$expand=Observations($top=1)`));
    assert.equal(ds.value[0].Observations[0].result, latest.values.pm25);
    const path = await json(await sta("Things?$expand=Datastreams/Observations($top=1)&$top=1"));
    assert.ok(Array.isArray(path.value[0].Datastreams[0].Observations));
    assert.ok(path['@iot.nextLink'].includes('%24skip=1') || path['@iot.nextLink'].includes('$skip=1'));
  });

  it('errors: 404 for unknown entities and sets, 400 for bad options, with a message', async () => {
    for (const [p, status] of [["Things('nope')", 404], ['Widgets', 404], ["Observations('aq-zl-001:pm25:1')", 404], ['Things?$filter=name eq', 400], ['Things?$top=-1', 400], ['Things?$expand=Nope', 400], ['Things?$select=nope', 400], ['Things?$frobnicate=1', 400], [`Observations?$filter=${encodeURIComponent('phenomenonTime ge 2025-01-01T00:00:00Z and phenomenonTime lt 2026-01-01T00:00:00Z')}`, 400]] as const) {
      const res = await sta(p);
      assert.equal(res.status, status, p);
      const body = await res.json() as any;
      assert.equal(body.code, status);
      assert.equal(typeof body.message, 'string');
    }
    const id = `aq-zl-001:pm25:${NOW - MIN}`;
    const o = await json(await sta(`Observations('${id}')`));
    assert.equal(o.result, 11);
    const ds = await json(await sta(`Observations('${id}')/Datastream`));
    assert.equal(ds['@iot.id'], 'aq-zl-001:pm25');
  });
});
