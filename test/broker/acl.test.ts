import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { checkPublish, isOwnStatusTopic, maySubscribe } from '../../broker/acl.ts';
import type { Principal } from '../../broker/contract.ts';
import type { Registry } from '../../registry/index.ts';
import { testRegistry } from './fixture.ts';

const aq1: Principal = { type: 'sensor', id: 'aq-1' };
const gw1: Principal = { type: 'gateway', id: 'gw-1' };

describe('topic ACL rules (pure)', () => {
  let registry: Registry;
  before(async () => {
    registry = await testRegistry();
  });

  const outcome = (p: Principal, topic: string) => {
    const v = checkPublish(p, topic, registry);
    return v.ok ? `ok:${v.parsed.channel}` : v.reason;
  };

  it('B4/B6: sensor publish verdicts', () => {
    const table: Array<[string, string]> = [
      ['sensors/air-quality/aq-1/telemetry', 'ok:telemetry'],
      ['sensors/air-quality/aq-1/status', 'ok:status'],
      ['sensors/air-quality/aq-1/rejections', 'BAD_TOPIC'],
      ['sensors/air-quality/aq-1/other', 'BAD_TOPIC'],
      ['sensors/air-quality/aq-1', 'BAD_TOPIC'],
      ['sensors/air-quality/aq-2/telemetry', 'NOT_AUTHORIZED'],
      ['sensors/parking/aq-1/telemetry', 'NOT_AUTHORIZED'],
      ['sensors/air-quality', 'NOT_AUTHORIZED'],
      ['alerts/air-quality/6800200/aq-1', 'NOT_AUTHORIZED'],
      ['$SYS/broker/heartbeat', 'NOT_AUTHORIZED'],
      ['public/x', 'NOT_AUTHORIZED'],
      ['/sensors/air-quality/aq-1/telemetry', 'NOT_AUTHORIZED'],
    ];
    assert.deepEqual(table.map(([t]) => [t, outcome(aq1, t)]), table);
  });

  it('B5/B6: gateway publish verdicts', () => {
    const table: Array<[string, string]> = [
      ['sensors/water-level/wl-1/telemetry', 'ok:telemetry'],
      ['sensors/parking/pk-1/status', 'ok:status'],
      ['sensors/parking/pk-1/rejections', 'BAD_TOPIC'],
      ['sensors/parking/pk-2/telemetry', 'NOT_AUTHORIZED'], // gw-2's sensor
      ['sensors/air-quality/aq-1/telemetry', 'NOT_AUTHORIZED'], // connects by itself
      ['sensors/air-quality/wl-1/telemetry', 'NOT_AUTHORIZED'], // wrong kind
      ['sensors/parking/ghost/telemetry', 'UNKNOWN_SENSOR'],
      ['alerts/x', 'NOT_AUTHORIZED'],
    ];
    assert.deepEqual(table.map(([t]) => [t, outcome(gw1, t)]), table);
  });

  it('B3: Will topics must be an own T2 status topic', () => {
    assert.equal(isOwnStatusTopic(aq1, 'sensors/air-quality/aq-1/status', registry), true);
    assert.equal(isOwnStatusTopic(aq1, 'sensors/air-quality/aq-1/telemetry', registry), false);
    assert.equal(isOwnStatusTopic(aq1, 'sensors/air-quality/aq-2/status', registry), false);
    assert.equal(isOwnStatusTopic(gw1, 'sensors/parking/pk-1/status', registry), true);
    assert.equal(isOwnStatusTopic(gw1, 'sensors/parking/pk-2/status', registry), false);
  });

  it('B10: subscription filters stay inside an owned subtree', () => {
    const allowed = (p: Principal, f: string) => maySubscribe(p, f, registry);
    assert.deepEqual(
      ['sensors/air-quality/aq-1/#', 'sensors/air-quality/aq-1/+', 'sensors/air-quality/aq-1', 'sensors/air-quality/+/#', 'sensors/+/aq-1/#', '#', '+/air-quality/aq-1/#'].map((f) => allowed(aq1, f)),
      [true, true, false, false, false, false, false],
    );
    assert.deepEqual(['sensors/parking/pk-1/#', 'sensors/parking/pk-2/#', 'sensors/parking/+/#'].map((f) => allowed(gw1, f)), [true, false, false]);
  });
});
