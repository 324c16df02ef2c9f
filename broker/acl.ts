import { parseSensorTopic, type Sensor, type SensorTopic } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Principal } from './contract.ts';

/**
 * Topic access rules, pure and shared by the connect, publish and subscribe hooks.
 * Rule ids are listed in broker/index.ts (B3–B6, B10) and cited by the tests.
 */
export type PublishVerdict =
  /** `sensor`: the registry entry the check resolved, carried with the message so nobody looks it up again (B44). */
  | { readonly ok: true; readonly parsed: SensorTopic; readonly sensor: Sensor }
  | {
      readonly ok: false;
      /** NOT_AUTHORIZED closes the connection; the other two are acknowledged and dropped. */
      readonly reason: 'NOT_AUTHORIZED' | 'UNKNOWN_SENSOR' | 'BAD_TOPIC';
      readonly message: string;
      readonly sensorId?: string;
    };

/** B4/B5/B6: may `principal` publish on `topic`, and is it a valid T1/T2 topic? */
export function checkPublish(principal: Principal, topic: string, registry: Registry): PublishVerdict {
  // B13/B14: public readers and staff clients are read-only.
  if (principal.type === 'public' || principal.type === 'staff' || principal.type === 'integration') {
    // B15: an integration never publishes on sensors/… (checkIntegrationPublish covers its own namespace).
    if (principal.type === 'integration') return { ok: false, reason: 'NOT_AUTHORIZED', message: `integration ${principal.id} may not publish on ${topic}` };
    return { ok: false, reason: 'NOT_AUTHORIZED', message: `${principal.type} clients are read-only` };
  }
  const parts = topic.split('/');
  if (parts[0] !== 'sensors' || parts.length < 3) {
    return { ok: false, reason: 'NOT_AUTHORIZED', message: `${principal.type} ${principal.id} may not publish on ${topic}` };
  }
  const kind = parts[1] as string;
  const id = parts[2] as string;
  const sensor = registry.sensor(id);
  if (principal.type === 'sensor') {
    // B4: only sensors/{ownKind}/{ownId}/…; a wrong kind is someone else's topic space.
    if (id !== principal.id || sensor === undefined || kind !== sensor.kind) {
      return { ok: false, reason: 'NOT_AUTHORIZED', message: `sensor ${principal.id} may publish only under sensors/${sensor?.kind ?? '?'}/${principal.id}/` };
    }
  } else {
    // B5: a gateway bridges many devices; one unregistered device must not cut off the others.
    if (sensor === undefined) {
      return { ok: false, reason: 'UNKNOWN_SENSOR', message: `sensor ${id} is not registered`, sensorId: id };
    }
    if (sensor.gateway !== principal.id || kind !== sensor.kind) {
      return { ok: false, reason: 'NOT_AUTHORIZED', message: `gateway ${principal.id} may not publish for sensors/${kind}/${id}`, sensorId: id };
    }
  }
  // B6: inside the principal's own space but not T1/T2 (T3 rejections are written only by the pipeline).
  const parsed = parseSensorTopic(topic);
  if (parsed === undefined || parsed.channel === 'rejections') {
    return { ok: false, reason: 'BAD_TOPIC', message: `${topic} is not sensors/{kind}/{sensorId}/telemetry or /status`, sensorId: id };
  }
  return { ok: true, parsed, sensor };
}

/** B3: a Last Will may only announce the principal's own (or its sensors') T2 status. */
export function isOwnStatusTopic(principal: Principal, topic: string, registry: Registry): boolean {
  const verdict = checkPublish(principal, topic, registry);
  return verdict.ok && verdict.parsed.channel === 'status';
}

/**
 * B10: subscriptions must stay inside one sensor's subtree the principal owns:
 * the first three levels literal (`sensors/{kind}/{id}`), wildcards only below.
 */
export function maySubscribe(principal: Principal, filter: string, registry: Registry): boolean {
  if (principal.type === 'staff') return isAlertFilter(filter);
  if (principal.type === 'integration') return mayIntegrationSubscribe(principal.id, filter, registry);
  if (principal.type === 'public') return false; // decided by the exporter's public filter (B13)
  const parts = filter.split('/');
  if (parts.length < 4 || parts[0] !== 'sensors') return false;
  const kind = parts[1] as string;
  const id = parts[2] as string;
  const sensor = registry.sensor(id);
  if (sensor === undefined || sensor.kind !== kind) return false;
  return principal.type === 'sensor' ? id === principal.id : sensor.gateway === principal.id;
}

/**
 * B14: staff may subscribe to alert topics (T4) only: first level literally `alerts`,
 * wildcards well-formed (MQTT 3.1.1 §4.7.1: `#` last and alone, `+` a whole level), no `$`.
 */
export function isAlertFilter(filter: string): boolean {
  const parts = filter.split('/');
  if (parts[0] !== 'alerts') return false;
  return parts.every((p, i) => !p.includes('$') && (p === '#' ? i === parts.length - 1 : !p.includes('#') && (p === '+' || !p.includes('+'))));
}

/** MQTT 3.1.1 §4.7.1: `#` only last and alone, `+` only a whole level; nothing starting with `$` (B11). */
export function isWellFormedFilter(filter: string): boolean {
  if (filter === '' || filter.startsWith('$')) return false;
  const parts = filter.split('/');
  return parts.every((p, i) => (p === '#' ? i === parts.length - 1 : !p.includes('#') && (p === '+' || !p.includes('+'))));
}

/** True when every topic `filter` matches is also matched by `pattern` (both well-formed filters). */
export function filterCovers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  for (let i = 0; ; i++) {
    if (p[i] === '#') return true;
    if (i === p.length || i === f.length) return i === p.length && i === f.length;
    if (f[i] === '#') return false;
    if (p[i] === '+') continue;
    if (f[i] === '+' || f[i] !== p[i]) return false;
  }
}

/** Does `filter` match the topic name `topic` (MQTT 3.1.1 §4.7; `$` topics never match a leading wildcard)? */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  return filterCovers(filter, topic);
}

/**
 * B15: an integration (RG5) subscribes only to filters lying inside one of its `read` patterns;
 * it is subscribe-only unless `publish` patterns are granted, and those lie under
 * `integrations/{id}/` (checked at registry validation and here), so they can never reach a
 * sensor's telemetry, alerts/, public/ or another principal's namespace.
 */
export function mayIntegrationSubscribe(id: string, filter: string, registry: Registry): boolean {
  const grant = registry.integration(id);
  if (!grant || grant.disabled || !isWellFormedFilter(filter)) return false;
  return grant.read.some((p) => filterCovers(p, filter));
}

export function checkIntegrationPublish(id: string, topic: string, registry: Registry): boolean {
  const grant = registry.integration(id);
  if (!grant || grant.disabled || topic.includes('+') || topic.includes('#')) return false;
  if (!topic.startsWith(`integrations/${id}/`)) return false;
  return grant.publish.some((p) => topicMatches(p, topic));
}
