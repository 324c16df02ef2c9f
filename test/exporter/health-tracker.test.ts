import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTaipeiIso } from '../../domain/index.ts';
import { HealthTracker, type HealthReport } from '../../exporter/index.ts';

const report = (storeOk: boolean, detail?: string): HealthReport => ({
  status: storeOk ? 'ok' : 'degraded',
  components: { broker: { ok: true }, store: { ok: storeOk, ...(detail ? { detail } : {}) } },
});

describe('HealthTracker (HZ1, HZ2)', () => {
  it('HZ2: says what is degraded and since the first failing check; HZ1: back to ok with nothing listed once the check passes', () => {
    const t = new HealthTracker(toTaipeiIso);
    const t0 = Date.UTC(2026, 11, 2, 6, 0, 0);
    assert.deepEqual(t.observe(report(true), t0).degraded, []);
    const a = t.observe(report(false, 'influx unreachable'), t0 + 1_000);
    assert.equal(a.status, 'degraded');
    assert.deepEqual(a.degraded, [{ component: 'store', since: '2026-12-02T14:00:01.000+08:00', detail: 'influx unreachable' }]);
    const b = t.observe(report(false, 'backlog 10 lines'), t0 + 60_000);
    assert.equal(b.degraded[0]?.since, '2026-12-02T14:00:01.000+08:00', 'HZ2: since stays at the first failing check');
    assert.equal(b.components.store?.degradedSince, '2026-12-02T14:00:01.000+08:00');
    const c = t.observe(report(true), t0 + 120_000);
    assert.equal(c.status, 'ok');
    assert.deepEqual(c.degraded, []);
    assert.equal(c.components.store?.degradedSince, undefined);
    const d = t.observe(report(false), t0 + 180_000);
    assert.equal(d.degraded[0]?.since, '2026-12-02T14:03:00.000+08:00', 'HZ2: a new outage starts a new since');
  });
});
