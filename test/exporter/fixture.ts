import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { QualityFlag, type Reading } from '../../domain/index.ts';
import { createApi, type ApiOptions, type ApiServer, type HealthReport } from '../../exporter/index.ts';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/duckdb/index.ts';
import type { Store } from '../../storage/port.ts';

/** Taoyuan districts and a few sensors with zh-TW names, secrets and a gateway (which must never be served). */
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
    params: { pollutants: [pm25, pm10] }
    tags: [industrial, micro-sensor]
    secretHash: "scrypt$aq$secret-sensor-hash"
  - id: aq-ty-002
    kind: air-quality
    name: { zh-TW: "桃園火車站 \\"前站\\"", en: Taoyuan Station }
    district: "6800100"
    location: { lat: 24.9891, lon: 121.3137 }
    params: { pollutants: [pm25] }
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

/** 2026-11-22T12:00:00+08:00, the pinned "now" of every exporter test. */
export const NOW = Date.parse('2026-11-22T12:00:00+08:00');

let seq = 0;
export function reading(sensorId: string, kind: Reading['kind'], district: string, ts: number, values: Reading['values'], flags = 0): Reading {
  return { seq: ++seq, sensorId, kind, district, ts, receivedAt: ts + 250, flags, values };
}

/** One air-quality reading a minute for the last `minutes` minutes before NOW. */
export function airSeries(sensorId: string, district: string, minutes: number): Reading[] {
  const out: Reading[] = [];
  for (let i = minutes; i >= 1; i--) {
    const flags = i % 10 === 0 ? QualityFlag.SPIKE | QualityFlag.LATE : 0;
    out.push(reading(sensorId, 'air-quality', district, NOW - i * 60_000, { pm25: 10 + (i % 17), pm10: 20 + (i % 5) }, flags));
  }
  return out;
}

export interface Harness {
  readonly api: ApiServer;
  readonly url: string;
  readonly store: Store;
  readonly registry: Registry;
  readonly metrics: MetricsRegistry;
  get(path: string): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the API on a free port over real HTTP against the given (opened) store. */
export async function startHarness(store: Store, overrides: Partial<ApiOptions> = {}): Promise<Harness> {
  const registry = Registry.parse(REGISTRY_YAML, 'test-registry.yaml');
  const metrics = new MetricsRegistry();
  const health = async (): Promise<HealthReport> => {
    const h = await store.health();
    return { status: h.ok ? 'ok' : 'down', components: { store: { ok: h.ok, adapter: h.adapter, ...(h.detail ? { detail: h.detail } : {}) } } };
  };
  const api = createApi({
    host: '127.0.0.1',
    port: 0,
    store,
    registry,
    health,
    metrics,
    logger: pino({ level: 'silent' }),
    now: () => NOW,
    ...overrides,
  });
  const { url, port } = await api.start();
  if (url !== `http://127.0.0.1:${port}`) throw new Error(`start() reported ${url} for port ${port}`);
  return {
    api, url, store, registry, metrics,
    get: (path) => fetch(url + path),
    close: () => api.stop(),
  };
}

/**
 * The store every exporter test runs against: the real embedded DuckDB adapter on a file
 * in a fresh temp dir, opened; `dispose` closes it and removes the directory.
 */
export async function openStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'civic-exporter-'));
  const store = new DuckDbStore({ path: join(dir, 'civic.duckdb'), logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
  await store.open();
  return {
    store,
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
