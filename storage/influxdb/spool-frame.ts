import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/**
 * Spool record framing (SP2): [u32 length][u32 crc32(weight+payload)][u32 weight][payload].
 * The CRC lets open() tell a torn tail (crash between write and fsync) from a
 * complete record, so a half-written record is never replayed as garbage.
 * `weight` is caller-defined (the InfluxDB store puts the line count there) so the
 * backlog metric is known without decoding payloads.
 */
export const FRAME_HEADER = 12;
/** Refuse absurd lengths read from a corrupt header instead of allocating them. */
export const MAX_FRAME_PAYLOAD = 256 * 1024 * 1024;

export function encodeFrame(payload: Buffer, weight: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(weight >>> 0, 8);
  payload.copy(frame, FRAME_HEADER);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

export interface Frame {
  readonly payload: Buffer;
  readonly weight: number;
  /** File offset just past this frame. */
  readonly end: number;
}

/**
 * Sequential frame reader over one segment file between [start, limit).
 * Memory stays bounded by one read chunk plus the largest single frame (SP4):
 * it never loads a whole segment.
 */
export class FrameReader {
  private buf = Buffer.alloc(0);
  /** File offset of buf[0]. */
  private bufStart: number;
  private pos: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private readonly limit: number,
    private readonly chunk = 1 << 20,
  ) {
    this.bufStart = start;
    this.pos = start;
  }

  /** Offset of the next unread frame. */
  get offset(): number {
    return this.pos;
  }

  /**
   * Next frame, `undefined` at a clean end, or 'corrupt' when the bytes at `offset`
   * are not a complete valid frame (torn tail or damage).
   */
  async next(): Promise<Frame | undefined | 'corrupt'> {
    if (this.pos >= this.limit) return undefined;
    if (!(await this.ensure(FRAME_HEADER))) return 'corrupt';
    const at = this.pos - this.bufStart;
    const len = this.buf.readUInt32LE(at);
    if (len > MAX_FRAME_PAYLOAD) return 'corrupt';
    if (!(await this.ensure(FRAME_HEADER + len))) return 'corrupt';
    const base = this.pos - this.bufStart;
    const body = this.buf.subarray(base + 8, base + FRAME_HEADER + len);
    if (crc32(body) !== this.buf.readUInt32LE(base + 4)) return 'corrupt';
    const weight = this.buf.readUInt32LE(base + 8);
    // Copy out: the caller may keep the payload while the window slides on.
    const payload = Buffer.from(this.buf.subarray(base + FRAME_HEADER, base + FRAME_HEADER + len));
    this.pos += FRAME_HEADER + len;
    return { payload, weight, end: this.pos };
  }

  /** Makes `n` bytes from `pos` available in buf; false when the segment ends first. */
  private async ensure(n: number): Promise<boolean> {
    if (this.pos + n > this.limit) return false;
    const have = this.bufStart + this.buf.length - this.pos;
    if (have >= n) return true;
    const want = Math.max(n, this.chunk);
    const next = Buffer.allocUnsafe(Math.min(want, this.limit - this.pos));
    const keep = this.buf.subarray(this.pos - this.bufStart);
    keep.copy(next, 0);
    let filled = keep.length;
    while (filled < n) {
      const { bytesRead } = await this.fh.read(next, filled, next.length - filled, this.pos + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.buf = next.subarray(0, filled);
    this.bufStart = this.pos;
    return filled >= n;
  }
}
