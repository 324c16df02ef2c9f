import type { MqttClient } from 'mqtt';
import { connect, type startApp } from '../support/app.ts';

type Started = Awaited<ReturnType<typeof startApp>>;

export function adminClient(s: Started, token: string) {
  return async <T = Record<string, unknown>>(method: string, p: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${s.info.url}/api/v1/admin${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
}

/** The CONNACK code of a refused connection (MQTT 3.1.1 §3.2.2.3), or 0 when it connected. */
export async function connackCode(url: string, username: string, password: string): Promise<number> {
  try {
    const c = await connect(url, username, password);
    c.end(true);
    return 0;
  } catch (err) {
    return Number((err as { code?: number }).code ?? -1);
  }
}

export const closedOnce = (c: MqttClient): Promise<void> => new Promise((resolve) => c.once('close', () => resolve()));

export const telemetry = (pm25: number) => JSON.stringify({ ts: new Date().toISOString(), pm25 });

export const NEW_SENSOR = {
  id: 'aq-live-01',
  kind: 'air-quality',
  name: { 'zh-TW': '即時新增測試站', en: 'Live-added test station' },
  district: '68000010',
  location: { lat: 24.99, lon: 121.31 },
  params: { pollutants: ['pm25'] },
};

