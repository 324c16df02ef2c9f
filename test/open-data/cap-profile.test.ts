import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { loadAqiTable } from '../../alerts/aqi/table.ts';
import { loadRules } from '../../alerts/config/load.ts';
import { createAlertEngine } from '../../alerts/engine.ts';
import { SCENARIOS, buildScenario, scenarioStart } from '../../alerts/scenarios.ts';
import type { Alert, AlertChange, Reading } from '../../domain/index.ts';
import { capXml } from '../../exporter/open-data/cap/document.ts';
import { capOf } from '../../exporter/open-data/cap/map.ts';
import { buildContext, type AlertPolicy } from '../../exporter/open-data/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/index.ts';
import { T0 } from '../analytics/fixtures.ts';
import { requireXsd, xmllint, xpath } from './xml.ts';

const info = (n: number, local: string) => `/*[local-name()='alert']/*[local-name()='info'][${n}]/*[local-name()='${local}']`;
const area = (n: number, local: string) => `${info(n, 'area')}/*[local-name()='${local}']`;
const text = async (doc: string, expr: string) => (await xpath(doc, `string(${expr})`)).trim();

/** A context over a registry; the store is never read by capOf (it maps one alert). */
function context(registry: Registry, policy: Partial<AlertPolicy> = {}) {
  const logger = pino({ level: 'silent' });
  return buildContext({
    store: new DuckDbStore({ path: ':memory:', logger, metrics: new MetricsRegistry() }),
    registry, logger, metrics: new MetricsRegistry(),
    publisher: { capSender: 'alerts.tycg.example', url: 'https://opendata.tycg.example' },
    alertPolicy: { isPublic: () => true, status: () => 'Actual', ...policy },
  });
}

