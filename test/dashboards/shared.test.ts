import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KIND_NAMES } from '../../domain/index.ts';
import { renderDashboards } from '../../dashboards/generate.ts';
import { AQI_BAND_COLOURS, AQI_TABLE_VERSION, MOENV_PM25_BREAKPOINTS, READINGS_FROM, measurementOf, pm25Bands } from '../../dashboards/src/shared.ts';

interface Json {
  uid: string;
  templating: { list: Array<{ name: string }> };
  annotations: { list: Array<{ name: string; target?: { query?: string } }> };
}
const byUid = new Map(Object.values(renderDashboards()).map((t) => [(JSON.parse(t) as Json).uid, JSON.parse(t) as Json]));

test('every MOENV breakpoint table has five increasing band floors and the current one exists', () => {
  assert.ok(AQI_TABLE_VERSION in MOENV_PM25_BREAKPOINTS);
  for (const [version, lows] of Object.entries(MOENV_PM25_BREAKPOINTS)) {
    assert.equal(lows.length, AQI_BAND_COLOURS.length - 1, version);
    for (let i = 1; i < lows.length; i++) assert.ok((lows[i] as number) > (lows[i - 1] as number), `${version} must increase`);
  }
  const steps = pm25Bands().build().steps;
  assert.equal(steps[0]?.value, null);
  assert.deepEqual(steps.map((s) => s.color), [...AQI_BAND_COLOURS]);
  assert.throws(() => pm25Bands('1999-01-01'), /unknown MOENV table version/);
});

test('reading measurements are derived from the kind list', () => {
  assert.equal(measurementOf('air-quality'), 'air_quality');
  for (const k of KIND_NAMES) assert.ok(READINGS_FROM.includes(measurementOf(k)), k);
  assert.ok(new RegExp(READINGS_FROM.slice(1, -1)).test('water_level'));
  assert.ok(!new RegExp(READINGS_FROM.slice(1, -1)).test('alert_events'));
});

test('template variables: district, kind and sensor on the overview; district and sensor per kind', () => {
  const names = (uid: string) => byUid.get(uid)?.templating.list.map((v) => v.name) ?? [];
  assert.deepEqual(names('civic-overview'), ['district', 'kind', 'sensor']);
  for (const uid of ['civic-air-quality', 'civic-water-level', 'civic-streetlight', 'civic-parking']) {
    assert.ok(names(uid).includes('district') && names(uid).includes('sensor'), uid);
  }
});

test('alert events are annotations on every sensor dashboard, narrowed to its kind', () => {
  for (const [uid, kind] of [['civic-air-quality', 'air-quality'], ['civic-water-level', 'water-level'], ['civic-streetlight', 'streetlight'], ['civic-parking', 'parking']] as const) {
    const list = byUid.get(uid)?.annotations.list ?? [];
    assert.equal(list.length, 2, uid);
    for (const a of list) {
      assert.match(a.target?.query ?? '', /FROM "alert_events"/);
      assert.ok(a.target?.query?.includes(`"kind" =~ /^${kind}$/`), `${uid}: ${a.name}`);
    }
  }
  assert.ok((byUid.get('civic-overview')?.annotations.list ?? []).every((a) => a.target?.query?.includes('"kind" =~ /^$kind$/')));
});
