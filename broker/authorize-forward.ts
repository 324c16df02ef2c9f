import type { AedesPublishPacket, Client } from 'aedes';

/**
 * authorizeForward (rules B11, B40). Subscriptions are already confined to one sensor's
 * subtree (B10); this is the second fence: nothing under `$` (aedes' `$SYS` heartbeat,
 * client lists, our discard topic) is ever delivered to a device.
 *
 * B40 (§3.8.4): a message goes out at no more than the QoS granted to the matching
 * subscription. aedes 1.2 downgrades only when a subscription's filter is the topic
 * itself, so a retained QoS 1 message reached a QoS 0 wildcard subscription at QoS 1.
 */
export function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
  if (packet.topic.charCodeAt(0) === 36 /* '$' */) return null;
  if (packet.qos === 0) return packet;
  const granted = grantedQos(client, packet.topic);
  if (granted >= packet.qos) return packet;
  return Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as AedesPublishPacket, packet, { qos: granted });
}

/** Highest QoS among the client's subscriptions that match `topic` (0 when none does). */
function grantedQos(client: Client, topic: string): number {
  let best = 0;
  const subs = (client as unknown as { subscriptions: Record<string, { qos?: number } | undefined> }).subscriptions as Record<string, { qos?: number } | undefined>;
  for (const filter in subs) {
    const q = subs[filter]?.qos ?? 0;
    if (q > best && topicMatches(filter, topic)) best = q;
  }
  return best;
}

/** MQTT 3.1.1 §4.7 filter matching ('+' one level, '#' the rest; '$' topics never match wildcards first). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return !(i === 0 && topic.startsWith('$'));
    if (i >= t.length) return false;
    if (level === '+') {
      if (i === 0 && topic.startsWith('$')) return false;
      continue;
    }
    if (level !== t[i]) return false;
  }
  return f.length === t.length;
}
