import { isSensorKind } from './kinds/index.ts';
import type { SensorKind } from './types.ts';

/**
 * The public topic contract. Rule ids (T1…) are cited where they are enforced and tested.
 *
 * T1  sensors/{kind}/{sensorId}/telemetry   readings (JSON object or SenML array), QoS 0 or 1
 * T2  sensors/{kind}/{sensorId}/status      battery, firmware, online/offline (also the Last Will)
 * T3  sensors/{kind}/{sensorId}/rejections  the broker tells a sensor why a message was dead-lettered (read by the sensor itself)
 * T4  alerts/{kind}/{district}/{sensorId}/{ruleId}   alert state per (sensor, rule), and
 *     alerts/{kind}/{district}/{sensorId} the sensor's open-alert summary; written only by the pipeline (AL4)
 * T5  $SYS/…                                broker heartbeat, written only by the broker
 * T6  sensor ids: 1–64 chars of [A-Za-z0-9._-]; no MQTT wildcards or separators
 */
export type SensorTopicChannel = 'telemetry' | 'status' | 'rejections';

export interface SensorTopic {
  readonly kind: SensorKind;
  readonly sensorId: string;
  readonly channel: SensorTopicChannel;
}

export const SENSOR_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses T1–T3; returns undefined for anything else (including unknown kinds). */
export function parseSensorTopic(topic: string): SensorTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== 'sensors') return undefined;
  const [, kind, sensorId, channel] = parts as [string, string, string, string];
  if (!isSensorKind(kind) || !SENSOR_ID_PATTERN.test(sensorId)) return undefined;
  if (channel !== 'telemetry' && channel !== 'status' && channel !== 'rejections') return undefined;
  return { kind, sensorId, channel };
}

export function sensorTopic(kind: SensorKind, sensorId: string, channel: SensorTopicChannel): string {
  return `sensors/${kind}/${sensorId}/${channel}`;
}

export function alertTopic(kind: SensorKind, district: string, subject: string): string {
  return `alerts/${kind}/${district}/${subject}`;
}