/** Every scenario through the shipped rules on the demo registry: all the CAP documents the demo can produce (OD-A1…OD-A4). */
describe('CAP profile (OD-A1–OD-A4)', async () => {
  const xsd = requireXsd();
  const registry = await Registry.load('config/registry.demo.yaml');
  const sensors = [...registry.sensors()];
  const rules = await loadRules(['config/rules.default.yaml']);
  const table = loadAqiTable();

  function play(name: (typeof SCENARIOS)[number]): Alert[] {
    const sc = buildScenario(name, sensors);
    const start = scenarioStart(sc, T0);
    const involved = new Set(sc.readings.map((r) => r.sensorId));
    const engine = createAlertEngine({ rules, aqiTable: table, sensors: () => sensors.filter((s) => involved.has(s.id)) });
    const changes: AlertChange[] = [];
    let nextTick = start;
    let seq = 1;
    for (const sr of [...sc.readings].sort((a, b) => a.atMs - b.atMs)) {
      const ts = start + sr.atMs;
      for (; nextTick <= ts; nextTick += 60_000) changes.push(...engine.onTick(nextTick));
      const s = registry.sensor(sr.sensorId)!;
      const r: Reading = { seq: seq++, sensorId: s.id, kind: s.kind, district: s.district.code, ts, receivedAt: ts, flags: 0, values: sr.values };
      changes.push(...engine.onReading(r, s));
    }
    for (; nextTick <= start + sc.durationMs; nextTick += 60_000) changes.push(...engine.onTick(nextTick));
    return changes.map((c) => c.alert);
  }

  for (const name of SCENARIOS) {
    it(`${name}: every CAP document validates against CAP 1.2 and has expires, the district polygon, instructions in zh-TW and en`, async () => {
      const ctx = context(registry);
      const alerts = play(name);
      assert.ok(alerts.length > 0, `${name} produced no alerts`);
      for (const a of alerts) {
        const doc = capXml(capOf(ctx, a, `https://opendata.tycg.example/open-data/v1/alerts/cap/${encodeURIComponent(a.id)}.xml`));
        await assert.doesNotReject(xmllint(doc, ['--noout', '--schema', xsd]), `${a.id} must validate`);
        assert.equal(await text(doc, "/*[local-name()='alert']/*[local-name()='sender']"), 'alerts.tycg.example');
        for (const [n, lang] of [[1, 'zh-TW'], [2, 'en-US']] as const) {
          assert.equal(await text(doc, info(n, 'language')), lang);
          const effective = Date.parse(await text(doc, info(n, 'effective')));
          const expires = Date.parse(await text(doc, info(n, 'expires')));
          assert.equal(expires - effective, 360 * 60_000, 'default expiry 6 h after effective');
          const instruction = await text(doc, info(n, 'instruction'));
          assert.ok(instruction.length > 5);
          if (n === 1) assert.match(instruction, /[\u4e00-\u9fff]/, 'zh-TW instruction');
          else assert.doesNotMatch(instruction, /[\u4e00-\u9fff]/, 'English instruction');
          assert.ok((await text(doc, info(n, 'contact'))).length > 0);
          assert.ok((await text(doc, `${info(n, 'eventCode')}/*[local-name()='value']`)).length > 0);
          // The demo registry's districts carry (illustrative) boundaries: polygon, no fallback circle.
          const polygon = await text(doc, area(n, 'polygon'));
          const pairs = polygon.split(' ');
          assert.ok(pairs.length >= 4 && pairs[0] === pairs[pairs.length - 1], polygon);
          assert.equal(Number(await xpath(doc, `count(${area(n, 'circle')})`)), 0);
          assert.equal(await text(doc, `${area(n, 'geocode')}/*[local-name()='valueName']`), 'Taiwan_Geocode_103');
          assert.equal(await text(doc, `${area(n, 'geocode')}/*[local-name()='value']`), a.district);
        }
      }
    });
  }

  it('rule CAP fields (expiry, instruction, event codes, contact) override the defaults', async () => {
    const a = play('flood')[0]!;
    const ctx = context(registry, { profile: () => ({ expiresMinutes: 90, instruction: { 'zh-TW': '請立即撤離', en: 'Evacuate now' }, eventCodes: [{ valueName: 'OET:v1.2', value: 'OET-029' }], contact: '1999' }) });
    const doc = capXml(capOf(ctx, a, 'https://opendata.tycg.example/x.xml'));
    await assert.doesNotReject(xmllint(doc, ['--noout', '--schema', xsd]));
    assert.equal(Date.parse(await text(doc, info(1, 'expires'))) - Date.parse(await text(doc, info(1, 'effective'))), 90 * 60_000);
    assert.equal(await text(doc, info(1, 'instruction')), '請立即撤離');
    assert.equal(await text(doc, info(2, 'instruction')), 'Evacuate now');
    assert.equal(await text(doc, `${info(1, 'eventCode')}/*[local-name()='value']`), 'OET-029');
    assert.equal(await text(doc, info(2, 'contact')), '1999');
  });

  it('without a district boundary the area falls back to a circle around the sensor', async () => {
    const yaml = `districts:\n  - { code: "6800200", name: { zh-TW: 中壢區, en: Zhongli } }\nsensors:\n  - { id: wl-1, kind: water-level, name: { zh-TW: "路面\u0007淹水", en: "Flood\u0001 sensor" }, district: "6800200", location: { lat: 24.96, lon: 121.22 }, params: { station: road-flood, floodThresholdCm: 10 }, secretHash: "scrypt$x" }\n`;
    const reg = Registry.parse(yaml, 'inline.yaml');
    const alert: Alert = { id: 'wl-1:flood', ruleId: 'water.road.flood', subject: 'wl-1', kind: 'water-level', district: '6800200', severity: 'warning', state: 'open', openedAt: T0, updatedAt: T0, field: 'floodDepth', value: 12, threshold: 10, message: { 'zh-TW': '淹水\u0002', en: 'Flooding\u000b' } };
    const doc = capXml(capOf(context(reg), alert, 'https://opendata.tycg.example/x.xml'));
    // OD-A4: control characters in names and messages cannot break the document.
    await assert.doesNotReject(xmllint(doc, ['--noout', '--schema', xsd]));
    assert.match(await text(doc, area(1, 'circle')), /^24\.96,121\.22 0\.5$/);
    assert.equal(Number(await xpath(doc, `count(${area(1, 'polygon')})`)), 0);
  });
});
