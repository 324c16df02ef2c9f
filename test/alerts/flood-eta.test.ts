import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { floodEta, theilSen } from '../../alerts/flood-eta.ts';
import { Registry } from '../../registry/index.ts';
import { NOW, REGISTRY_YAML, openStore, startHarness } from '../exporter/fixture.ts';
import { openEnv } from '../open-data/fixture.ts';
import { MIN, reading } from '../analytics/fixtures.ts';

const LEVELS = { level3: 2, level2: 3, level1: 4 };
const W = 60 * MIN;
const line = (v0: number, perHour: number, n = 13, t0 = 0) => Array.from({ length: n }, (_, i) => ({ ts: t0 + i * 5 * MIN, v: v0 + (perHour * i * 5) / 60 }));

describe('flood ETA (FE1–FE4, pure)', () => {
  it('FE2 gives the time to the next warning level and to level 1 on a rising trend', () => {
    const e = floodEta('s', line(2.2, 0.6), LEVELS, { windowMs: W })!; // ends at 2.8 m, +0.6 m/h
    assert.equal(e.rising, true);
    assert.ok(Math.abs(e.trendPerHour! - 0.6) < 1e-9);
    assert.equal(e.next!.level, 'level2');
    assert.equal(e.next!.etaMinutes, 20); // 0.2 m at 0.6 m/h
    assert.equal(e.toLevel1!.etaMinutes, 120);
    assert.match(e.next!.at, /\+08:00$/);
  });
  it('FE3 no ETA to a level already passed, and none when the trend is flat or falling', () => {
    const passed = floodEta('s', line(3.1, 0.3), LEVELS, { windowMs: W })!; // ends at 3.4 m, above level 2 (3) → next is level 1
    assert.equal(passed.next!.level, 'level1');
    const above = floodEta('s', line(4.2, 0.3), LEVELS, { windowMs: W })!;
    assert.equal(above.next, undefined);
    assert.equal(above.toLevel1, undefined);
    const falling = floodEta('s', line(3.5, -0.4), LEVELS, { windowMs: W })!;
    assert.equal(falling.rising, false);
    assert.equal(falling.next, undefined);
  });
  it('FE1 too few samples or too short a span give no trend', () => {
    assert.equal(floodEta('s', line(2.2, 0.6, 2), LEVELS, { windowMs: W })!.trendPerHour, undefined);
    assert.equal(floodEta('s', line(2.2, 0.6, 4), LEVELS, { windowMs: W })!.trendPerHour, undefined); // 15 min < half the window
  });
  it('FE1 the trend is robust: one spike or one stuck sample does not change the sign of a steady rise', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 2, noNaN: true }), fc.integer({ min: 1, max: 11 }), fc.double({ min: -5, max: 5, noNaN: true }), (perHour, k, spike) => {
        const pts = line(1, perHour);
        pts[k] = { ts: pts[k]!.ts, v: pts[k]!.v + spike };
        const slope = theilSen(pts) * 3_600_000;
        return slope > 0 && Math.abs(slope - perHour) <= perHour * 0.5 + 1e-9;
      }),
    );
  });
});

const RIVER_YAML = REGISTRY_YAML.replace('sensors:\n', `sensors:
  - id: wl-river-9
    kind: water-level
    name: { zh-TW: 南崁溪橋, en: Nankan Creek Bridge }
    district: "6800100"
    location: { lat: 25.0, lon: 121.3 }
    intervalSeconds: 300
    params: { station: river, warningLevels: { level3: 2, level2: 3, level1: 4 } }
    secretHash: "scrypt$wl$river-hash"
`);

describe('flood ETA served per station (FE4)', () => {
  const registry = Registry.parse(RIVER_YAML, 'r.yaml');
  const river = registry.sensor('wl-river-9')!;
  const rising = line(2.2, 0.6, 13, NOW - 60 * MIN).map((p) => reading(river, p.ts, { currentLevel: p.v }));

  it('GET /api/v1/sensors/{id}/flood-eta answers for a river station, 400 for another sensor', async () => {
    const { store, dispose } = await openStore();
    const h = await startHarness(store, { registry });
    try {
      await store.writeReadings(rising);
      const res = await h.get('/api/v1/sensors/wl-river-9/flood-eta');
      assert.equal(res.status, 200);
      const body = (await res.json()) as { next: { level: string; etaMinutes: number }; rising: boolean };
      assert.equal(body.rising, true);
      assert.deepEqual([body.next.level, body.next.etaMinutes], ['level2', 20]);
      assert.equal((await h.get('/api/v1/sensors/pk-ty-001/flood-eta')).status, 400);
      assert.equal((await h.get('/api/v1/sensors/nope/flood-eta')).status, 404);
    } finally {
      await h.close();
      await dispose();
    }
  });

  it('the public water-level feed lists the ETA of every river station', async () => {
    const env = await openEnv({ registry }, false);
    try {
      await env.store.writeReadings(rising);
      const res = await env.get('/open-data/v1/feeds/water-level/flood-eta');
      assert.equal(res.status, 200);
      const body = (await res.json()) as { count: number; items: { sensorId: string; toLevel1: { etaMinutes: number } }[] };
      assert.equal(body.count, 1);
      assert.equal(body.items[0]!.sensorId, 'wl-river-9');
      assert.equal(body.items[0]!.toLevel1.etaMinutes, 120);
    } finally {
      await env.close();
    }
  });
});
