/**
 * MQTT 3.1.1 well-formedness checks that aedes 1.2 / mqtt-packet leave out (B32–B34).
 * Pure functions; the hooks decide what the client gets back.
 */

/**
 * B33 (§1.5.3): UTF-8 strings must be well-formed and must not contain U+0000.
 * mqtt-packet decodes topics with Buffer#toString, which turns every ill-formed
 * sequence (byte 0xFF, an encoded lone surrogate, an overlong form) into U+FFFD, so a
 * U+FFFD in a decoded string means the wire bytes were not valid UTF-8. (A client could
 * send a real, well-formed U+FFFD; no civicstream topic contains one, so it is refused too.)
 */
export function badMqttString(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return 'contains U+0000';
    if (c === 0xfffd) return 'is not well-formed UTF-8';
    if (c >= 0xd800 && c <= 0xdfff) {
      // A JS string from a Buffer never holds a lone surrogate, but a programmatic caller's could.
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else return 'contains a lone surrogate';
    }
  }
  return undefined;
}

/** Topic levels as MQTT counts them (one more than the number of '/'). */
export function topicLevels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) n++;
  return n;
}

export interface WillLike {
  readonly topic: string;
  readonly qos?: number;
  readonly retain?: boolean;
}

/**
 * B32 (§3.1.2.6, §3.1.2-14): a Will's QoS is 0, 1 or 2, its topic a valid topic name
 * (no wildcards, §4.7.1; well-formed UTF-8, §1.5.3). A malformed Will is a protocol
 * violation: the connection is closed without CONNACK (§3.1.4-1).
 */
export function badWill(will: WillLike): string | undefined {
  const qos = will.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) return `will QoS ${qos} is not 0, 1 or 2`;
  if (will.topic.length === 0) return 'will topic is empty';
  if (will.topic.includes('+') || will.topic.includes('#')) return 'will topic contains a wildcard';
  const bad = badMqttString(will.topic);
  return bad === undefined ? undefined : `will topic ${bad}`;
}

/**
 * B34 keep-alive policy: MQTT 3.1.1 has no CONNACK code for "keep-alive not acceptable"
 * (code 6 is reserved, §3.2.2.3). Every keep-alive is accepted; the broker's idle timer
 * uses min(requested, limit) and, for 0 ("no keep-alive", §3.1.2.10) too, the limit, so a
 * silent connection is still dropped after 1.5 × limit seconds. limit 0 = no broker limit.
 */
export function effectiveKeepalive(requested: number, limitSeconds: number): number {
  if (limitSeconds <= 0) return requested;
  if (requested === 0 || requested > limitSeconds) return limitSeconds;
  return requested;
}
