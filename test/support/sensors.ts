import type { Sensor } from '../../domain/index.ts';

const district = { code: '68000020', name: { 'zh-TW': '中壢區', en: 'Zhongli District' } };

/** One sensor per kind (and both water-level station types), shaped like registry entries. */
export const sensors: Record<'aq' | 'river' | 'flood' | 'light' | 'lot', Sensor> = {
  aq: { id: 'aq-test-1', kind: 'air-quality', name: { 'zh-TW': '中壢測站', en: 'Zhongli station' }, district, location: { lat: 24.95, lon: 121.22 }, intervalSeconds: 60, params: { pollutants: ['pm25', 'pm10'] }, tags: [] },
  river: { id: 'wl-test-1', kind: 'water-level', name: { 'zh-TW': '老街溪水位站', en: 'Laojie River gauge' }, district, location: { lat: 24.96, lon: 121.22 }, intervalSeconds: 600, params: { station: 'river', warningLevels: { level3: 2.5, level2: 3.2, level1: 4 } }, tags: [] },
  flood: { id: 'fl-test-1', kind: 'water-level', name: { 'zh-TW': '中正路淹水感測', en: 'Zhongzheng Rd flood sensor' }, district, location: { lat: 24.95, lon: 121.23 }, intervalSeconds: 300, params: { station: 'road-flood', floodThresholdCm: 10 }, tags: [] },
  light: { id: 'sl-test-1', kind: 'streetlight', name: { 'zh-TW': '中央西路路燈', en: 'Zhongyang W. Rd light' }, district, location: { lat: 24.95, lon: 121.22 }, intervalSeconds: 300, params: { schedule: { on: '17:30', off: '06:00' }, ratedPowerW: 120 }, tags: [] },
  lot: { id: 'pk-test-1', kind: 'parking', name: { 'zh-TW': '中壢火車站停車場', en: 'Zhongli Station car park' }, district, location: { lat: 24.95, lon: 121.23 }, intervalSeconds: 120, params: { capacity: 200 }, tags: [] },
};
