import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { FieldValue } from '../domain/index.ts';
import { sensorTopic } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { SimulatorCredentials } from './credentials.ts';
import { jsonPayload } from './payload.ts';

export interface ScriptedReadingLike {
  readonly atMs: number;
  readonly sensorId: string;
  readonly values: Readonly<Record<string, FieldValue>>;
}

export interface ScenarioPlayback {
  readonly mqttUrl: string;
  readonly registry: Registry;
  readonly credentials: SimulatorCredentials;
  readonly readings: readonly ScriptedReadingLike[];
  /** Event time of the scenario's start (epoch ms). */
  readonly startMs: number;
  /** Scenario milliseconds per real millisecond. */
  readonly speed: number;
  readonly logger: Logger;
}

/**
 * Plays a scripted scenario over real MQTT (issue 3 §9): each reading is published
 * by its sensor (or the sensor's gateway) with device time `startMs + atMs`, QoS 1,
 * paced at `speed`. The caller picks `startMs` so the script ends no later than now
 * (device times stay within the ingest skew, P5).
 */
export async function playScenario(o: ScenarioPlayback): Promise<{ published: number }> {
  const clients = new Map<string, MqttClient>();
  const clientFor = async (sensorId: string): Promise<MqttClient> => {
    const sensor = o.registry.sensor(sensorId);
    if (!sensor) throw new Error(`scenario sensor ${sensorId} is not in the registry`);
    const principal = sensor.gateway ?? sensor.id;
    const secret = sensor.gateway ? o.credentials.gateways[sensor.gateway] : o.credentials.sensors[sensor.id];
    if (!secret) throw new Error(`no simulator credentials for ${principal}`);
    let c = clients.get(principal);
    if (!c) {
      c = await mqtt.connectAsync(o.mqttUrl, { username: principal, password: secret, clientId: `${principal}-scenario`, reconnectPeriod: 1000 });
      clients.set(principal, c);
    }
    return c;
  };
  const script = [...o.readings].sort((a, b) => a.atMs - b.atMs);
  const began = performance.now();
  let published = 0;
  try {
    for (const r of script) {
      const due = r.atMs / o.speed - (performance.now() - began);
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      const sensor = o.registry.sensor(r.sensorId);
      if (!sensor) continue;
      const c = await clientFor(r.sensorId);
      await c.publishAsync(sensorTopic(sensor.kind, sensor.id, 'telemetry'), jsonPayload(o.startMs + r.atMs, r.values as Record<string, number | string>), { qos: 1 });
      published++;
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.endAsync()));
  }
  o.logger.info({ published }, '情境播放完成 scenario played');
  return { published };
}
