import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import { kindOf, sensorTopic, type Sensor, type SensorKind } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import { connectAll, publishStatus, type SimPrincipal } from './connections.ts';
import { DueQueue } from './due-queue.ts';
import { applySpike, malformedPayload, planFaults, type FaultOptions } from './faults.ts';
import { createSensorSource, createWeather, type SensorSource, type Values } from './models/index.ts';
import { jsonPayload, senmlPayload } from './payload.ts';
import { Rng } from './rng.ts';
import { createSimMetrics } from './metrics.ts';
import { selectPrincipals, type SimulatorCredentials } from './selection.ts';

export interface SimulationOptions {
  mqttUrl: string;
  registry: Registry;
  credentials: SimulatorCredentials;
  /** Subset (fleet size); default every sensor that has credentials (its own or its gateway's). */
  sensorIds?: string[];
  /** Simulated seconds per real second (1 = real time). */
  speed: number;
  /** Real seconds; undefined = until stop(). */
  durationSeconds?: number;
  seed: number;
  qos: 0 | 1;
  faults: FaultOptions;
  /** Simulated start, epoch ms (default now). */
  startTime?: number;
  logger: Logger;
  /** Share of readings sent as SenML per kind (default: the kind description's `simulator.senmlRate`, else 0). */
  senmlRate?: Partial<Record<SensorKind, number>>;
  /** Real milliseconds between scheduler ticks (default 200). */
  tickMs?: number;
  metrics?: MetricsRegistry;
}

export interface SimulationStats {
  published: number;
  acked: number;
  malformed: number;
  errors: number;
}

export interface Simulation {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: Readonly<SimulationStats>;
  /** Resolves once the simulation has stopped (duration elapsed or stop() called). */
  readonly finished: Promise<void>;
}

/** Share of SenML fields sent in another accepted unit (mg/m3, ppm, cm …). */
const ALT_UNIT_CHANCE = 0.3;
/** Reporting intervals wander ±2 %, as device clocks and radio retries make them. */
const JITTER = 0.02;
/** A fresh demo shows every sensor within 30 simulated seconds; jitter then spreads the phases. */
const FIRST_READING_WITHIN_MS = 30_000;
/** How far back an accelerated run without a start time begins: one city day. */
const ACCELERATED_CATCH_UP_MS = 86_400_000;

/** Readings published per tick at most, so a very high speed cannot starve the event loop. */
const MAX_PER_TICK = 20_000;

/** Per-sensor runtime, index-aligned with the due queue. */
interface Slot {
  readonly sensor: Sensor;
  readonly source: SensorSource;
  readonly rng: Rng;
  readonly topic: string;
  readonly principal: number;
  readonly senmlRate: number;
  readonly silentAfter: number;
  readonly stuck: boolean;
  stuckValues: Values | undefined;
  count: number;
}

function checkOptions(o: SimulationOptions): void {
  const problems: string[] = [];
  if (!(o.speed > 0) || !Number.isFinite(o.speed)) problems.push(`speed must be a positive number (got ${o.speed})`);
  if (o.durationSeconds !== undefined && !(o.durationSeconds > 0)) problems.push(`durationSeconds must be positive (got ${o.durationSeconds})`);
  for (const k of ['malformedRate', 'spikeRate'] as const) {
    const v = o.faults[k];
    if (!(v >= 0 && v <= 1)) problems.push(`faults.${k} must be within 0..1 (got ${v})`);
  }
  for (const k of ['silentSensors', 'stuckSensors'] as const) if (!(o.faults[k] >= 0)) problems.push(`faults.${k} must be ≥ 0 (got ${o.faults[k]})`);
  if (!Number.isInteger(o.seed)) problems.push(`seed must be an integer (got ${o.seed})`);
  if (problems.length) throw new RangeError(`simulator options: ${problems.join('; ')}`);
}

