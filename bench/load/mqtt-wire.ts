/**
 * The few MQTT 3.1.1 packets the load generator needs, encoded by hand. A full client
 * (mqtt.js) spends most of a core on per-message objects and promises; the generator
 * must outrun the pipeline on one core, so it writes pre-encoded bytes and only parses
 * the 4-byte acknowledgements coming back.
 */

/** §2.2.3 Remaining Length: 7 bits per byte, high bit = "more bytes follow". */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** §3.1 CONNECT with clean session, username and password. */
export function connectPacket(clientId: string, username: string, password: string, keepaliveS: number): Buffer {
  const header = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x80 | 0x40 | 0x02, (keepaliveS >> 8) & 0xff, keepaliveS & 0xff]);
  const body = Buffer.concat([header, str(clientId), str(username), str(password)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** §3.3 PUBLISH, QoS 1 (flags 0b0010): topic, packet id, payload. `topic` is the length-prefixed topic from `topicBytes`. */
export function publishQos1(topic: Buffer, packetId: number, payload: Buffer): Buffer {
  const len = topic.length + 2 + payload.length;
  const rl = remainingLength(len);
  const out = Buffer.allocUnsafe(1 + rl.length + len);
  out[0] = 0x32;
  rl.copy(out, 1);
  let o = 1 + rl.length;
  o += topic.copy(out, o);
  out.writeUInt16BE(packetId, o);
  payload.copy(out, o + 2);
  return out;
}

/** Length-prefixed topic, encoded once per sensor. */
export function topicBytes(topic: string): Buffer {
  return str(topic);
}

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export type Incoming = { type: 'connack'; returnCode: number } | { type: 'puback'; packetId: number } | { type: 'other'; code: number };

/** Incremental reader for server → client packets (CONNACK, PUBACK, PINGRESP, …). */
export class PacketReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onPacket: (p: Incoming) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let o = 0;
    const b = this.buf;
    while (b.length - o >= 2) {
      let mult = 1;
      let len = 0;
      let i = o + 1;
      let complete = false;
      for (; i < b.length && i < o + 5; i++) {
        const byte = b[i]!;
        len += (byte & 0x7f) * mult;
        mult *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || b.length - i < len) break;
      const type = b[o]! >> 4;
      if (type === 4) onPacket({ type: 'puback', packetId: b.readUInt16BE(i) });
      else if (type === 2) onPacket({ type: 'connack', returnCode: b[i + 1]! });
      else onPacket({ type: 'other', code: type });
      o = i + len;
    }
    this.buf = o === b.length ? Buffer.alloc(0) : b.subarray(o);
  }
}
