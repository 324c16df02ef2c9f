import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { PERIOD_MS, QualityFlag, type Aggregate, type AggregatePeriod, type Alert, type AlertChange, type Reading } from '../../domain/index.ts';
import { registerDocs } from '../../exporter/docs.ts';
import { installErrorHandling } from '../../exporter/error-handler.ts';
import { createOpenDataPlugin, type OpenDataOptions } from '../../exporter/open-data/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/index.ts';

/**
 * Registry with zh-TW names, secrets, a gateway and a privately hosted sensor (tag
 * private-host, true location 24.98913,121.31372): none of the secrets, the gateway or the
 * true private location may ever appear in a public output (deidentify.test.ts).
 */
export const REGISTRY_YAML = `
districts:
  - { code: "6800200", name: { zh-TW: 中壢區, en: Zhongli } }
  - { code: "6800100", name: { zh-TW: 桃園區, en: Taoyuan } }
gateways:
  - { id: lora-ns-1, name: { zh-TW: 物聯網閘道, en: LoRa network server }, secretHash: "scrypt$gw$secret-gateway-hash" }
sensors:
  - id: aq-zl-001
    kind: air-quality
    name: { zh-TW: "中壢區環保局微型感測器, 一號", en: "Zhongli EPB micro-sensor 1" }
    district: "6800200"
    location: { lat: 24.9537, lon: 121.2256 }
    params: { pollutants: [pm25, pm10], pm25Threshold: 41.5 }
    tags: [industrial]
    secretHash: "scrypt$aq$secret-sensor-hash"
  - id: aq-ty-002
    kind: air-quality
    name: { zh-TW: "民眾自設 \\"陽台\\" 感測器", en: Citizen balcony sensor }
    district: "6800100"
    location: { lat: 24.98913, lon: 121.31372 }
    params: { pollutants: [pm25] }
    tags: [private-host]
    gateway: lora-ns-1
  - id: pk-ty-001
    kind: parking
    name: { zh-TW: 桃園市立停車場, en: Taoyuan municipal car park }
    district: "6800100"
    location: { lat: 24.99, lon: 121.31 }
    intervalSeconds: 300
    params: { capacity: 120 }
    secretHash: "scrypt$pk$secret-parking-hash"
  - id: wl-zl-001
    kind: water-level
    name: { zh-TW: 中壢區路面淹水感測器, en: Zhongli road flood sensor }
    district: "6800200"
    location: { lat: 24.96, lon: 121.22 }
    params: { station: road-flood, floodThresholdCm: 10 }
    secretHash: "scrypt$wl$secret-flood-hash"
`;

/** 2026-11-22T12:00:00+08:00. */
export const NOW = Date.parse('2026-11-22T12:00:00+08:00');
export const MIN = 60_000;
export const HOUR = 3_600_000;

let seq = 0;
export function reading(sensorId: string, kind: Reading['kind'], district: string, ts: number, values: Reading['values'], flags = 0): Reading {
  return { seq: ++seq, sensorId, kind, district, ts, receivedAt: ts + 250, flags, values };
}

/** aq-zl-001: one reading a minute for 26 h before NOW (crosses a Taipei midnight), every 10th flagged spike. */
export function seedReadings(): Reading[] {
  const out: Reading[] = [];
  for (let i = 26 * 60; i >= 1; i--) {
    out.push(reading('aq-zl-001', 'air-quality', '6800200', NOW - i * MIN, { pm25: 10 + (i % 17), pm10: 20 + (i % 5) }, i % 10 === 0 ? QualityFlag.SPIKE : 0));
  }
  // The private sensor: 60 minutes, then silent for the last hour (counts as silent).
  for (let i = 120; i > 60; i--) out.push(reading('aq-ty-002', 'air-quality', '6800100', NOW - i * MIN, { pm25: 30 + (i % 7) }));
  for (let i = 12; i >= 1; i--) out.push(reading('wl-zl-001', 'water-level', '6800200', NOW - i * 10 * MIN, { floodDepth: i * 1.5 }));
  for (let i = 6; i >= 1; i--) out.push(reading('pk-ty-001', 'parking', '6800100', NOW - i * 5 * MIN, { totalSpotNumber: 120, availableSpotNumber: 40 + i, occupiedSpotNumber: 80 - i }, QualityFlag.ESTIMATED));
  return out;
}

