import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { authenticateStaff, staffMayPublish, staffMaySubscribe } from '../../alerts/mqtt-acl.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import { addStaff } from '../../alerts/staff-tokens.ts';

describe('staff MQTT ACL (MQ1–MQ3)', () => {
  it('MQ2 subscriptions only inside alerts/, wildcards well-formed, no $', () => {
    for (const ok of ['alerts/#', 'alerts/water-level/#', 'alerts/+/68000020/#', 'alerts/water-level/68000020/wl-1']) assert.equal(staffMaySubscribe(ok), true, ok);
    for (const bad of ['#', 'sensors/#', '$SYS/#', 'alerts#', 'alerts/#/x', 'alerts/wa+ter/#', 'alerts/$x', '+/#']) assert.equal(staffMaySubscribe(bad), false, bad);
  });

  it('MQ1 username must be the token owner; MQ3 no publishing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-acl-'));
    const store = await AlertStateStore.open(dir);
    const { token } = await addStaff(store, 'chen', 'viewer', 0);
    assert.deepEqual(authenticateStaff(store, 'chen', Buffer.from(token)), { type: 'staff', id: 'chen', role: 'viewer' });
    assert.equal(authenticateStaff(store, 'wang', Buffer.from(token)), undefined, "someone else's token");
    assert.equal(authenticateStaff(store, 'chen', Buffer.from('cs_guess')), undefined);
    assert.equal(staffMayPublish('alerts/water-level/x/y'), false);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
