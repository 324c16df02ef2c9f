import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PacketSizeGuard } from '../../broker/packet-size-guard.ts';

/** Remaining Length encoding, MQTT 3.1.1 §2.2.3 (written here from the spec, independently of the guard). */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

interface Spec {
  readonly type: number;
  readonly flags: number;
  readonly topic: string;
  readonly extra: number;
}

/** Encodes packets; PUBLISH bodies start with a real topic (§3.3.2.1). Returns the stream and each packet's layout. */
function encode(specs: readonly Spec[]) {
  const parts: Buffer[] = [];
  const layout: Array<{ start: number; lastHeaderByte: number; bodyStart: number; total: number }> = [];
  let offset = 0;
  for (const s of specs) {
    const topic = Buffer.from(s.topic);
    const body = s.type === 3 ? Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.alloc(s.extra, 0xab)]) : Buffer.alloc(s.extra, 0xcd);
    const header = Buffer.from([(s.type << 4) | s.flags, ...varint(body.length)]);
    layout.push({ start: offset, lastHeaderByte: offset + header.length - 1, bodyStart: offset + header.length, total: header.length + body.length });
    parts.push(header, body);
    offset += header.length + body.length;
  }
  return { stream: Buffer.concat(parts), layout };
}

const spec = fc.record({
  type: fc.integer({ min: 1, max: 14 }),
  flags: fc.integer({ min: 0, max: 15 }),
  topic: fc.string({ maxLength: 40 }),
  // Mostly small bodies, some past the 2- and 3-byte Remaining Length boundaries (128, 16,384).
  extra: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20_000 })),
});

describe('PacketSizeGuard (B8)', () => {
  it('finds the first oversized packet in any packet sequence split at any points', () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 12 }), fc.integer({ min: 2, max: 25_000 }), fc.array(fc.nat(), { maxLength: 24 }), (specs, max, cutSeeds) => {
        const { stream, layout } = encode(specs);
        const cuts = [...new Set(cutSeeds.map((c) => c % stream.length))].filter((c) => c > 0).sort((a, b) => a - b);
        const bounds = [0, ...cuts, stream.length];
        const guard = new PacketSizeGuard(max);
        const firstBad = layout.findIndex((p) => p.total > max);
        for (let c = 0; c + 1 < bounds.length; c++) {
          const [from, to] = [bounds[c] as number, bounds[c + 1] as number];
          const v = guard.scan(stream.subarray(from, to));
          const bad = layout[firstBad];
          const due = bad !== undefined && bad.lastHeaderByte >= from && bad.lastHeaderByte < to;
          if (!due) {
            assert.equal(v, undefined, `no violation expected in chunk [${from}, ${to})`);
            continue;
          }
          const s = specs[firstBad] as Spec;
          const topicBytes = Buffer.byteLength(s.topic);
          const topicInChunk = s.type === 3 && bad.bodyStart + 2 + topicBytes <= to;
          assert.deepEqual(v, { kind: 'oversized', packetType: s.type, packetBytes: bad.total, topic: topicInChunk ? Buffer.from(s.topic).toString('utf8') : '' });
          return; // the connection is dropped here
        }
        assert.equal(firstBad, -1, 'an oversized packet went unnoticed');
      }),
      { numRuns: 300 },
    );
  });

  it('decides on a byte-by-byte feed of a 4-byte Remaining Length, before any body', () => {
    const guard = new PacketSizeGuard(1024);
    const header = [0x30, 0xff, 0xff, 0xff, 0x7f];
    for (const b of header.slice(0, -1)) assert.equal(guard.scan(Buffer.from([b])), undefined);
    assert.deepEqual(guard.scan(Buffer.from([0x7f])), { kind: 'oversized', packetType: 3, packetBytes: 268_435_460, topic: '' });
  });

  it('accepts a packet of exactly maxPacketBytes and refuses one byte more', () => {
    const exact = encode([{ type: 3, flags: 0, topic: 't', extra: 7 }]); // 2 + 2 + 1 + 7 = 12 bytes
    assert.equal(exact.stream.length, 12);
    assert.equal(new PacketSizeGuard(12).scan(exact.stream), undefined);
    assert.equal(new PacketSizeGuard(11).scan(exact.stream)?.kind, 'oversized');
  });

  it('reports a Remaining Length longer than four bytes as malformed (§2.2.3)', () => {
    assert.deepEqual(new PacketSizeGuard(1 << 30).scan(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])), { kind: 'malformed', detail: 'Remaining Length longer than 4 bytes' });
  });
});
