import { Counter, Gauge, type Registry as MetricsRegistry } from 'prom-client';
import { kindOf, type Reading } from '../../../domain/index.ts';
import type { Registry } from '../../../registry/index.ts';
import type { PublishFn } from '../public-mqtt.ts';
import { observationProps } from './model.ts';
import { entityJson } from './render.ts';

/** The STA 1.1 MQTT extension class we serve (read-only: receive updates, no creation). */
export const STA_MQTT_CONFORMANCE = 'http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates';

/** `v1.1/Datastreams('id')/Observations` ('' escapes a quote, as in the HTTP path). */
const TOPIC = /^v1\.1\/Datastreams\('((?:[^']|'')+)'\)\/Observations$/;

/** What the broker tells about public readers' subscriptions (broker B43). */
export type StaSubscriptionEvent =
  | { readonly type: 'subscribe' | 'unsubscribe'; readonly reader: object; readonly filters: readonly string[] }
  | { readonly type: 'gone'; readonly reader: object };

export interface StaMqttOptions {
  readonly publish: PublishFn;
  readonly registry: Registry;
  /** Public HTTP base (https://data.city.gov.tw): selfLinks point at /sta/v1.1 under it, as over HTTP. */
  readonly baseUrl: string;
  readonly metrics?: MetricsRegistry;
}

export interface StaMqtt {
  /** Anonymous readers may subscribe to the Observations topic of a Datastream that exists (exact topic, no wildcards). */
  maySubscribe(filter: string): boolean;
  onSubscriptions(e: StaSubscriptionEvent): void;
  /** Feed every accepted reading: one Map lookup unless a Datastream of its sensor has a reader. */
  onReading(r: Reading): void;
  /** Datastreams with at least one reader now. */
  watched(): number;
}

/** The topic of a Datastream's Observations, exactly as a reader subscribes to it. */
export function topicOf(datastreamId: string): string {
  return `v1.1/Datastreams('${datastreamId.replace(/'/g, "''")}')/Observations`;
}

function datastreamOf(registry: Registry, filter: string): { sensorId: string; field: string } | undefined {
  const m = TOPIC.exec(filter);
  if (!m) return undefined;
  const [sensorId = '', field = '', extra] = m[1]!.replace(/''/g, "'").split(':');
  const s = extra === undefined ? registry.sensor(sensorId) : undefined;
  return s && kindOf(s.kind).fields.some((f) => f.name === field) ? { sensorId, field } : undefined;
}

/**
 * OD-S10: the STA MQTT extension on the public WebSocket listener, read-only. A reading is
 * published as an Observation (the JSON the HTTP API serves for it) on
 * `v1.1/Datastreams('sensor:field')/Observations`, QoS 0, not retained, and only for
 * Datastreams someone currently reads: the broker reports granted subscriptions, unsubscribes
 * and ended connections, and the per-reading cost with no reader is one Map lookup.
 */
export function createStaMqtt(o: StaMqttOptions): StaMqtt {
  const root = `${o.baseUrl.replace(/\/+$/, '')}/sta/v1.1`;
  /** sensorId → field → readers. */
  const watched = new Map<string, Map<string, number>>();
  const byReader = new Map<object, Set<string>>();
  const published = o.metrics ? new Counter({ name: 'civic_open_data_sta_mqtt_published_total', help: 'Observations published on STA MQTT topics (v1.1/Datastreams(id)/Observations)', registers: [o.metrics] }) : undefined;
  if (o.metrics) new Gauge({ name: 'civic_open_data_sta_mqtt_watched_datastreams', help: 'Datastreams with at least one STA MQTT reader', registers: [o.metrics], collect() { let n = 0; for (const f of watched.values()) n += f.size; this.set(n); } });

  const add = (filter: string, delta: 1 | -1) => {
    const ds = datastreamOf(o.registry, filter);
    if (!ds) return;
    let fields = watched.get(ds.sensorId);
    if (!fields) { if (delta < 0) return; watched.set(ds.sensorId, (fields = new Map())); }
    const n = (fields.get(ds.field) ?? 0) + delta;
    if (n > 0) fields.set(ds.field, n); else fields.delete(ds.field);
    if (fields.size === 0) watched.delete(ds.sensorId);
  };

  return {
    maySubscribe: (filter) => datastreamOf(o.registry, filter) !== undefined,
    onSubscriptions(e) {
      let mine = byReader.get(e.reader);
      if (e.type === 'gone') {
        for (const f of mine ?? []) add(f, -1);
        byReader.delete(e.reader);
        return;
      }
      for (const f of e.filters) {
        if (!TOPIC.test(f)) continue;
        if (e.type === 'subscribe') {
          if (!mine) byReader.set(e.reader, (mine = new Set()));
          // A repeated SUBSCRIBE replaces the subscription (MQTT 3.1.1 §3.8.4): count a reader once.
          if (!mine.has(f)) { mine.add(f); add(f, 1); }
        } else if (mine?.delete(f)) add(f, -1);
      }
      if (mine?.size === 0) byReader.delete(e.reader);
    },
    onReading(r) {
      const fields = watched.get(r.sensorId);
      if (!fields) return;
      for (const field of fields.keys()) {
        const props = observationProps(r, field);
        if (!props) continue;
        const ds = `${r.sensorId}:${field}`;
        // The JSON of GET /sta/v1.1/Observations('…'): the same two functions build both.
        const body = entityJson(root, 'Observations', `${ds}:${r.ts}`, props);
        o.publish(topicOf(ds), Buffer.from(JSON.stringify(body)), false);
        published?.inc();
      }
    },
    watched() {
      let n = 0;
      for (const f of watched.values()) n += f.size;
      return n;
    },
  };
}
