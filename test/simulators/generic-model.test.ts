import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerKind, type Sensor } from '../../domain/index.ts';
import { createSensorSource, jsonPayload } from '../../simulators/index.ts';
import { waterQuality } from '../support/kinds/water-quality.ts';
import { payloadProblems } from './validate.ts';

registerKind(waterQuality);

const sensor: Sensor = {
  id: 'wq-sim-1', kind: waterQuality.kind, name: { 'zh-TW': '水質', en: 'Water quality' },
  district: { code: '68000030', name: { 'zh-TW': '大溪區', en: 'Daxi District' } }, location: { lat: 24.81, lon: 121.25 },
  intervalSeconds: 300, params: { intake: 'river', turbidityLimitNtu: 500 }, tags: [],
};
const DAY_MS = 86_400_000;
const day = (seed: number) => {
  const source = createSensorSource(sensor, seed);
  const out: Array<{ t: number; values: Record<string, number | string> }> = [];
  for (let t = Date.parse('2025-07-07T00:00:00+08:00'), end = t + DAY_MS; t < end; t += 300_000) out.push({ t, values: source.next(t) });
  return out;
};

describe('the generic simulator model (a kind whose description names no model)', () => {
  it('reports every numeric field inside its plausible range, valid against the kind, and moving', () => {
    const readings = day(5);
    for (const { t, values } of readings) {
      assert.ok((values.pH as number) >= 4 && (values.pH as number) <= 10, `pH ${values.pH}`);
      assert.ok((values.turbidity as number) >= 0 && (values.turbidity as number) <= 1000, `turbidity ${values.turbidity}`);
      assert.deepEqual(payloadProblems(sensor, JSON.parse(jsonPayload(t, values))), []);
    }
    assert.ok(new Set(readings.map((r) => r.values.turbidity)).size > 10, 'the values wander');
  });

  it('is deterministic per seed and sensor', () => {
    assert.deepEqual(day(5), day(5));
    assert.notDeepEqual(day(5), day(6));
  });
});
