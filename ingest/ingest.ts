import { Ajv } from 'ajv';
import type { Logger } from 'pino';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { Subject } from 'rxjs';
import type { BrokerRejection, InboundHandler, InboundMessage } from '../broker/index.ts';
import { KIND_NAMES, QualityFlag, RejectError, parseTime, sensorTopic, type DeadLetter, type Reading, type RejectReason, type Sensor, type SensorKind, type SensorStatus } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import { decodeReading, encodeReading, recordHead } from './codec.ts';
import { deadLetter, rejectionNotice } from './dead-letter.ts';
import { decode } from './decode.ts';
import type { Journal } from './journal.ts';
import { newQualityTrack, spikeStuckFlags, type QualityTrack } from './quality.ts';
import { StatusSchema } from './schemas.ts';
import type { TimePolicy } from './timestamp.ts';
import { toReadings } from './to-readings.ts';

export interface IngestOptions {
  readonly registry: Registry;
  readonly journal: Journal;
  readonly policy: TimePolicy;
  readonly deadLetterPayloadBytes: number;
  readonly onDeadLetter: (d: DeadLetter) => void;
  /** Publishes a rejection notice on the sensor's T3 topic (QoS 0). */
  readonly notify?: (topic: string, payload: string) => void;
  readonly clock?: () => number;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
}

/**
 * A durable reading with the registry sensor resolved for it (B44: once, at the publish ACL
 * check, or at replay); undefined only for a replayed reading whose sensor is no longer registered.
 */
export interface IngestedReading {
  readonly reading: Reading;
  readonly sensor: Sensor | undefined;
}

const RECEIVE_TIME = QualityFlag.NO_DEVICE_TIME | QualityFlag.CLOCK_SKEW;

/** What ingest remembers per sensor: one record, allocated at the sensor's first reading. */
interface SensorState {
  /** Last event time given to a reading stamped with its receive time (AC1; NaN: none). */
  stamped: number;
  /** Event time of the latest device-timed reading (AC1: a stamped reading never takes it; NaN: none). */
  device: number;
  /** The kind `quality` was made for (a registry reload may change a sensor's kind). */
  kind: SensorKind;
  /** SPIKE/STUCK state (QF1–QF3); undefined when the kind has no spike/stuck parameters. */
  quality: QualityTrack | undefined;
  /** The district `head` was made for (a registry change may move a sensor). */
  district: string;
  /** `recordHead` of the sensor's journal records: escaped once, not per reading. */
  head: string;
}
const validateStatus = new Ajv({ strict: false }).compile(StatusSchema);

/**
 * Ingest as named steps (STYLE.md habit 3): topic (parsed by the broker) → decode →
 * resolve sensor → validate/normalise/stamp (to-readings.ts) → journal → emit.
 * A reading is emitted on `readings$` only after it is durable, in journal order.
 */
export class Ingest {
  private readonly readings = new Subject<IngestedReading>();
  private readonly statuses = new Subject<SensorStatus>();
  readonly readings$ = this.readings.asObservable();
  readonly status$ = this.statuses.asObservable();
  private readonly latestStatus = new Map<string, SensorStatus>();
  private readonly accepted: Record<SensorKind, Counter.Internal>;
  private readonly rejected: Counter<'reason'>;
  private readonly now: () => number;
  /** Per-sensor state (AC1 times, QF1–QF3 spike/stuck tracking): one lookup per message. */
  private readonly sensors = new Map<string, SensorState>();

  constructor(private readonly o: IngestOptions) {
    this.now = o.clock ?? Date.now;
    const readings = new Counter({ name: 'civic_ingest_readings_total', help: 'readings accepted and journaled', labelNames: ['kind'], registers: [o.metrics] });
    this.accepted = Object.fromEntries(KIND_NAMES.map((k) => [k, readings.labels(k)])) as Record<SensorKind, Counter.Internal>;
    this.rejected = new Counter({ name: 'civic_ingest_rejected_total', help: 'messages rejected, by reason (dead-lettered)', labelNames: ['reason'], registers: [o.metrics] });
  }

