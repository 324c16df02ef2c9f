import { createAlertEngine, loadAqiTable, loadRules } from '../../alerts/index.ts';
import { Aggregator } from '../../analytics/index.ts';
import { DEFAULT_RULES } from '../../app/app.ts';
import { QualityFlag, RejectError, sensorTopic, type Aggregate, type AlertChange, type DeadLetter, type Reading, type Sensor, type SensorKind } from '../../domain/index.ts';
import { deadLetter } from '../../ingest/dead-letter.ts';
import { decode, toReadings, type TimePolicy } from '../../ingest/index.ts';
import type { Registry } from '../../registry/index.ts';
import { applySpike, malformedPayload } from '../../simulators/faults.ts';
import { createSensorSource, createWeather, jsonPayload, Rng, senmlPayload, type SensorSource, type Weather } from '../../simulators/index.ts';

/**
 * Simulated history for the dashboard tests (issue 4 item 8): the simulators' behaviour
 * models and fault injection, run on a VIRTUAL clock instead of MQTT, through the same
 * pure ingest steps (decode → toReadings), analytics (Aggregator) and the alert engine (default rules)
 * as production. Each sensor reports at its registry interval (±2 % jitter, as the
 * simulator does); the clock ticks every simulated minute, so 1 m and 1 h windows close
 * exactly as they would live. Hours of history are per sensor so slow failure modes
 * (a lamp is repaired 24–72 h after it fails) can be covered without simulating a fast
 * fleet for days.
 */
export interface HistorySink {
  readings(batch: Reading[]): Promise<void>;
  aggregates(batch: Aggregate[]): Promise<void>;
  alertChanges(batch: AlertChange[]): Promise<void>;
  deadLetters(batch: DeadLetter[]): Promise<void>;
  /** One `pipeline` sample every 10 simulated seconds; not awaited one by one. */
  pipeline(fields: Record<string, number>, ts: number): Promise<void>;
  /** Lines not yet in InfluxDB (the app samples the same into store_backlog). */
  backlog(): number;
  /** Duration of the latest completed write, ms (influx_write_ms). */
  lastWriteMs(): number;
}

export interface HistoryOptions {
  readonly registry: Registry;
  readonly seed: number;
  readonly endMs: number;
  readonly hoursOf: (sensor: Sensor) => number;
  readonly spikeRate: number;
  readonly malformedRate: number;
  readonly allowedLatenessMs: number;
  readonly policy: TimePolicy;
  /** Lines per sink call, as the store batches (5,000). */
  readonly batchLines: number;
  readonly sink: HistorySink;
  /**
   * A pollution episode on one air-quality sensor from `fromMs` on (heavy PM2.5/PM10, as in the
   * `pollution-episode` scenario): the default rules' AQI alert needs a moving average in orange,
   * which the behaviour models do not reach in a few hours of ordinary weather.
   */
  readonly episode?: { readonly sensorId: string; readonly fromMs: number };
}

export interface History {
  readonly startMs: number;
  readonly readings: Reading[];
  readonly alertChanges: AlertChange[];
  readonly deadLetters: DeadLetter[];
  readonly aggregates: { '1m': number; '1h': number };
  pipelineSamples: number;
}

const MINUTE = 60_000;
const SAMPLE_MS = 10_000;
const JITTER = 0.02;
/** Same SenML shares as simulators/simulation.ts, so unit conversion runs on this data too. */
const SENML: Partial<Record<SensorKind, number>> = { 'air-quality': 0.1, 'water-level': 0.05 };

interface Slot {
  readonly sensor: Sensor;
  readonly source: SensorSource;
  /** Report times only: a scan (pickSeed) replays the same times without the fault draws. */
  readonly clock: Rng;
  readonly faults: Rng;
  next: number;
}

function slotsFor(sensors: readonly Sensor[], seed: number, endMs: number, hoursOf: (s: Sensor) => number, weather: Weather): Slot[] {
  return sensors.map((sensor) => {
    const clock = new Rng(seed, `history-clock:${sensor.id}`);
    const start = endMs - hoursOf(sensor) * 3_600_000;
    return {
      sensor,
      source: createSensorSource(sensor, seed, weather),
      clock,
      faults: new Rng(seed, `history-faults:${sensor.id}`),
      next: start + clock.next() * Math.min(30_000, sensor.intervalSeconds * 1000),
    };
  });
}

function step(slot: Slot): void {
  slot.next += slot.sensor.intervalSeconds * 1000 * (1 + JITTER * (2 * slot.clock.next() - 1));
}

/** Model values only (no faults, no pipeline) for `sensors`, in report order per sensor: cheap enough to scan seeds. */
export function modelValues(sensors: readonly Sensor[], seed: number, endMs: number, hoursOf: (s: Sensor) => number): Map<string, { t: number; values: Record<string, unknown> }[]> {
  const out = new Map<string, { t: number; values: Record<string, unknown> }[]>();
  for (const slot of slotsFor(sensors, seed, endMs, hoursOf, createWeather(seed))) {
    const list: { t: number; values: Record<string, unknown> }[] = [];
    for (; slot.next < endMs; step(slot)) list.push({ t: slot.next, values: slot.source.next(slot.next) });
    out.set(slot.sensor.id, list);
  }
  return out;
}

