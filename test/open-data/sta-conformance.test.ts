import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kindOf, toTaipeiIso, type Reading } from '../../domain/index.ts';
import { CONFORMANCE } from '../../exporter/open-data/sta/routes.ts';
import { MIN, NOW, json, openEnv, reading, seedReadings, type Env } from './fixture.ts';

/** Expected Datastream phenomenonTime: first/last reading of the sensor carrying the field, or undefined. */
function expectedSpan(readings: readonly Reading[], dsId: string): string | undefined {
  const [sensor, field] = dsId.split(':');
  const ts = readings.filter((r) => r.sensorId === sensor && r.values[field!] !== undefined).map((r) => r.ts);
  return ts.length ? `${toTaipeiIso(Math.min(...ts))}/${toTaipeiIso(Math.max(...ts))}` : undefined;
}

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
    assert.deepEqual(ids(pm), [...env.registry.sensors()].filter((s) => kindOf(s.kind).fields.some((f) => f.name === 'floodDepth')).map((s) => s.id).sort());
    assert.ok(ids(pm).length >= 1 && ids(pm).length < 4);
    const allNumbers = await sta(`Things?$filter=${encodeURIComponent("Datastreams/all(d: d/unitOfMeasurement/symbol ne null)")}`);
    const expected = [...env.registry.sensors()].filter((s) => kindOf(s.kind).fields.every((f) => f.unit)).map((s) => s.id).sort();
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
    assert.equal(ds.value.length, kindOf('air-quality').fields.length);
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
    assert.equal(n, kindOf('air-quality').fields.length);
  });

  /** Every item of a collection: the first page inline, the rest by following @iot.nextLink to the end. */
  const collect = async (first: any[], next: string | undefined) => {
    const all = [...first];
    for (let pages = 0; next; pages++) {
      assert.ok(pages < 300, 'nextLinks end');
      const page: any = await json(await fetch(next));
      all.push(...page.value);
      next = page['@iot.nextLink'];
    }
    return all;
  };
  /**
   * For each entity, walks the expanded collection `navs[0]` to the end and compares it with the
   * navigation path's own @iot.count (and the inline count when given), then does the same one
   * level down on every item found, pages reached by nextLinks included.
   */
  const walk = async (entities: any[], navs: readonly string[]): Promise<number> => {
    if (navs.length === 0) return 0;
    const [nav, ...rest] = navs as [string, ...string[]];
    let checked = 0;
    for (const e of entities) {
      assert.ok(Array.isArray(e[nav]), `${e['@iot.id']} has ${nav} expanded`);
      const all = await collect(e[nav], e[`${nav}@iot.nextLink`]);
      const count = (await json(await fetch(`${e['@iot.selfLink']}/${nav}?$count=true&$top=0`)))['@iot.count'];
      assert.equal(all.length, count, `${e['@iot.id']}/${nav}`);
      if (e[`${nav}@iot.count`] !== undefined) assert.equal(e[`${nav}@iot.count`], count);
      assert.equal(new Set(all.map((x) => x['@iot.id'])).size, all.length, 'no item twice');
      checked += 1 + (await walk(all, rest));
    }
    return checked;
  };

  it('OD-S2 nested nextLinks at every depth: Things → Datastreams → Observations, walked to the end', async () => {
    const shapes: [string, string[]][] = [
      ['Things?$top=2&$expand=' + encodeURIComponent('Datastreams($top=1;$expand=Observations($top=400))'), ['Datastreams', 'Observations']],
      ['Things?$top=3&$expand=' + encodeURIComponent('Datastreams($top=2;$count=true;$expand=Observations($top=300;$count=true))'), ['Datastreams', 'Observations']],
      ['Locations?$top=1&$expand=' + encodeURIComponent('Things($expand=Datastreams($top=1;$expand=Observations($top=500)))'), ['Things', 'Datastreams', 'Observations']],
      // The path form A/B(options) keeps B's options in the nextLinks of A.
      ['Things?$top=2&$expand=' + encodeURIComponent('Datastreams/Observations($top=400)'), ['Datastreams', 'Observations']],
      ['Things?$top=2&$expand=' + encodeURIComponent('Datastreams($top=1),Datastreams/Observations($top=400;$count=true)'), ['Datastreams', 'Observations']],
      // The latest-Observation shape ($top=1) has a nextLink too when there are older ones.
      ["Things('wl-zl-001')?$expand=" + encodeURIComponent('Datastreams($expand=Observations($top=1))'), ['Datastreams', 'Observations']],
    ];
    for (const [path, navs] of shapes) {
      const body = await sta(path);
      const top = await collect(body.value ?? [body], body['@iot.nextLink']);
      const total = (await sta(path.replace(/\?.*$/, '?$count=true&$top=0')))['@iot.count'];
      if (body.value) assert.equal(top.length, total, path);
      const checked = await walk(top, navs);
      assert.ok(checked > top.length, `${path}: nested collections walked (${checked})`);
    }
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
    const expected = env.readings.filter((r) => r.ts >= from && r.ts <= NOW).reduce((n, r) => n + Object.keys(r.values).filter((k) => kindOf(r.kind).fields.some((f) => f.name === k)).length, 0);
    assert.equal(all.length, expected);
  });

  it('OD-S9 Datastream phenomenonTime/resultTime: first/last Observation per Datastream, absent without Observations', async () => {
    const all = await sta('Datastreams?$top=1000');
    assert.equal(all.value.length, [...env.registry.sensors()].reduce((n, s) => n + kindOf(s.kind).fields.length, 0));
    let present = 0;
    for (const d of all.value) {
      const want = expectedSpan(env.readings, d['@iot.id']);
      assert.equal(d.phenomenonTime, want, d['@iot.id']);
      assert.equal(d.resultTime, want, d['@iot.id']);
      if (want === undefined) assert.equal('phenomenonTime' in d, false, `${d['@iot.id']}: omitted, not null`);
      else { present++; assert.match(d.phenomenonTime, /^\d{4}-\d\d-\d\dT[\d:.]+\+08:00\/\d{4}-\d\d-\d\dT[\d:.]+\+08:00$/); }
    }
    // aq-zl-001 sends pm25 and pm10 only: its other air-quality Datastreams have no Observations.
    assert.ok(present >= 6 && present < all.value.length, `${present} of ${all.value.length} with Observations`);
    assert.equal((await sta("Datastreams('aq-zl-001:pm25')")).phenomenonTime, `${toTaipeiIso(NOW - 26 * 60 * MIN)}/${toTaipeiIso(NOW - MIN)}`);
    assert.equal('phenomenonTime' in (await sta("Datastreams('aq-zl-001:no2')")), false);
    // The same values through $select, $expand and a property path.
    const sel = await sta("Datastreams('pk-ty-001:availableSpotNumber')?$select=phenomenonTime,resultTime");
    assert.deepEqual(sel, { phenomenonTime: expectedSpan(env.readings, 'pk-ty-001:availableSpotNumber'), resultTime: expectedSpan(env.readings, 'pk-ty-001:availableSpotNumber') });
    const thing = await sta("Things('wl-zl-001')?$expand=Datastreams($select=id,phenomenonTime)");
    for (const d of thing.Datastreams) assert.equal(d.phenomenonTime, expectedSpan(env.readings, d['@iot.id']), d['@iot.id']);
    assert.equal((await sta("Datastreams('wl-zl-001:floodDepth')/phenomenonTime")).phenomenonTime, expectedSpan(env.readings, 'wl-zl-001:floodDepth'));
    const none = await env.get("/sta/v1.1/Datastreams('aq-zl-001:no2')/phenomenonTime");
    assert.equal(none.status, 204);
    const obs = await sta("Observations('aq-zl-001:pm25:" + (NOW - MIN) + "')?$expand=Datastream($select=phenomenonTime)");
    assert.equal(obs.Datastream.phenomenonTime, expectedSpan(env.readings, 'aq-zl-001:pm25'));
  });

  it('OD-S9 $filter and $orderby on Datastream phenomenonTime (an interval: gt = starts after, lt = ends before)', async () => {
    const withObs = (await sta('Datastreams?$top=1000')).value.filter((d: any) => d.phenomenonTime).map((d: any) => d['@iot.id']);
    const t11 = encodeURIComponent('2026-11-22T11:00:00+08:00');
    // Starts after 11:00: the car park (readings from 11:30).
    assert.deepEqual(ids(await sta(`Datastreams?$filter=phenomenonTime%20gt%20${t11}`)), ['pk-ty-001:availableSpotNumber', 'pk-ty-001:occupiedSpotNumber', 'pk-ty-001:totalSpotNumber']);
    // Ends before 11:00: the private sensor, silent since 10:59.
    assert.deepEqual(ids(await sta(`Datastreams?$filter=resultTime%20lt%20${t11}`)), ['aq-ty-002:pm25']);
    assert.deepEqual(ids(await sta(`Datastreams?$filter=phenomenonTime%20ne%20null&$top=1000`)), [...withObs].sort());
    assert.equal((await sta(`Datastreams?$filter=phenomenonTime%20eq%20null&$count=true&$top=1`))['@iot.count'], (await sta('Datastreams?$count=true&$top=1'))['@iot.count'] - withObs.length);
    assert.deepEqual(ids(await sta(`Things?$filter=${encodeURIComponent('Datastreams/any(d: d/phenomenonTime gt 2026-11-22T11:00:00+08:00)')}`)), ['pk-ty-001']);
    assert.equal((await sta(`Datastreams?$filter=year(phenomenonTime)%20eq%202026&$count=true&$top=1`))['@iot.count'], withObs.length);
    // Ordered by start, then end; ties by id.
    const ordered = await sta('Datastreams?$filter=phenomenonTime%20ne%20null&$orderby=phenomenonTime&$top=1000&$select=id');
    assert.deepEqual(ordered.value.map((d: any) => d['@iot.id']), ['aq-zl-001:pm10', 'aq-zl-001:pm25', 'aq-ty-002:pm25', 'wl-zl-001:floodDepth', 'pk-ty-001:availableSpotNumber', 'pk-ty-001:occupiedSpotNumber', 'pk-ty-001:totalSpotNumber']);
    const desc = await sta('Datastreams?$orderby=phenomenonTime%20desc&$top=1&$select=id');
    assert.equal(desc.value[0]['@iot.id'], 'pk-ty-001:availableSpotNumber');
  });

  it('datamodel: Datastreams carry observedArea (the public point); resource paths reach properties and $value', async () => {
    const d = await sta("Datastreams('aq-zl-001:pm25')");
    assert.deepEqual(d.observedArea, { type: 'Point', coordinates: [121.2256, 24.9537] });
    const name = await env.get("/sta/v1.1/Things('aq-zl-001')/name/$value");
    assert.equal(await name.text(), env.registry.sensor('aq-zl-001')!.name['zh-TW']);
  });
});

