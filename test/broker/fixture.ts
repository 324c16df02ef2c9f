import { once, type EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { createBroker, type BrokerLimits, type BrokerOptions, type BrokerPorts, type CivicBroker } from '../../broker/index.ts';
import type { BrokerRejection, InboundHandler, InboundMessage, Principal } from '../../broker/contract.ts';
import { hashSecret, Registry } from '../../registry/index.ts';

/** Plain secrets of the test principals; the registry stores only their scrypt hashes. */
export const SECRETS = { 'aq-1': 'secret-aq-1', 'aq-2': 'secret-aq-2', 'gw-1': 'secret-gw-1', 'gw-2': 'secret-gw-2' } as const;

let registryPromise: Promise<Registry> | undefined;

/** aq-1, aq-2 connect themselves; wl-1, pk-1 are behind gw-1; pk-2 behind gw-2. Hashed once per process (scrypt is slow on purpose). */
export function testRegistry(): Promise<Registry> {
  registryPromise ??= (async () => {
    const h = Object.fromEntries(await Promise.all(Object.entries(SECRETS).map(async ([k, v]) => [k, await hashSecret(v)]))) as Record<keyof typeof SECRETS, string>;
    const loc = 'location: { lat: 24.95, lon: 121.22 }';
    const name = (n: string) => `name: { zh-TW: 測試${n}, en: Test ${n} }`;
    const yaml = `
districts:
  - code: '6800200'
    name: { zh-TW: 中壢區, en: Zhongli }
gateways:
  - { id: gw-1, ${name('gw1')}, secretHash: '${h['gw-1']}' }
  - { id: gw-2, ${name('gw2')}, secretHash: '${h['gw-2']}' }
sensors:
  - { id: aq-1, kind: air-quality, ${name('aq1')}, district: '6800200', ${loc}, params: { pollutants: [pm25] }, secretHash: '${h['aq-1']}' }
  - { id: aq-2, kind: air-quality, ${name('aq2')}, district: '6800200', ${loc}, params: { pollutants: [pm25] }, secretHash: '${h['aq-2']}' }
  - { id: wl-1, kind: water-level, ${name('wl1')}, district: '6800200', ${loc}, params: { station: road-flood, floodThresholdCm: 10 }, gateway: gw-1 }
  - { id: pk-1, kind: parking, ${name('pk1')}, district: '6800200', ${loc}, params: { capacity: 100 }, gateway: gw-1 }
  - { id: pk-2, kind: parking, ${name('pk2')}, district: '6800200', ${loc}, params: { capacity: 50 }, gateway: gw-2 }
`;
    return Registry.parse(yaml, 'test');
  })();
  return registryPromise;
}

export const LIMITS: BrokerLimits = {
  maxPacketBytes: 4096,
  maxTopicLevels: 8,
  drainTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  keepaliveLimitSeconds: 120,
  sensorRatePerSecond: 1000,
  sensorBurst: 1000,
  gatewayRatePerSecond: 1000,
  gatewayBurst: 1000,
  maxThrottleMs: 30_000,
};

export interface Harness {
  readonly broker: CivicBroker;
  readonly port: number;
  readonly ports: BrokerPorts;
  readonly url: string;
  readonly inbound: InboundMessage[];
  readonly rejected: BrokerRejection[];
  readonly connections: Array<{ principal: Principal; clientId: string; connected: boolean }>;
  readonly metrics: MetricsRegistry;
  readonly clients: MqttClient[];
  stop(): Promise<void>;
}

/** Starts a broker on a free port. The default handler acknowledges at once. */
export async function startBroker(opts: { limits?: Partial<BrokerLimits>; onInbound?: InboundHandler; extra?: Partial<BrokerOptions> } = {}): Promise<Harness> {
  const inbound: InboundMessage[] = [];
  const rejected: BrokerRejection[] = [];
  const connections: Harness['connections'] = [];
  const metrics = new MetricsRegistry();
  const clients: MqttClient[] = [];
  const handler = opts.onInbound ?? ((_msg, done) => done());
  const broker = createBroker({
    host: '127.0.0.1',
    port: 0,
    registry: await testRegistry(),
    limits: { ...LIMITS, ...opts.limits },
    onInbound: (msg, done) => {
      inbound.push(msg);
      handler(msg, done);
    },
    onRejected: (r) => rejected.push(r),
    onConnection: (principal, clientId, connected) => connections.push({ principal, clientId, connected }),
    logger: pino({ level: 'silent' }),
    metrics,
    ...opts.extra,
  });
  const ports = await broker.start();
  const port = ports.port;
  return {
    broker, port, ports, url: `mqtt://127.0.0.1:${port}`, inbound, rejected, connections, metrics, clients,
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.stop();
    },
  };
}

/** A real MQTT 3.1.1 client that never reconnects (a refused CONNECT must stay refused). */
export async function connect(h: Harness, user: keyof typeof SECRETS | undefined, extra: IClientOptions = {}): Promise<MqttClient> {
  const options: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: `${user ?? 'anon'}-${Math.random().toString(36).slice(2, 8)}`, ...extra };
  if (user) Object.assign(options, { username: user, password: SECRETS[user] });
  const client = mqtt.connect(h.url, options);
  h.clients.push(client);
  try {
    await once(client as unknown as EventEmitter, 'connect'); // rejects on 'error' (e.g. CONNACK refusal)
  } catch (err) {
    client.end(true);
    throw err;
  }
  return client;
}

/** Resolves when the server has closed the connection. */
export function closed(client: MqttClient): Promise<unknown> {
  return client.connected ? new Promise((resolve) => client.once('close', () => resolve(undefined))) : Promise.resolve();
}

export async function metricValue(metrics: MetricsRegistry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}
