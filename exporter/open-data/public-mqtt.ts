import type { Reading, Sensor } from '../../domain/index.ts';
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '../../registry/index.ts';
import { Privacy, type PrivacyOptions } from './privacy.ts';
import { liveJson } from './live.ts';

/**
 * Read-only public MQTT topics for map apps (issue 5 §5): `public/{kind}/{sensorId}`, one
 * retained message per sensor holding its latest public reading (so a new subscriber sees
 * the map at once), the same allow-listed JSON as the SSE feed.
 *
 * PT1  anonymous clients may subscribe only to filters whose first level is literally `public`
 *      (`public/#`, `public/air-quality/+`, …); `#`, `+/…` and `$SYS/…` are refused.
 * PT2  nobody but the pipeline publishes under `public/`: every client publish there is refused,
 *      anonymous clients may publish nothing at all.
 */
export const PUBLIC_PREFIX = 'public';

export type PublishFn = (topic: string, payload: Buffer, retain: boolean) => void;

export interface PublicMqttOptions {
  /** The broker's publish, e.g. (t, p, r) => broker.publish({ cmd: 'publish', topic: t, payload: p, qos: 0, retain: r, dup: false }, () => {}). */
  readonly publish: PublishFn;
  readonly registry: Registry;
  /** The same coarsening options given to createOpenDataPlugin, so MQTT never shows more than HTTP. */
  readonly privacy?: PrivacyOptions;
  readonly metrics?: MetricsRegistry;
  /** Retain the latest message per sensor (default true). */
  readonly retain?: boolean;
}

export interface PublicMqtt {
  /** Feed every accepted reading here; O(1) work per reading. `sensor`: the one the pipeline resolved for it (B44), else looked up. */
  onReading(r: Reading, sensor?: Sensor): void;
  topicFor(kind: string, sensorId: string): string;
  /** PT1, for the broker's authorizeSubscribe when the client connected without credentials. */
  anonymousMaySubscribe(filter: string): boolean;
  /** PT2, for the broker's authorizePublish: false for any topic under public/ (and for anonymous clients, any topic). */
  mayPublish(topic: string, anonymous: boolean): boolean;
}

export function createPublicMqtt(o: PublicMqttOptions): PublicMqtt {
  const published = o.metrics
    ? new Counter({ name: 'civic_open_data_mqtt_published_total', help: 'Readings republished on public/{kind}/{sensorId}', registers: [o.metrics] })
    : undefined;
  const retain = o.retain ?? true;
  const topicFor = (kind: string, sensorId: string) => `${PUBLIC_PREFIX}/${kind}/${sensorId}`;
  const view = { registry: o.registry, privacy: new Privacy(o.privacy ?? {}) };
  return {
    topicFor,
    onReading(r, sensor) {
      const json = liveJson(view, r, sensor);
      if (!json) return;
      o.publish(topicFor(r.kind, r.sensorId), Buffer.from(json), retain);
      published?.inc();
    },
    anonymousMaySubscribe(filter) {
      const levels = filter.split('/');
      if (levels[0] !== PUBLIC_PREFIX) return false;
      // MQTT 3.1.1 §4.7.1: '#' only as the last level, '+' a whole level; malformed filters are refused.
      return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
    },
    mayPublish(topic, anonymous) {
      if (anonymous) return false;
      return topic.split('/')[0] !== PUBLIC_PREFIX;
    },
  };
}