describe('OD-S9 Datastream spans follow the store', () => {
  let env: Env;
  before(async () => { env = await openEnv({}, false); });
  after(async () => { await env.close(); });
  const ds = async (id: string) => json(await env.get(`/sta/v1.1/Datastreams('${id}')`));

  it('a sensor without readings has no phenomenonTime; a new latest reading moves the end at the next request', async () => {
    const wl = seedReadings().filter((r) => r.sensorId === 'wl-zl-001');
    await env.store.writeReadings(wl);
    assert.equal((await ds('wl-zl-001:floodDepth')).phenomenonTime, expectedSpan(wl, 'wl-zl-001:floodDepth'));
    for (const id of ['aq-zl-001:pm25', 'pk-ty-001:totalSpotNumber', 'wl-zl-001:currentLevel']) assert.equal('phenomenonTime' in (await ds(id)), false, id);
    const page = await json(await env.get('/sta/v1.1/Datastreams?$filter=phenomenonTime%20ne%20null'));
    assert.deepEqual(page.value.map((d: any) => d['@iot.id']), ['wl-zl-001:floodDepth']);
    const newer = reading('wl-zl-001', 'water-level', '6800200', NOW + MIN, { floodDepth: 2 });
    await env.store.writeReadings([newer]);
    assert.equal((await ds('wl-zl-001:floodDepth')).phenomenonTime, expectedSpan([...wl, newer], 'wl-zl-001:floodDepth'));
    // A sensor's first reading: its Datastreams appear in a time filter at once.
    await env.store.writeReadings([reading('pk-ty-001', 'parking', '6800100', NOW, { totalSpotNumber: 120 })]);
    const after = await json(await env.get('/sta/v1.1/Datastreams?$filter=phenomenonTime%20ne%20null'));
    assert.deepEqual(after.value.map((d: any) => d['@iot.id']), ['pk-ty-001:totalSpotNumber', 'wl-zl-001:floodDepth']);
    assert.equal(after.value[0].phenomenonTime, `${toTaipeiIso(NOW)}/${toTaipeiIso(NOW)}`);
  });
});
