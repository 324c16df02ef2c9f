import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { DEMO_REGISTRY_FILE, demoRegistry } from './validate.ts';

const registry = demoRegistry();
const sensors = [...registry.sensors()];

/**
 * Approximate centres (WGS84) of Taoyuan's districts: a sensor must stand within a
 * radius of its district's centre that fits the district's size (Fuxing is mountainous
 * and large). A coarse check that catches swapped codes or lat/lon mix-ups.
 */
const CENTRES: Record<string, [number, number, number]> = {
  '68000010': [24.995, 121.305, 5], // 桃園區
  '68000020': [24.975, 121.225, 8], // 中壢區 (incl. 青埔)
  '68000030': [24.86, 121.29, 10], // 大溪區
  '68000040': [24.91, 121.14, 8], // 楊梅區
  '68000050': [25.05, 121.28, 7], // 蘆竹區
  '68000060': [25.07, 121.2, 9], // 大園區
  '68000070': [25.02, 121.36, 8], // 龜山區
  '68000080': [24.94, 121.29, 5], // 八德區
  '68000090': [24.85, 121.22, 8], // 龍潭區
  '68000100': [24.93, 121.22, 5], // 平鎮區
  '68000110': [24.97, 121.09, 8], // 新屋區
  '68000120': [25.04, 121.11, 9], // 觀音區
  '68000130': [24.75, 121.38, 20], // 復興區
};

function km(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const x = (lon2 - lon1) * rad * Math.cos(((lat1 + lat2) / 2) * rad);
  const y = (lat2 - lat1) * rad;
  return Math.sqrt(x * x + y * y) * 6371;
}

describe('config/registry.demo.yaml', () => {
  it('lists Taoyuan\'s 13 districts with MOI township codes and bilingual names', () => {
    const districts = [...registry.districts()];
    assert.equal(districts.length, 13);
    assert.deepEqual(districts.map((d) => d.code), Array.from({ length: 13 }, (_, i) => String(68000010 + 10 * i)));
    assert.equal(registry.district('68000020')?.name['zh-TW'], '中壢區');
    for (const d of districts) assert.match(d.name.en, / District$/);
  });

  it('holds about 60 sensors of all four kinds, each inside its district', () => {
    assert.ok(sensors.length >= 60, `${sensors.length} sensors`);
    const kinds = new Set(sensors.map((s) => s.kind));
    assert.deepEqual([...kinds].sort(), ['air-quality', 'parking', 'streetlight', 'water-level']);
    for (const s of sensors) {
      const [lat, lon, r] = CENTRES[s.district.code]!;
      const d = km(lat, lon, s.location.lat, s.location.lon);
      assert.ok(d <= r, `${s.id} is ${d.toFixed(1)} km from the centre of ${s.district.name.en}`);
      assert.notEqual(s.name['zh-TW'], s.name.en);
    }
    assert.equal(new Set(sensors.map((s) => s.district.code)).size, 13, 'every district has a sensor');
  });

  it('ships no secrets and assigns about ten sensors to the LoRaWAN gateway', () => {
    const text = readFileSync(DEMO_REGISTRY_FILE, 'utf8');
    assert.doesNotMatch(text, /secretHash|scrypt\$/);
    const doc = YAML.parse(text) as { gateways: Array<{ id: string }> };
    assert.deepEqual(doc.gateways.map((g) => g.id), ['gw-lora-taoyuan-01']);
    const viaGw = sensors.filter((s) => s.gateway === 'gw-lora-taoyuan-01');
    assert.ok(viaGw.length >= 8 && viaGw.length <= 12);
    assert.ok(viaGw.every((s) => s.kind === 'streetlight' || s.params.station === 'road-flood'));
  });

  it('uses plausible parameters per kind', () => {
    for (const s of sensors) {
      if (s.kind === 'water-level' && s.params.station === 'river') {
        const w = s.params.warningLevels as { level3: number; level2: number; level1: number };
        assert.ok(w.level3 < w.level2 && w.level2 < w.level1, s.id);
        assert.equal(s.intervalSeconds, 600);
      } else if (s.kind === 'water-level') {
        assert.ok([6, 10].includes(s.params.floodThresholdCm as number), s.id);
      } else if (s.kind === 'streetlight') {
        const p = s.params.ratedPowerW as number;
        assert.ok(p >= 60 && p <= 250, s.id);
      } else if (s.kind === 'parking') {
        assert.ok((s.params.capacity as number) >= 50, s.id);
      } else {
        assert.equal(s.intervalSeconds, 60);
      }
    }
    const rivers = new Set(sensors.flatMap((s) => s.tags.filter((t) => t.endsWith('-river'))));
    assert.deepEqual([...rivers].sort(), ['dahan-river', 'laojie-river', 'nankan-river', 'shezi-river', 'xinjie-river']);
    const industrial = sensors.filter((s) => s.tags.includes('industrial')).map((s) => s.name['zh-TW']);
    for (const park of ['觀音工業區', '大園工業區', '中壢工業區']) assert.ok(industrial.some((n) => n.includes(park)), park);
    const lots = sensors.filter((s) => s.kind === 'parking').map((s) => s.name['zh-TW']);
    for (const place of ['桃園火車站', '中壢火車站', '桃園市政府', '高鐵桃園站', '藝文特區']) assert.ok(lots.some((n) => n.includes(place)), place);
  });
});
