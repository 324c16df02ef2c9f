import moenv from '../../alerts/aqi/moenv-2025.json';
import { lang } from './i18n.ts';

/** MOENV AQI bands (standards/moenv-aqi-2025.md): colour AND text, never colour alone. */
const AQI = [
  { max: 50, color: '#00e400', zh: '良好', en: 'Good' },
  { max: 100, color: '#ffff00', zh: '普通', en: 'Moderate' },
  { max: 150, color: '#ff7e00', zh: '對敏感族群不健康', en: 'Unhealthy for sensitive groups' },
  { max: 200, color: '#ff0000', zh: '對所有族群不健康', en: 'Unhealthy' },
  { max: 300, color: '#8f3f97', zh: '非常不健康', en: 'Very unhealthy' },
  { max: Infinity, color: '#7e0023', zh: '危害', en: 'Hazardous' },
];
export const aqiBand = (v: number) => AQI.find((b) => v <= b.max)!;

/** PM2.5 → sub-index from the versioned breakpoint table the alert engine uses (data, not code); colours a latest value only. */
const PM25 = (moenv as unknown as { breakpoints: { pm25: { rows: [number, number, number, number][] } } }).breakpoints.pm25.rows;
export function pm25Aqi(c: number): number {
  const r = PM25.find(([, hi]) => c <= hi) ?? PM25[PM25.length - 1]!;
  const [lo, hi, ilo, ihi] = r;
  return Math.round(((ihi - ilo) / (hi - lo)) * (Math.min(c, hi) - lo) + ilo);
}

const PM10 = (moenv as unknown as { breakpoints: { pm10: { rows: [number, number, number, number][] } } }).breakpoints.pm10.rows;
const sub = (rows: [number, number, number, number][], c: number) => {
  const r = rows.find(([, hi]) => c <= hi) ?? rows[rows.length - 1]!;
  const [lo, hi, ilo, ihi] = r;
  return Math.round(((ihi - ilo) / (hi - lo)) * (Math.min(c, hi) - lo) + ilo);
};
/** Indicative AQI from latest PM values (the official index uses 12 h/4 h moving averages): the larger sub-index and its pollutant. */
export function indicativeAqi(v: Record<string, unknown>): { aqi: number; pollutant: string } | undefined {
  const c: { aqi: number; pollutant: string }[] = [];
  if (typeof v.pm25 === 'number') c.push({ aqi: sub(PM25, v.pm25), pollutant: 'PM2.5' });
  if (typeof v.pm10 === 'number') c.push({ aqi: sub(PM10, v.pm10), pollutant: 'PM10' });
  return c.sort((a, b) => b.aqi - a.aqi)[0];
}

export const GREY = '#9e9e9e';
export const SEVERITY_COLOR: Record<string, string> = { critical: '#b71c1c', warning: '#e65100', advisory: '#f9a825' };

export interface Style { color: string; text: string }
type Vals = Record<string, unknown>;

/** Point style by kind and state (CO8): AQI colour, warning level, flood depth, free share, fault; grey when not live. */
export function sensorStyle(kind: string, params: Record<string, unknown> | undefined, values: Vals | undefined, stale: boolean): Style {
  const en = lang.value === 'en';
  if (!values || stale) return { color: GREY, text: en ? 'not live' : '非即時' };
  if (kind === 'air-quality' && typeof values.pm25 === 'number') {
    const aqi = pm25Aqi(values.pm25);
    const b = aqiBand(aqi);
    return { color: b.color, text: `AQI ${aqi} ${en ? b.en : b.zh}` };
  }
  if (kind === 'water-level') {
    const wl = (params?.warningLevels ?? {}) as { level1?: number; level2?: number; level3?: number };
    if (typeof values.currentLevel === 'number') {
      const v = values.currentLevel;
      if (wl.level1 !== undefined && v >= wl.level1) return { color: '#b71c1c', text: en ? 'warning level 1' : '一級警戒' };
      if (wl.level2 !== undefined && v >= wl.level2) return { color: '#e65100', text: en ? 'warning level 2' : '二級警戒' };
      if (wl.level3 !== undefined && v >= wl.level3) return { color: '#f9a825', text: en ? 'warning level 3' : '三級警戒' };
      return wl.level3 !== undefined ? { color: '#1565c0', text: en ? 'below warning' : '未達警戒' } : { color: '#1565c0', text: '' };
    }
    if (typeof values.floodDepth === 'number') {
      const th = typeof params?.floodThresholdCm === 'number' ? params.floodThresholdCm : 10;
      const d = values.floodDepth;
      return d >= th * 3 ? { color: '#b71c1c', text: en ? `severe flooding ${d} cm` : `嚴重積淹水 ${d} cm` } : d >= th ? { color: '#e65100', text: en ? `flooding ${d} cm` : `積淹水 ${d} cm` } : { color: '#1565c0', text: en ? `dry (${d} cm)` : `無積水 (${d} cm)` };
    }
  }
  if (kind === 'parking' && typeof values.availableSpotNumber === 'number' && typeof values.totalSpotNumber === 'number' && values.totalSpotNumber > 0) {
    const share = values.availableSpotNumber / values.totalSpotNumber;
    const txt = `${values.availableSpotNumber}/${values.totalSpotNumber}`;
    return share <= 0 ? { color: '#b71c1c', text: en ? `full ${txt}` : `已滿 ${txt}` } : share < 0.1 ? { color: '#e65100', text: en ? `almost full ${txt}` : `將滿 ${txt}` } : { color: '#2e7d32', text: en ? `free ${txt}` : `尚有空位 ${txt}` };
  }
  if (kind === 'streetlight') {
    if (values.status !== undefined && values.status !== 'ok') return { color: '#6a1b9a', text: en ? `fault: ${String(values.status)}` : `故障：${String(values.status)}` };
    return { color: values.powerState === 'on' ? '#fbc02d' : '#5d4037', text: en ? `ok, ${String(values.powerState ?? '')}` : `正常，${values.powerState === 'on' ? '點亮' : values.powerState === 'off' ? '關閉' : String(values.powerState ?? '')}` };
  }
  return { color: '#455a64', text: '' };
}
