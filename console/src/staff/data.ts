import { shallowRef } from 'vue';
import { api } from '../http.ts';
import { kindInfo } from '../kinds.ts';

export interface Sensor {
  id: string; kind: string; name: { 'zh-TW': string; en: string }; district: { code: string; name: { 'zh-TW': string; en: string } };
  location: { lat: number; lon: number }; intervalSeconds: number; params: Record<string, unknown>; tags: string[];
  status?: { ts: string; online?: boolean; batteryLevel?: number; firmwareVersion?: string };
}
export interface Latest { sensorId: string; tsMs: number; values: Record<string, unknown>; units: Record<string, string>; stale: boolean }

export const sensors = shallowRef<Sensor[]>([]);
export const latest = shallowRef(new Map<string, Latest>());
let loadedAt = 0;

/** The registry and latest values, fetched once per 30 s at most and shared by every view. */
export async function loadFleet(force = false): Promise<void> {
  if (!force && Date.now() - loadedAt < 30_000 && sensors.value.length) return;
  loadedAt = Date.now();
  const all: Sensor[] = [];
  let next: string | null = '/api/v1/sensors?limit=10000';
  while (next) {
    const page: { items: Sensor[]; next: string | null } = await api(next);
    all.push(...page.items);
    next = page.next;
  }
  sensors.value = all;
  const l = await api<{ items: Latest[] }>('/api/v1/latest');
  latest.value = new Map(l.items.map((x) => [x.sensorId, x]));
}

export interface Quality { sensorId: string; expected: number; stored: number; completeness: number | null }
/** Hours the sensor list's completeness covers (the quality API's default range, DQ1). */
export const QUALITY_HOURS = 24;
export const quality = shallowRef(new Map<string, Quality>());
/** false when the store keeps no quality figures (InfluxDB: the API answers 400). */
export const qualityAvailable = shallowRef(true);

/**
 * Completeness per sensor (DQ1) in one request for the whole fleet, made once per load of the
 * sensor list, never per SSE event.
 */
export async function loadQuality(): Promise<void> {
  try {
    const q = await api<{ sensors: Quality[] }>(`/api/v1/quality?hours=${QUALITY_HOURS}`);
    quality.value = new Map(q.sensors.map((x) => [x.sensorId, x]));
    qualityAvailable.value = true;
  } catch {
    quality.value = new Map();
    qualityAvailable.value = false;
  }
}

export const iso = (ms: number) => new Date(ms).toISOString();
/** The field a list shows first: per built-in kind, else the first primary field the server describes for the kind. */
export const primaryField = (s: Sensor): string => (s.kind === 'water-level' ? (s.params.station === 'river' ? 'currentLevel' : 'floodDepth') : s.kind === 'air-quality' ? 'pm25' : s.kind === 'parking' ? 'availableSpotNumber' : s.kind === 'streetlight' ? 'powerConsumption' : (kindInfo(s.kind)?.primaryFields[0] ?? ''));
export const UNITS: Record<string, string> = { currentLevel: 'm', floodDepth: 'cm', pm25: 'µg/m³', pm10: 'µg/m³', availableSpotNumber: '', powerConsumption: 'W' };

export function warningLines(s: Sensor, lang: string): { label: string; value: number; color: string }[] {
  const wl = s.params.warningLevels as { level1?: number; level2?: number; level3?: number } | undefined;
  const out: { label: string; value: number; color: string }[] = [];
  const en = lang === 'en';
  if (wl?.level3 !== undefined) out.push({ label: en ? 'level 3' : '三級警戒', value: wl.level3, color: '#f9a825' });
  if (wl?.level2 !== undefined) out.push({ label: en ? 'level 2' : '二級警戒', value: wl.level2, color: '#e65100' });
  if (wl?.level1 !== undefined) out.push({ label: en ? 'level 1' : '一級警戒', value: wl.level1, color: '#b71c1c' });
  if (typeof s.params.floodThresholdCm === 'number') out.push({ label: en ? 'flooding' : '積淹水', value: s.params.floodThresholdCm, color: '#e65100' });
  return out;
}

/** Linear rise rate of the last hour → time until level 1 (FEWS-style crossing time); undefined when falling or no level. */
export function etaToLevel1(points: readonly [number, number][], level1: number | undefined): number | undefined {
  if (level1 === undefined || points.length < 2) return undefined;
  const last = points[points.length - 1]!;
  const first = points.find((p) => p[0] >= last[0] - 3_600_000) ?? points[0]!;
  const rate = (last[1] - first[1]) / Math.max(1, last[0] - first[0]);
  if (last[1] >= level1) return 0;
  return rate > 0 ? (level1 - last[1]) / rate : undefined;
}
