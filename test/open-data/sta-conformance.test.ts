import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KINDS } from '../../domain/index.ts';
import { CONFORMANCE } from '../../exporter/open-data/sta/routes.ts';
import { NOW, json, openEnv, type Env } from './fixture.ts';

/**
 * The SensorThings request suite (OD-S1…OD-S8) over real HTTP: at least one test per
 * conformance requirement the service root claims. Fixture sensors (public locations):
 * aq-zl-001 24.9537,121.2256 · wl-zl-001 24.96,121.22 (Zhongli) · pk-ty-001 24.99,121.31 ·
 * aq-ty-002 coarsened to 24.985,121.315 (Taoyuan).
 */
describe('SensorThings conformance suite (OD-S1–OD-S8)', () => {
  let env: Env;
  before(async () => { env = await openEnv(); });
  after(async () => { await env.close(); });
  const sta = async (p: string, status = 200) => {
    const res = await env.get(`/sta/v1.1/${p}`);
    const body = (await res.json()) as any;
    assert.equal(res.status, status, `${p}: ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };
  const ids = (body: any) => body.value.map((v: any) => v['@iot.id']).sort();
  /** A bbox around Zhongli's two fixture sensors, as WKT (lon lat). */
  const ZHONGLI = "geography'POLYGON((121.21 24.95, 121.23 24.95, 121.23 24.965, 121.21 24.965, 121.21 24.95))'";

  it('req/request-data: the root claims exactly the tested classes, read-only, no MQTT section', async () => {
    const body = await sta('');
    assert.deepEqual(body.serverSettings.conformance, CONFORMANCE);
    assert.equal('mqtt' in body.serverSettings, false);
    for (const c of body.serverSettings.conformance) assert.doesNotMatch(c, /create-update-delete|batch|mqtt/);
  });

  it('OD-S1 geo functions: st_within / st_intersects / geo.intersects on Locations give the bbox ids', async () => {
    for (const fn of ['st_within(location, ', 'st_intersects(location, ', 'geo.intersects(location, ']) {
      assert.deepEqual(ids(await sta(`Locations?$filter=${encodeURIComponent(`${fn}${ZHONGLI})`)}`)), ['aq-zl-001', 'wl-zl-001'], fn);
    }
    assert.deepEqual(ids(await sta(`Locations?$filter=${encodeURIComponent(`st_contains(${ZHONGLI}, location)`)}`)), ['aq-zl-001', 'wl-zl-001']);
    assert.deepEqual(ids(await sta(`FeaturesOfInterest?$filter=${encodeURIComponent(`st_disjoint(feature, ${ZHONGLI})`)}`)), ['aq-ty-002', 'pk-ty-001']);
    assert.deepEqual(ids(await sta(`Locations?$filter=${encodeURIComponent("st_equals(location, geography'POINT(121.31 24.99)')")}`)), ['pk-ty-001']);
  });

  it('OD-S1 geo.distance in metres and geo.length; a lambda filters Things by their Location', async () => {
    // 121.2256,24.9537 → 121.22,24.96 is about 0.9 km; 5 km from Zhongli station reaches neither Taoyuan sensor (~9 km).
    const near = await sta(`Locations?$filter=${encodeURIComponent("geo.distance(location, geography'POINT(121.2256 24.9537)') lt 5000")}`);
    assert.deepEqual(ids(near), ['aq-zl-001', 'wl-zl-001']);
    const exact = await sta(`Locations?$filter=${encodeURIComponent("geo.distance(location, geography'POINT(121.2256 24.9537)') lt 1")}`);
    assert.deepEqual(ids(exact), ['aq-zl-001']);
    const long = await sta(`Things?$filter=${encodeURIComponent("geo.length(geography'LINESTRING(121.0 25.0, 121.0 25.1)') gt 11000 and geo.length(geography'LINESTRING(121.0 25.0, 121.0 25.1)') lt 11200")}`);
    assert.equal(long.value.length, 4);
    const things = await sta(`Things?$filter=${encodeURIComponent(`Locations/any(l: st_within(l/location, ${ZHONGLI}))`)}`);
    assert.deepEqual(ids(things), ['aq-zl-001', 'wl-zl-001']);
    await sta(`Locations?$filter=${encodeURIComponent("st_within(location, geography'POLYGON((1 2, 3')")}`, 400);
    await sta(`Locations?$filter=${encodeURIComponent("st_relate(location, geography'POINT(1 2)', 'T********')")}`, 400);
  });

  it('OD-S3 lambda any()/all() over Datastreams and nested paths', async () => {
    const pm = await sta(`Things?$filter=${encodeURIComponent("Datastreams/any(d: d/properties/field eq 'floodDepth')")}`);
    assert.deepEqual(ids(pm), [...env.registry.sensors()].filter((s) => KINDS[s.kind].fields.some((f) => f.name === 'floodDepth')).map((s) => s.id).sort());
    assert.ok(ids(pm).length >= 1 && ids(pm).length < 4);
    const allNumbers = await sta(`Things?$filter=${encodeURIComponent("Datastreams/all(d: d/unitOfMeasurement/symbol ne null)")}`);
    const expected = [...env.registry.sensors()].filter((s) => KINDS[s.kind].fields.every((f) => f.unit)).map((s) => s.id).sort();
    assert.deepEqual(ids(allNumbers), expected);
    const anyDs = await sta(`Things?$filter=${encodeURIComponent('Datastreams/any()')}`);
    assert.equal(anyDs.value.length, 4);
    const viaThing = await sta(`Datastreams?$filter=${encodeURIComponent("Thing/Locations/any(l: st_within(l/location, " + ZHONGLI + ")) and properties/field eq 'pm25'")}`);
    assert.deepEqual(ids(viaThing), ['aq-zl-001:pm25']);
    await sta(`Things?$filter=${encodeURIComponent("Datastreams/Observations/any(o: o/result gt 1)")}`, 400);
  });

  it('OD-S4 an unknown property in $filter or $orderby is a 400 naming it', async () => {
    const e = await sta(`Things?$filter=${encodeURIComponent("nmae eq 'x'")}`, 400);
    assert.match(e.message, /nmae/);
    await sta(`Datastreams?$filter=${encodeURIComponent("Thing/nope eq 1")}`, 400);
    await sta(`Things?$orderby=colour`, 400);
    await sta(`Things?$expand=${encodeURIComponent('Datastreams($filter=bogus gt 1)')}`, 400);
    // Free JSON below properties stays open (a missing key is simply no match).
    assert.equal((await sta(`Things?$filter=${encodeURIComponent("properties/nothing eq 'x'")}`)).value.length, 0);
  });

  it('OD-S7 $ref on collections, navigation collections and single navigation', async () => {
    const refs = await sta('Things/$ref');
    assert.equal(refs.value.length, 4);
    for (const r of refs.value) assert.deepEqual(Object.keys(r), ['@iot.selfLink']);
    assert.match(refs.value[0]['@iot.selfLink'], /\/sta\/v1\.1\/Things\('/);
    const ds = await sta("Things('aq-zl-001')/Datastreams/$ref");
    assert.equal(ds.value.length, KINDS['air-quality'].fields.length);
    const one = await sta("Datastreams('aq-zl-001:pm25')/Thing/$ref");
    assert.deepEqual(Object.keys(one), ['@iot.selfLink']);
    assert.match(one['@iot.selfLink'], /Things\('aq-zl-001'\)$/);
    assert.equal((await sta(`Things/$ref?$filter=${encodeURIComponent("properties/townshipCode eq '6800200'")}`)).value.length, 2);
  });

  it('OD-S2 nested nextLinks inside $expand, walked to the end, match @iot.count', async () => {
    const body = await sta(`Datastreams('aq-zl-001:pm25')?$expand=${encodeURIComponent('Observations($top=100;$count=true;$filter=phenomenonTime ge 2026-11-22T00:00:00+08:00)')}`);
    const total = body['Observations@iot.count'];
    assert.ok(total > 100, `count ${total}`);
    let seen = body.Observations.length;
    let next: string | undefined = body['Observations@iot.nextLink'];
    let pages = 0;
    while (next) {
      const page: any = await json(await fetch(next));
      seen += page.value.length;
      if (page['@iot.count'] !== undefined) assert.equal(page['@iot.count'], total);
      next = page['@iot.nextLink'];
      assert.ok(++pages < 100);
    }
    assert.equal(seen, total);
    const things = await sta(`Things('aq-zl-001')?$expand=${encodeURIComponent('Datastreams($top=1)')}`);
    assert.ok(things['Datastreams@iot.nextLink'], 'an expanded to-many collection with more items has a nextLink');
    let n = things.Datastreams.length;
    for (let link: string | undefined = things['Datastreams@iot.nextLink']; link; ) {
      const page: any = await json(await fetch(link));
      n += page.value.length;
      link = page['@iot.nextLink'];
    }
    assert.equal(n, KINDS['air-quality'].fields.length);
  });

  it('OD-S5 $resultFormat=dataArray: components and arrays per Datastream; other formats are 400', async () => {
    const body = await sta(`Datastreams('aq-zl-001:pm25')/Observations?$resultFormat=dataArray&$top=5`);
    assert.equal(body.value.length, 1);
    const d = body.value[0];
    assert.match(d['Datastream@iot.navigationLink'], /Datastreams\('aq-zl-001:pm25'\)$/);
    assert.deepEqual(d.components, ['id', 'phenomenonTime', 'resultTime', 'result', 'resultQuality']);
    assert.equal(d['dataArray@iot.count'], 5);
    assert.equal(d.dataArray.length, 5);
    for (const row of d.dataArray) assert.equal(row.length, 5);
    const plain = await sta(`Datastreams('aq-zl-001:pm25')/Observations?$top=5`);
    assert.deepEqual(d.dataArray.map((r: any[]) => r[3]), plain.value.map((o: any) => o.result));
    const sel = await sta(`Datastreams('aq-zl-001:pm25')/Observations?$resultFormat=dataArray&$top=2&$select=result,phenomenonTime`);
    assert.deepEqual(sel.value[0].components, ['result', 'phenomenonTime']);
    assert.ok(body['@iot.nextLink']);
    await sta('Observations?$resultFormat=csv', 400);
    await sta('Things?$resultFormat=dataArray', 400);
  });

  it('OD-S6 top-level /Observations pages Datastream by Datastream; the pages add up', async () => {
    const all: string[] = [];
    let next: string | undefined = `${env.url}/sta/v1.1/Observations?$top=500&$filter=${encodeURIComponent('phenomenonTime ge 2026-11-22T10:00:00+08:00')}`;
    while (next) {
      const page: any = await json(await fetch(next));
      all.push(...page.value.map((o: any) => o['@iot.id']));
      next = page['@iot.nextLink'];
    }
    assert.equal(new Set(all).size, all.length, 'no observation twice');
    const from = Date.parse('2026-11-22T10:00:00+08:00');
    const expected = env.readings.filter((r) => r.ts >= from && r.ts <= NOW).reduce((n, r) => n + Object.keys(r.values).filter((k) => KINDS[r.kind].fields.some((f) => f.name === k)).length, 0);
    assert.equal(all.length, expected);
  });

  it('datamodel: Datastreams carry observedArea (the public point); resource paths reach properties and $value', async () => {
    const d = await sta("Datastreams('aq-zl-001:pm25')");
    assert.deepEqual(d.observedArea, { type: 'Point', coordinates: [121.2256, 24.9537] });
    const name = await env.get("/sta/v1.1/Things('aq-zl-001')/name/$value");
    assert.equal(await name.text(), env.registry.sensor('aq-zl-001')!.name['zh-TW']);
  });
});