/** Aggregates computed here from the readings (sensor and district scope), the way the analytics stage would. */
export function aggregatesOf(readings: readonly Reading[], period: AggregatePeriod): Aggregate[] {
  const acc = new Map<string, Aggregate & { sum: number }>();
  const p = PERIOD_MS[period];
  for (const r of readings) {
    const start = Math.floor(r.ts / p) * p;
    for (const [field, v] of Object.entries(r.values)) {
      if (typeof v !== 'number') continue;
      for (const [scope, key] of [['sensor', r.sensorId], ['district', r.district]] as const) {
        const k = `${scope}|${key}|${start}|${field}|${r.kind}`;
        const a = acc.get(k);
        if (!a) acc.set(k, { scope, key, kind: r.kind, district: r.district, period, start, field, count: 1, mean: v, min: v, max: v, last: v, sum: v });
        else Object.assign(a, { count: a.count + 1, sum: a.sum + v, min: Math.min(a.min, v), max: Math.max(a.max, v), last: v });
      }
    }
  }
  return [...acc.values()].map(({ sum, ...a }) => ({ ...a, mean: sum / a.count }));
}

function alert(id: string, ruleId: string, over: Partial<Alert>): Alert {
  return {
    id, ruleId, subject: 'wl-zl-001', kind: 'water-level', district: '6800200', severity: 'warning', state: 'open',
    openedAt: NOW - 30 * MIN, updatedAt: NOW - 30 * MIN, field: 'floodDepth', value: 16.5, threshold: 10,
    message: { 'zh-TW': '道路積淹水 16.5 公分', en: 'Road flooding 16.5 cm' }, ...over,
  };
}

/** Public Actual (open, updated, resolved), plus a Test, an Exercise and an advisory that must never be published. */
export const ALERTS: Record<string, Alert> = {
  open: alert('flood-wl-zl-001', 'basic.water.flood', {}),
  updated: alert('flood2-wl-zl-001', 'basic.water.flood', { severity: 'critical', updatedAt: NOW - 10 * MIN, value: 22 }),
  resolved: alert('aq-high-aq-zl-001', 'basic.aq.pm25', { subject: 'aq-zl-001', kind: 'air-quality', field: 'pm25', value: 50, threshold: 41.5, state: 'resolved', resolvedAt: NOW - HOUR, updatedAt: NOW - HOUR, openedAt: NOW - 3 * HOUR, message: { 'zh-TW': 'PM2.5 濃度偏高', en: 'PM2.5 high' } }),
  test: alert('drill-1', 'test.flood.drill', { message: { 'zh-TW': 'TEST-ONLY 演習訊息', en: 'TEST-ONLY drill message' } }),
  exercise: alert('exercise-1', 'exercise.flood', { message: { 'zh-TW': 'EXERCISE-ONLY 演練', en: 'EXERCISE-ONLY exercise' } }),
  advisory: alert('adv-1', 'basic.water.level3', { severity: 'advisory', message: { 'zh-TW': 'INTERNAL-ADVISORY 內部', en: 'INTERNAL-ADVISORY internal' } }),
  private: alert('aq-priv', 'basic.aq.pm25', { subject: 'aq-ty-002', kind: 'air-quality', district: '6800100', field: 'pm25', value: 40, threshold: 35.5 }),
};

export interface Env {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly store: DuckDbStore;
  readonly registry: Registry;
  readonly readings: Reading[];
  readonly dir: string;
  get(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function openEnv(over: Partial<OpenDataOptions> = {}, seed = true, docs = false): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'civic-open-data-'));
  const logger = pino({ level: 'silent' });
  const store = new DuckDbStore({ path: join(dir, 'civic.duckdb'), logger, metrics: new MetricsRegistry() });
  await store.open();
  const readings = seed ? seedReadings() : [];
  if (seed) {
    await store.writeReadings(readings);
    await store.writeAggregates([...aggregatesOf(readings, '1m'), ...aggregatesOf(readings, '1h')]);
    const changes: AlertChange[] = Object.values(ALERTS).map((a) => ({ type: a.state === 'resolved' ? 'resolved' : a.updatedAt > a.openedAt ? 'updated' : 'opened', alert: a }));
    await store.writeAlertChanges(changes);
  }
  const registry = Registry.parse(REGISTRY_YAML, 'test-registry.yaml');
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, routerOptions: { ignoreTrailingSlash: true }, ajv: { customOptions: { removeAdditional: false } } });
  installErrorHandling(app);
  // As createApi does: the OpenAPI generator before the route plugins.
  if (docs) registerDocs(app, '1.0.0', undefined);
  await app.register(createOpenDataPlugin({ store, registry, logger, metrics: new MetricsRegistry(), now: () => NOW, bulkDir: join(dir, 'bulk'), http: { rateLimit: false }, ...over }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app, url, store, registry, readings, dir,
    get: (path, init) => fetch(url + path, init),
    close: async () => {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function json<T = any>(res: Response): Promise<T> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}
