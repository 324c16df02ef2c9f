import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketReader, publishQos1, remainingLength, topicBytes, type Incoming } from '../../bench/load/mqtt-wire.ts';
import { hotspots } from '../../bench/profile.ts';
import { percentile } from '../../bench/stats.ts';

test('remaining length follows MQTT 3.1.1 §2.2.3 examples', () => {
  assert.deepEqual([...remainingLength(0)], [0x00]);
  assert.deepEqual([...remainingLength(127)], [0x7f]);
  assert.deepEqual([...remainingLength(128)], [0x80, 0x01]);
  assert.deepEqual([...remainingLength(16_383)], [0xff, 0x7f]);
  assert.deepEqual([...remainingLength(16_384)], [0x80, 0x80, 0x01]);
});

test('PUBLISH QoS 1 layout: header, topic, packet id, payload', () => {
  const p = publishQos1(topicBytes('a/b'), 0x1234, Buffer.from('xy'));
  assert.deepEqual([...p], [0x32, 9, 0, 3, 0x61, 0x2f, 0x62, 0x12, 0x34, 0x78, 0x79]);
});

test('PacketReader reassembles acks split across chunks', () => {
  const got: Incoming[] = [];
  const r = new PacketReader();
  const stream = Buffer.from([0x20, 0x02, 0x00, 0x00, 0x40, 0x02, 0x00, 0x07, 0x40, 0x02, 0x01, 0x00, 0xd0, 0x00]);
  const cuts = [0, 1, 5, 7, 13, 14]; // splits inside a header, at boundaries and inside a packet id
  for (let i = 1; i < cuts.length; i++) r.push(stream.subarray(cuts[i - 1], cuts[i]), (p) => got.push(p));
  assert.deepEqual(got, [{ type: 'connack', returnCode: 0 }, { type: 'puback', packetId: 7 }, { type: 'puback', packetId: 256 }, { type: 'other', code: 13 }]);
});

test('percentile is nearest-rank', () => {
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99), 10);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test('hotspots charge each sample to the top frame', () => {
  const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0 });
  const profile = { startTime: 0, nodes: [{ id: 1, callFrame: frame('(idle)') }, { id: 2, callFrame: frame('parse') }, { id: 3, callFrame: frame('write') }], samples: [2, 2, 3, 2, 1], timeDeltas: [1000, 1000, 2000, 1000, 9000] };
  // (idle) is not busy time, so it is left out of the denominator.
  assert.deepEqual(hotspots(profile).map((x) => [x.fn, x.selfPercent]), [['parse', 60], ['write', 40]]);
  // Samples stamped 1000, 2000, 4000, 5000 µs: the window [3000, 4500] holds only the 'write' one.
  assert.deepEqual(hotspots(profile, 15, [3000, 4500]).map((x) => [x.fn, x.selfPercent]), [['write', 100]]);
});
