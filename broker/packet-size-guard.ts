/**
 * B8: a maximum packet size, which aedes/mqtt-packet do not have (mqtt-packet will
 * buffer a PUBLISH of up to 256 MB, the largest Remaining Length MQTT allows).
 *
 * The guard reads only fixed headers (MQTT 3.1.1 §2.2: one type/flags byte, then a
 * Remaining Length of 1–4 bytes, 7 bits each, high bit = "more", §2.2.3) and skips
 * bodies by counting, so it neither copies nor re-buffers data. It keeps its state
 * across chunks: a header may be split anywhere, and one chunk may hold many packets.
 * It decides as soon as the length is known, before the body arrives.
 */
export type GuardViolation =
  | { readonly kind: 'oversized'; readonly packetType: number; readonly packetBytes: number; readonly topic: string }
  | { readonly kind: 'malformed'; readonly detail: string };

const TYPE = 0;
const LENGTH = 1;
const BODY = 2;
const PUBLISH = 3;

export class PacketSizeGuard {
  private state = TYPE;
  private packetType = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Scans one chunk; returns the first violation, after which the connection must be dropped. */
  scan(chunk: Buffer): GuardViolation | undefined {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.state === BODY) {
        const skip = Math.min(this.remaining, n - i);
        i += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = TYPE;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === TYPE) {
        this.packetType = byte >> 4;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        this.state = LENGTH;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        // §2.2.3: at most four Remaining Length bytes.
        if (this.lengthBytes === 4) return { kind: 'malformed', detail: 'Remaining Length longer than 4 bytes' };
        continue;
      }
      const packetBytes = 1 + this.lengthBytes + this.length;
      if (packetBytes > this.maxPacketBytes) {
        return { kind: 'oversized', packetType: this.packetType, packetBytes, topic: this.packetType === PUBLISH ? peekTopic(chunk, i) : '' };
      }
      this.remaining = this.length;
      this.state = this.remaining === 0 ? TYPE : BODY;
    }
    return undefined;
  }
}

/** Best effort: the PUBLISH topic (§3.3.2.1, 2-byte length + UTF-8) when it lies in this chunk, else ''. */
function peekTopic(chunk: Buffer, at: number): string {
  if (at + 2 > chunk.length) return '';
  const end = at + 2 + chunk.readUInt16BE(at);
  return end <= chunk.length ? chunk.toString('utf8', at + 2, end) : '';
}