  /** The broker's InboundHandler: calls `done` (→ PUBACK) once the outcome is durable. */
  readonly handle: InboundHandler = (msg, done) => {
    const parsed = msg.parsed;
    if (!parsed) return this.reject(msg, 'BAD_TOPIC', 'not a telemetry or status topic', undefined), done();
    const sensor = msg.sensor ?? this.o.registry.sensor(parsed.sensorId); // B44: the broker's lookup when it made one
    if (!sensor) return this.reject(msg, 'UNKNOWN_SENSOR', `sensor ${parsed.sensorId} is not registered`, parsed.sensorId), done();
    if (sensor.kind !== parsed.kind) return this.reject(msg, 'TOPIC_KIND_MISMATCH', `topic kind ${parsed.kind}, registry kind ${sensor.kind}`, sensor.id), done();
    if (parsed.channel === 'status') return this.status(msg, sensor.id), done();
    let readings: Reading[];
    try {
      readings = toReadings(decode(msg.payload), sensor, msg.receivedAt, this.o.policy);
    } catch (err) {
      if (!(err instanceof RejectError)) throw err;
      this.reject(msg, err.reason, err.message, sensor.id);
      return done();
    }
    let outstanding = readings.length;
    let st = this.sensors.get(sensor.id);
    if (!st) this.sensors.set(sensor.id, (st = { stamped: Number.NaN, device: Number.NaN, kind: sensor.kind, quality: newQualityTrack(sensor.kind), district: sensor.district.code, head: recordHead(sensor.id, sensor.kind, sensor.district.code) }));
    else if (st.kind !== sensor.kind || st.district !== sensor.district.code) {
      // Re-registered as another kind (new SPIKE/STUCK state) or moved to another district.
      if (st.kind !== sensor.kind) st.quality = newQualityTrack(sensor.kind);
      st.kind = sensor.kind;
      st.district = sensor.district.code;
      st.head = recordHead(sensor.id, sensor.kind, sensor.district.code);
    }
    for (let i = 0; i < readings.length; i++) {
      if (readings[i]!.flags & RECEIVE_TIME) readings[i] = this.uniqueTime(readings[i]!, st);
      else st.device = readings[i]!.ts;
      const r = readings[i]!;
      if (st.quality) r.flags |= spikeStuckFlags(st.quality, r.values, r.ts); // QF1, QF2: before the journal, so replays keep them
      r.seq = this.o.journal.append(encodeReading(r, st.head), (err) => {
        if (err) return done(err); // not durable: no PUBACK, the device retries (J1)
        this.accepted[r.kind]!.inc(); // one counter per kind registered before the stage was built (KD2)
        this.readings.next({ reading: r, sensor });
        if (--outstanding === 0) done();
      });
    }
  };

  /**
   * AC1: a reading stamped with its receive time (NO_DEVICE_TIME, CLOCK_SKEW) gets an event
   * time strictly after the previous such reading of the same sensor, so ten timeless
   * readings in one millisecond become ten rows, never one row and nine silent drops; nor
   * does it take the millisecond of the sensor's latest device-timed reading (it would be
   * stored as that reading's correction). Fields of the sensor's state record, no lookup.
   */
  private uniqueTime(r: Reading, st: SensorState): Reading {
    let ts = r.ts <= st.stamped ? st.stamped + 1 : r.ts;
    if (ts === st.device) ts++;
    st.stamped = ts;
    return ts === r.ts ? r : { ...r, ts };
  }

  /** Dead-letters what the broker refused before ingest (ACL, rate, size, unknown sensor). */
  rejectFromBroker(r: BrokerRejection): void {
    this.rejected.labels(r.reason).inc();
    this.o.onDeadLetter(deadLetter(r.reason, r.message, r.topic, r.clientId, r.sensorId, r.payload, r.payloadBytes, this.o.deadLetterPayloadBytes, this.now()));
  }

  /** Replays the journal tail after the checkpoint into `readings$` (startup, before the broker listens). */
  replay(): number {
    return this.o.journal.replay((seq, payload) => {
      const reading = decodeReading(seq, payload);
      this.readings.next({ reading, sensor: this.o.registry.sensor(reading.sensorId) });
    });
  }

  sensorStatus(id: string): SensorStatus | undefined {
    return this.latestStatus.get(id);
  }

  complete(): void {
    this.readings.complete();
    this.statuses.complete();
  }

  private status(msg: InboundMessage, sensorId: string): void {
    let doc: unknown;
    try {
      doc = JSON.parse(msg.payload.toString('utf8'));
    } catch (err) {
      return this.reject(msg, 'BAD_JSON', (err as Error).message, sensorId);
    }
    if (!validateStatus(doc)) return this.reject(msg, 'SCHEMA', `status ${validateStatus.errors?.[0]?.instancePath ?? ''} ${validateStatus.errors?.[0]?.message ?? ''}`.trim(), sensorId);
    const ts = doc.dateObserved === undefined ? msg.receivedAt : parseTime(doc.dateObserved);
    const status: SensorStatus = { ...this.latestStatus.get(sensorId), sensorId, ts: Number.isNaN(ts) ? msg.receivedAt : ts, ...doc };
    delete (status as { dateObserved?: unknown }).dateObserved;
    this.latestStatus.set(sensorId, status);
    this.statuses.next(status);
  }

  private reject(msg: InboundMessage, reason: RejectReason, message: string, sensorId: string | undefined): void {
    this.rejected.labels(reason).inc();
    const at = this.now();
    this.o.onDeadLetter(deadLetter(reason, message, msg.topic, msg.clientId, sensorId, msg.payload, msg.payload.length, this.o.deadLetterPayloadBytes, at));
    const sensor = sensorId ? this.o.registry.sensor(sensorId) : undefined;
    if (sensor && this.o.notify) this.o.notify(sensorTopic(sensor.kind, sensor.id, 'rejections'), rejectionNotice(reason, message, msg.topic, at));
  }
}
