import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { sensorTopic, type Sensor } from '../domain/index.ts';
import { statusPayload } from './payload.ts';

/**
 * One MQTT connection per publishing principal: a directly connected sensor
 * (username = sensor id) or a gateway (username = gateway id) that publishes for the
 * sensors assigned to it, as a LoRaWAN network server or vendor bridge does.
 */
export interface SimPrincipal {
  readonly type: 'sensor' | 'gateway';
  readonly id: string;
  readonly secret: string;
  /** Sensors whose telemetry goes over this connection (just itself for a sensor). */
  readonly sensors: readonly Sensor[];
}

export interface ConnectOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Called for every client error after the first connection (counted as errors). */
  readonly onError: (err: Error) => void;
}

/** Simultaneous connection attempts: enough to connect a big fleet in seconds, few enough
 * that the broker's scrypt checks (tens of ms each) do not time out the queue behind them. */
const CONNECT_CONCURRENCY = 16;

async function connectOne(p: SimPrincipal, o: ConnectOptions): Promise<MqttClient> {
  const first = p.sensors[0];
  // A gateway has no single sensor to speak for, and MQTT allows one will per
  // connection: only direct sensors get a Last Will (T2: {"online":false}).
  const will = p.type === 'sensor' && first
    ? { topic: sensorTopic(first.kind, first.id, 'status'), payload: Buffer.from(statusPayload(false)), qos: 1 as const, retain: false }
    : undefined;
  const client = await mqtt.connectAsync(
    o.url,
    {
      protocolVersion: 4, // MQTT 3.1.1: what aedes speaks
      username: p.id,
      password: p.secret,
      clientId: `sim-${p.id}-${randomBytes(4).toString('hex')}`,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 2000,
      connectTimeout: 15_000,
      ...(will ? { will } : {}),
    },
    false,
  );
  client.on('error', (err) => o.onError(err));
  client.on('reconnect', () => o.logger.debug({ principal: p.id }, 'simulator reconnecting'));
  return client;
}

/** Publishes {"online": true|false} on every sensor's status topic (T2) over the principal's connection. */
export function publishStatus(client: MqttClient, p: SimPrincipal, online: boolean, t: number, qos: 0 | 1): Promise<void[]> {
  const payload = statusPayload(online, t);
  return Promise.all(
    p.sensors.map(
      (s) =>
        new Promise<void>((resolve) => {
          client.publish(sensorTopic(s.kind, s.id, 'status'), payload, { qos }, () => resolve());
        }),
    ),
  );
}

/**
 * Connects every principal with bounded concurrency. Failures are logged and
 * reported by id so the caller can leave those sensors out; they never abort the rest.
 */
export async function connectAll(principals: readonly SimPrincipal[], o: ConnectOptions): Promise<{ clients: (MqttClient | undefined)[]; failed: string[] }> {
  const clients: (MqttClient | undefined)[] = new Array(principals.length).fill(undefined);
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < principals.length) {
      const i = next++;
      const p = principals[i] as SimPrincipal;
      try {
        clients[i] = await connectOne(p, o);
      } catch (err) {
        failed.push(p.id);
        o.logger.error({ principal: p.id, err: (err as Error).message }, '模擬器連線失敗 simulator connection failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, principals.length) }, worker));
  return { clients, failed };
}
