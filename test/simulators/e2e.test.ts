import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { parseSensorTopic } from '../../domain/index.ts';
import { planFaults } from '../../simulators/faults.ts';
import { createSimulation, credentialsPath, loadCredentials, type SimulatorCredentials } from '../../simulators/index.ts';
import { decodeSenml, demoRegistry, payloadProblems } from './validate.ts';

/**
 * The simulator against a real broker: plain aedes on node:net (port 0), whose
 * authenticate hook checks usernames and passwords against the credentials file the
 * test wrote — the same file format the app seeds for the simulator.
 */
interface Received {
  topic: string;
  username: string | undefined;
  payload: string;
}

const registry = demoRegistry();
const logger = pino({ level: 'silent' });

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('simulation over a real MQTT broker', () => {
  let dir: string;
  let broker: Aedes;
  let server: Server;
  let url: string;
  let creds: SimulatorCredentials;
  const usernames = new Map<string, string>();
  const received: Received[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civic-sim-e2e-'));
    const sensors: Record<string, string> = {};
    for (const s of registry.sensors()) if (!s.gateway) sensors[s.id] = `pw-${s.id}-${Math.random().toString(36).slice(2)}`;
    await mkdir(join(dir, 'simulator'));
    await writeFile(credentialsPath(dir), JSON.stringify({ sensors, gateways: { 'gw-lora-taoyuan-01': 'gw-pw-1' } }));
    creds = await loadCredentials(dir);
    broker = await Aedes.createBroker({
      authenticate(client, username, password, done) {
        const secret = username === undefined ? undefined : (creds.sensors[username] ?? creds.gateways[username]);
        if (secret !== undefined && password?.toString() === secret) {
          usernames.set(client.id, username as string);
          done(null, true);
        } else {
          done(Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), null);
        }
      },
    });
    broker.on('publish', (packet, client) => {
      if (client) received.push({ topic: packet.topic, username: usernames.get(client.id), payload: packet.payload.toString() });
    });
    server = createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes every sensor on its own topic from the right username, gateway sensors via the gateway', async () => {
    const startTime = Date.parse('2025-07-15T07:00:00+08:00');
    const faults = { malformedRate: 0.05, silentSensors: 1, spikeRate: 0.01, stuckSensors: 1 };
    const sim = createSimulation({ mqttUrl: url, registry, credentials: creds, speed: 3600, durationSeconds: 2, seed: 7, qos: 1, faults, startTime, logger });
    received.length = 0;
    await sim.start();
    await sim.finished;

    const { published, acked, malformed, errors } = sim.stats;
    assert.equal(errors, 0);
    assert.ok(published > 1000, `only ${published} published`);
    assert.equal(acked, published, 'every QoS 1 publish acknowledged');

    const telemetry = received.filter((m) => m.topic.endsWith('/telemetry'));
    assert.equal(telemetry.length, published, 'the broker received every telemetry message');
    const perSensor = new Map<string, Received[]>();
    let bad = 0;
    let senml = 0;
    const lastTs = new Map<string, number>();
    for (const m of telemetry) {
      const parsed = parseSensorTopic(m.topic);
      assert.ok(parsed, m.topic);
      const sensor = registry.sensor(parsed.sensorId);
      assert.ok(sensor, parsed.sensorId);
      assert.equal(parsed.kind, sensor.kind);
      assert.equal(m.username, sensor.gateway ?? sensor.id, `${m.topic} published by ${m.username}`);
      perSensor.set(sensor.id, [...(perSensor.get(sensor.id) ?? []), m]);
      let body: unknown;
      try {
        body = JSON.parse(m.payload);
      } catch {
        bad++;
        continue;
      }
      let ts: number;
      if (Array.isArray(body)) {
        senml++;
        const decoded = decodeSenml(sensor, body);
        ts = decoded.t;
      } else {
        if (payloadProblems(sensor, body).length > 0) {
          bad++;
          continue;
        }
        ts = Date.parse((body as { dateObserved: string }).dateObserved);
      }
      assert.ok(ts >= startTime && ts <= startTime + 2 * 3_600_000, `timestamp ${ts} outside the simulated window (2 s × speed 3600 = 2 h)`);
      assert.ok(ts > (lastTs.get(sensor.id) ?? -Infinity), `${sensor.id} went back in time`);
      lastTs.set(sensor.id, ts);
    }
    assert.ok(malformed > 0);
    assert.equal(bad, malformed, 'exactly the injected malformed payloads are invalid');
    assert.ok(senml > 0, 'no SenML pack was sent');

    // AL10: drill sensors belong to the scripted scenarios; the fleet never plays them.
    const fleet = [...registry.sensors()].filter((s) => !s.tags.includes('drill'));
    assert.ok(fleet.length < registry.size, 'the demo registry has drill sensors');
    const plan = planFaults(fleet.map((s) => s.id), faults, 7);
    const [silentId] = [...plan.silentAfter.keys()];
    for (const s of registry.sensors()) {
      const n = perSensor.get(s.id)?.length ?? 0;
      if (s.tags.includes('drill')) assert.equal(n, 0, `drill sensor ${s.id} was played by the fleet`);
      else if (s.id === silentId) assert.ok(n >= 1 && n <= 3, `silent sensor ${s.id} sent ${n}`);
      else assert.ok(n >= 5, `${s.id} sent only ${n} readings`);
    }
    const viaGateway = telemetry.filter((m) => m.username === 'gw-lora-taoyuan-01');
    assert.equal(new Set(viaGateway.map((m) => parseSensorTopic(m.topic)!.sensorId)).size, 10);

    const [stuckId] = [...plan.stuck];
    const stuckValues = (perSensor.get(stuckId!) ?? []).flatMap((m) => {
      try {
        const { dateObserved: _, ...rest } = JSON.parse(m.payload) as Record<string, unknown>;
        return Array.isArray(rest) ? [] : [JSON.stringify(rest)];
      } catch {
        return [];
      }
    });
    const counts = new Map<string, number>();
    for (const v of stuckValues) counts.set(v, (counts.get(v) ?? 0) + 1);
    assert.ok(Math.max(...counts.values()) >= stuckValues.length * 0.7, `stuck sensor ${stuckId} varied: ${counts.size} distinct of ${stuckValues.length}`);

    // Status (T2): "online" after connecting and "offline" at a clean stop, for every fleet sensor, from its publisher.
    for (const s of fleet) {
      const statuses = received.filter((m) => m.topic === `sensors/${s.kind}/${s.id}/status`);
      assert.ok(statuses.every((m) => m.username === (s.gateway ?? s.id)));
      const online = statuses.map((m) => (JSON.parse(m.payload) as { online: boolean }).online);
      assert.deepEqual(online, [true, false], `${s.id} statuses ${online}`);
    }
  });

  it('rejects invalid options before connecting anything', () => {
    const base = { mqttUrl: url, registry, credentials: creds, speed: 1, seed: 1, qos: 0 as const, logger, faults: { malformedRate: 0, silentSensors: 0, spikeRate: 0, stuckSensors: 0 } };
    assert.throws(() => createSimulation({ ...base, speed: 0 }), /speed must be a positive number/);
    assert.throws(() => createSimulation({ ...base, faults: { ...base.faults, malformedRate: 1.5 } }), /malformedRate must be within 0\.\.1/);
    assert.throws(() => createSimulation({ ...base, seed: 1.5 }), /seed must be an integer/);
    assert.throws(() => createSimulation({ ...base, sensorIds: ['nope'] }), /unknown sensor/);
  });

  it('leaves a Last Will that reports the sensor offline when its connection dies, then comes back online', async () => {
    const id = 'aq-taoyuan-road-01';
    const sim = createSimulation({
      mqttUrl: url, registry, credentials: creds, sensorIds: [id], speed: 60, seed: 3, qos: 1,
      faults: { malformedRate: 0, silentSensors: 0, spikeRate: 0, stuckSensors: 0 }, logger,
    });
    received.length = 0;
    await sim.start();
    try {
      const statusTopic = `sensors/air-quality/${id}/status`;
      await waitFor(() => received.some((m) => m.topic.endsWith('/telemetry')), 5000, 'telemetry');
      const clientId = [...usernames].reverse().find(([, u]) => u === id)![0];
      const aedesClient = (broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients[clientId];
      assert.ok(aedesClient, 'sensor connection not found in the broker');
      aedesClient.conn.destroy();
      await waitFor(() => received.some((m) => m.topic === statusTopic && m.payload === '{"online":false}'), 5000, 'Last Will');
      const willAt = received.findIndex((m) => m.topic === statusTopic && m.payload === '{"online":false}');
      await waitFor(() => received.slice(willAt).some((m) => m.topic === statusTopic && JSON.parse(m.payload).online === true), 8000, 'online again after reconnect');
    } finally {
      await sim.stop();
    }
  });
});
