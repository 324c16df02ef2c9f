import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySpike, malformedPayload, planFaults } from '../../simulators/faults.ts';
import { createSensorSource, Rng } from '../../simulators/index.ts';
import { QualityFlag } from '../../domain/index.ts';
import { newQualityTrack, spikeStuckFlags, trackedFields } from '../../ingest/index.ts';
import { demoRegistry, payloadProblems, valueProblems } from './validate.ts';

const registry = demoRegistry();
const sensors = [...registry.sensors()];
const ids = sensors.map((s) => s.id);
const noFaults = { malformedRate: 0, spikeRate: 0 };

describe('fault plan', () => {
  it('picks disjoint silent and stuck sensors, reproducibly and independent of input order', () => {
    const plan = planFaults(ids, { ...noFaults, silentSensors: 4, stuckSensors: 3 }, 8);
    assert.equal(plan.silentAfter.size, 4);
    assert.equal(plan.stuck.size, 3);
    for (const id of plan.stuck) assert.ok(!plan.silentAfter.has(id));
    for (const n of plan.silentAfter.values()) assert.ok(n >= 1 && n <= 3);
    const again = planFaults([...ids].reverse(), { ...noFaults, silentSensors: 4, stuckSensors: 3 }, 8);
    assert.deepEqual([...again.silentAfter].sort(), [...plan.silentAfter].sort());
    assert.deepEqual([...again.stuck].sort(), [...plan.stuck].sort());
    const other = planFaults(ids, { ...noFaults, silentSensors: 4, stuckSensors: 3 }, 9);
    assert.notDeepEqual([...other.silentAfter.keys()].sort(), [...plan.silentAfter.keys()].sort());
  });

  it('never plans more faulty sensors than exist', () => {
    const plan = planFaults(['a', 'b', 'c'], { ...noFaults, silentSensors: 2, stuckSensors: 5 }, 1);
    assert.equal(plan.silentAfter.size + plan.stuck.size, 3);
  });
});

describe('malformed payloads and spikes', () => {
  it('malformed payloads always fail parsing or the schema, and all three variants occur', () => {
    const rng = new Rng(4, 'malformed');
    const seen = new Set<string>();
    for (const sensor of sensors) {
      const src = createSensorSource(sensor, 4);
      for (let i = 0; i < 20; i++) {
        const t = Date.parse('2025-09-01T12:00:00+08:00') + i * 60_000;
        const { variant, payload } = malformedPayload(t, src.next(t), rng);
        seen.add(variant);
        let body: unknown;
        try {
          body = JSON.parse(payload);
        } catch {
          continue; // bad JSON: malformed as intended
        }
        assert.notDeepEqual(payloadProblems(sensor, body), [], `${variant} payload passed validation: ${payload}`);
      }
    }
    assert.deepEqual([...seen].sort(), ['notJson', 'truncated', 'wrongType']);
  });

  it('a spike of a kind with spike rates is flagged SPIKE by ingest\'s rule (QF1); the normal series is not', () => {
    const rng = new Rng(9, 'spike-flag');
    let spikes = 0;
    for (const sensor of sensors.filter((s) => trackedFields(s.kind).length > 0 && s.kind !== 'streetlight')) {
      const src = createSensorSource(sensor, 9);
      const step = sensor.intervalSeconds * 1000;
      const t0 = Date.parse('2025-12-01T20:00:00+08:00');
      const normal = newQualityTrack(sensor.kind)!;
      const faulty = newQualityTrack(sensor.kind)!;
      for (let i = 0; i < 40; i++) {
        const values = src.next(t0 + i * step);
        assert.equal(spikeStuckFlags(normal, values, t0 + i * step) & QualityFlag.SPIKE, 0, `${sensor.id}: normal reading ${i} flagged SPIKE`);
        // Every 5th reading spiked; the others go through the same state.
        const spiked = i > 0 && i % 5 === 0 ? applySpike(sensor, values, rng) : values;
        const flag = spikeStuckFlags(faulty, spiked, t0 + i * step) & QualityFlag.SPIKE;
        if (spiked !== values) {
          assert.equal(flag, QualityFlag.SPIKE, `${sensor.id}: spike ${JSON.stringify(spiked)} after ${JSON.stringify(values)} not flagged`);
          spikes++;
        } else assert.equal(flag, 0, `${sensor.id}: reading ${i} after a spike flagged`);
      }
    }
    assert.ok(spikes > 100, `${spikes} spikes checked`);
  });

  it('spikes stay inside hard bounds and kind checks but jump beyond the sensor\'s normal variation', () => {
    const rng = new Rng(6, 'spike');
    let jumped = 0;
    let total = 0;
    for (const sensor of sensors) {
      const src = createSensorSource(sensor, 6);
      const readings = Array.from({ length: 30 }, (_, i) => src.next(Date.parse('2025-12-01T20:00:00+08:00') + i * sensor.intervalSeconds * 1000));
      // The largest step between consecutive normal readings, per field.
      const normalStep: Record<string, number> = {};
      for (let i = 1; i < readings.length; i++) {
        for (const [k, v] of Object.entries(readings[i]!)) {
          const prev = readings[i - 1]![k];
          if (typeof v === 'number' && typeof prev === 'number') normalStep[k] = Math.max(normalStep[k] ?? 0, Math.abs(v - prev));
        }
      }
      for (const values of readings) {
        const spiked = applySpike(sensor, values, rng);
        assert.deepEqual(valueProblems(sensor, spiked), [], `${sensor.id}: ${JSON.stringify(spiked)}`);
        total++;
        const large = Object.keys(values).some((k) => {
          const a = values[k];
          const b = spiked[k];
          return typeof a === 'number' && typeof b === 'number' && Math.abs(b - a) > 2 * (normalStep[k] ?? 0) && Math.abs(b - a) >= 1;
        });
        if (large) jumped++;
      }
    }
    // A parking lot near half occupancy swaps to about the same count; nearly all others must jump.
    assert.ok(jumped > total * 0.9, `${jumped}/${total} spikes were large`);
  });
});