export function createSimulation(o: SimulationOptions): Simulation {
  checkOptions(o);
  const stats: SimulationStats = { published: 0, acked: 0, malformed: 0, errors: 0 };
  const log = o.logger.child({ component: 'simulator' });
  const metrics = createSimMetrics(o.metrics);
  const tickMs = o.tickMs ?? 200;
  const principals: SimPrincipal[] = selectPrincipals(o.registry, o.credentials, o.sensorIds);
  const weather = createWeather(o.seed);
  const senml: Partial<Record<SensorKind, number>> = { ...o.senmlRate };
  let clients: (MqttClient | undefined)[] = [];
  const slots: Slot[] = [];
  const queue = new DueQueue(principals.reduce((n, p) => n + p.sensors.length, 0));
  let timer: NodeJS.Timeout | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  let simStart = 0;
  let realStart = 0;
  let lastLog = 0;
  let stopping: Promise<void> | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));

  const count = (outcome: keyof SimulationStats): void => {
    stats[outcome]++;
    metrics?.inc(outcome);
  };
  const onPublished = (err?: Error): void => count(err ? 'errors' : 'acked');

  function publish(slot: Slot, due: number): void {
    const client = clients[slot.principal];
    if (!client) return;
    let values = slot.source.next(due);
    if (slot.stuck) values = slot.stuckValues ??= values;
    if (o.faults.spikeRate > 0 && slot.rng.chance(o.faults.spikeRate)) values = applySpike(slot.sensor, values, slot.rng);
    let payload: string;
    if (o.faults.malformedRate > 0 && slot.rng.chance(o.faults.malformedRate)) {
      payload = malformedPayload(due, values, slot.rng).payload;
      count('malformed');
    } else if (slot.senmlRate > 0 && slot.rng.chance(slot.senmlRate)) {
      payload = senmlPayload(slot.sensor.kind, slot.sensor.id, due, values, slot.rng, ALT_UNIT_CHANCE);
    } else {
      payload = jsonPayload(due, values);
    }
    count('published');
    client.publish(slot.topic, payload, { qos: o.qos }, onPublished);
  }

  // An accelerated clock never runs ahead of the real one: device times from the future
  // would be stamped CLOCK_SKEW and leave the windows empty. It replays the past at `speed`
  // and continues in real time once it has caught up (late data is re-aggregated, LA3).
  const simNow = (): number => Math.min(simStart + (performance.now() - realStart) * o.speed, Date.now());
  // A run of durationSeconds covers at most durationSeconds × speed of simulated time, however
  // late a busy event loop fires the stop timer.
  const simEnd = (): number => (o.durationSeconds === undefined ? Infinity : simStart + o.durationSeconds * 1000 * o.speed);

  function tick(): void {
    const now = Math.min(simNow(), simEnd());
    let n = 0;
    while (queue.peekDue() <= now && n < MAX_PER_TICK) {
      const due = queue.peekDue();
      const i = queue.pop();
      const slot = slots[i] as Slot;
      publish(slot, due);
      n++;
      slot.count++;
      if (slot.count >= slot.silentAfter) continue; // gone silent: the connection stays up, the data stops
      const interval = slot.sensor.intervalSeconds * 1000;
      queue.push(due + interval * (1 + JITTER * (2 * slot.rng.next() - 1)), i);
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log.info({ ...stats, simulatedTime: new Date(now).toISOString() }, '模擬器進度 simulator progress');
    }
  }

  let started = false;

  async function start(): Promise<void> {
    if (started) throw new Error('simulator: start() called twice');
    started = true;
    if (principals.length === 0) throw new Error('simulator: no sensor has credentials (nothing to simulate)');
    const onError = (err: Error): void => {
      count('errors');
      log.warn({ err: err.message }, 'simulator client error');
    };
    const connected = await connectAll(principals, { url: o.mqttUrl, logger: log, onError });
    clients = connected.clients;
    for (const _ of connected.failed) count('errors');
    if (clients.every((c) => c === undefined)) throw new Error(`simulator: no connection to ${o.mqttUrl} succeeded`);
    // Accelerated without a start: the past day, so the run is a believable city day ending now.
    simStart = o.startTime ?? (o.speed > 1 ? Date.now() - ACCELERATED_CATCH_UP_MS : Date.now());
    realStart = lastLog = performance.now();
    // After a reconnect the broker has published the Last Will ("offline"): say "online" again.
    principals.forEach((p, i) => clients[i]?.on('connect', () => void publishStatus(clients[i] as MqttClient, p, true, simNow(), o.qos)));
    const plan = planFaults(principals.flatMap((p) => p.sensors.map((s) => s.id)), o.faults, o.seed);
    await Promise.all(principals.map((p, i) => (clients[i] ? publishStatus(clients[i], p, true, simStart, o.qos) : undefined)));
    principals.forEach((p, pi) => {
      if (!clients[pi]) return;
      for (const sensor of p.sensors) {
        const rng = new Rng(o.seed, `publish:${sensor.id}`);
        const i = slots.length;
        slots.push({
          sensor,
          source: createSensorSource(sensor, o.seed, weather),
          rng,
          topic: sensorTopic(sensor.kind, sensor.id, 'telemetry'),
          principal: pi,
          senmlRate: senml[sensor.kind] ?? kindOf(sensor.kind).simulator?.senmlRate ?? 0,
          silentAfter: plan.silentAfter.get(sensor.id) ?? Infinity,
          stuck: plan.stuck.has(sensor.id),
          stuckValues: undefined,
          count: 0,
        });
        queue.push(simStart + rng.next() * Math.min(FIRST_READING_WITHIN_MS, sensor.intervalSeconds * 1000), i);
      }
    });
    timer = setInterval(tick, tickMs);
    if (o.durationSeconds !== undefined) stopTimer = setTimeout(() => void stop(), o.durationSeconds * 1000);
    log.info({ sensors: slots.length, connections: clients.filter(Boolean).length, speed: o.speed, seed: o.seed }, '模擬器已啟動 simulator started');
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      if (timer) clearInterval(timer);
      if (stopTimer) clearTimeout(stopTimer);
      const t = simNow();
      // A clean DISCONNECT suppresses the Last Will (MQTT 3.1.1 §3.14.4), so say "offline" first.
      await Promise.all(principals.map((p, i) => (clients[i]?.connected ? publishStatus(clients[i], p, false, t, o.qos) : undefined)));
      await Promise.all(clients.map((c) => c?.endAsync(false)));
      log.info({ ...stats }, '模擬器已停止 simulator stopped');
      resolveFinished();
    })();
    return stopping;
  }

  return { start, stop, stats, finished };
}