export async function simulateHistory(o: HistoryOptions): Promise<History> {
  const sensors = [...o.registry.sensors()];
  const slots = slotsFor(sensors, o.seed, o.endMs, o.hoursOf, createWeather(o.seed));
  const aggregator = new Aggregator({ allowedLatenessMs: o.allowedLatenessMs });
  // As the app builds it: the AQI table for `aqi` rules, every sensor for tick-driven rules.
  const alerts = createAlertEngine({ rules: await loadRules([DEFAULT_RULES], 1), aqiTable: loadAqiTable(), sensors: () => o.registry.sensors() });
  const history: History = { startMs: Math.min(...slots.map((s) => s.next)), readings: [], alertChanges: [], deadLetters: [], aggregates: { '1m': 0, '1h': 0 }, pipelineSamples: 0 };
  let seq = 0;
  let pendingReadings: Reading[] = [];
  let pendingAggs: Aggregate[] = [];
  const samples: Promise<void>[] = [];

  const ingest = (slot: Slot, due: number, perBucket: number[], minute: number): void => {
    const { sensor, faults } = slot;
    let values = slot.source.next(due);
    if (o.episode && sensor.id === o.episode.sensorId && due >= o.episode.fromMs) values = { ...values, pm25: 90, pm10: 120 };
    if (faults.chance(o.spikeRate)) values = applySpike(sensor, values, faults);
    let payload: string;
    if (faults.chance(o.malformedRate)) payload = malformedPayload(due, values, faults).payload;
    else if (faults.chance(SENML[sensor.kind] ?? 0)) payload = senmlPayload(sensor.kind, sensor.id, due, values, faults, 0.3);
    else payload = jsonPayload(due, values);
    const bytes = Buffer.from(payload);
    // Radio and broker latency: the receive time trails the device time by 20–500 ms.
    const receivedAt = Math.round(due + 20 + faults.next() * 480);
    let readings: Reading[];
    try {
      readings = toReadings(decode(bytes), sensor, receivedAt, o.policy);
    } catch (err) {
      if (!(err instanceof RejectError)) throw err;
      const topic = sensorTopic(sensor.kind, sensor.id, 'telemetry');
      history.deadLetters.push(deadLetter(err.reason, err.message, topic, sensor.gateway ?? sensor.id, sensor.id, bytes, bytes.length, 4_096, receivedAt));
      return;
    }
    for (const r of readings) {
      r.seq = ++seq;
      if (!aggregator.add(r)) r.flags |= QualityFlag.LATE;
      for (const c of alerts.onReading(r, sensor)) history.alertChanges.push(c);
      history.readings.push(r);
      pendingReadings.push(r);
      const b = Math.floor((r.ts - minute) / SAMPLE_MS);
      perBucket[Math.max(0, Math.min(5, b))]!++;
    }
  };

  const firstMinute = Math.floor(history.startMs / MINUTE) * MINUTE;
  for (let m = firstMinute; m < o.endMs; m += MINUTE) {
    const end = Math.min(m + MINUTE, o.endMs);
    const perBucket = [0, 0, 0, 0, 0, 0];
    for (const slot of slots) {
      for (; slot.next < end; step(slot)) if (slot.next >= m) ingest(slot, slot.next, perBucket, m);
    }
    // The virtual clock tick: the watermark follows simulated time (W2), closing windows on schedule;
    // time-based alert rules run on the same tick, as the alert service's tick does in production.
    for (const c of alerts.onTick(end)) history.alertChanges.push(c);
    for (const a of aggregator.advance(end)) {
      pendingAggs.push(a);
      history.aggregates[a.period]++;
    }
    const retained = aggregator.retainedFromSeq();
    for (let b = 0; b < 6 && m + b * SAMPLE_MS < end; b++) {
      const fields = {
        ingest_rate: (perBucket[b]! * 1000) / SAMPLE_MS,
        rejected_total: history.deadLetters.length,
        journal_lag: Number.isFinite(retained) ? seq - retained + 1 : 0,
        store_backlog: o.sink.backlog(),
        influx_write_ms: o.sink.lastWriteMs(),
      };
      samples.push(o.sink.pipeline(fields, m + b * SAMPLE_MS));
      history.pipelineSamples++;
    }
    // Await a sink call only once a full batch is ready, so the store cuts it at once (no flush timer).
    if (pendingReadings.length >= o.batchLines) await o.sink.readings(pendingReadings.splice(0));
    if (pendingAggs.length >= o.batchLines) await o.sink.aggregates(pendingAggs.splice(0));
  }
  await Promise.all([
    o.sink.readings(pendingReadings),
    o.sink.aggregates(pendingAggs),
    o.sink.alertChanges(history.alertChanges),
    o.sink.deadLetters(history.deadLetters),
    ...samples,
  ]);
  pendingReadings = [];
  pendingAggs = [];
  return history;
}
