import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDrillSensor } from '../../domain/index.ts';
import { CredentialsError, credentialsPath, loadCredentials, selectPrincipals } from '../../simulators/index.ts';
import { demoRegistry } from './validate.ts';

const registry = demoRegistry();
const sensors = [...registry.sensors()];
const direct = sensors.filter((s) => !s.gateway);
const viaGw = sensors.filter((s) => s.gateway === 'gw-lora-taoyuan-01');
const allCreds = {
  sensors: Object.fromEntries(direct.map((s) => [s.id, `secret-${s.id}`])),
  gateways: { 'gw-lora-taoyuan-01': 'gw-secret' },
};

describe('loadCredentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civic-sim-cred-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads <dataDir>/simulator/credentials.json', async () => {
    await mkdir(join(dir, 'simulator'), { recursive: true });
    await writeFile(credentialsPath(dir), JSON.stringify(allCreds));
    assert.equal(credentialsPath(dir), join(dir, 'simulator', 'credentials.json'));
    assert.deepEqual(await loadCredentials(dir), allCreds);
  });

  it('explains a missing file and rejects malformed ones', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'civic-sim-cred-'));
    try {
      await assert.rejects(loadCredentials(empty), (e: Error) => e instanceof CredentialsError && /start the server once/.test(e.message));
      await mkdir(join(empty, 'simulator'));
      await writeFile(credentialsPath(empty), '{"sensors": {"a": 1}}');
      await assert.rejects(loadCredentials(empty), /sensors\.a must be a non-empty string/);
      await writeFile(credentialsPath(empty), '{"sensors": ');
      await assert.rejects(loadCredentials(empty), /not valid JSON/);
      await writeFile(credentialsPath(empty), '[]');
      await assert.rejects(loadCredentials(empty), /must be a JSON object/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('selectPrincipals', () => {
  it('connects direct sensors themselves and gateway sensors through their gateway', () => {
    const principals = selectPrincipals(registry, allCreds);
    const gw = principals.filter((p) => p.type === 'gateway');
    assert.equal(gw.length, 1);
    assert.equal(gw[0]!.id, 'gw-lora-taoyuan-01');
    assert.equal(gw[0]!.secret, 'gw-secret');
    assert.deepEqual(gw[0]!.sensors.map((s) => s.id).sort(), viaGw.map((s) => s.id).sort());
    const ds = principals.filter((p) => p.type === 'sensor');
    // AL10: drill sensors belong to the scripted scenarios; the fleet never plays them.
    assert.ok(direct.some(isDrillSensor), 'the demo registry has drill sensors');
    assert.deepEqual(ds.map((p) => p.id).sort(), direct.filter((s) => !isDrillSensor(s)).map((s) => s.id).sort());
    for (const p of ds) assert.deepEqual([p.id, p.secret, p.sensors.map((s) => s.id)], [p.sensors[0]!.id, `secret-${p.id}`, [p.id]]);
  });

  it('by default leaves out sensors without credentials; an explicit subset must be complete', () => {
    const partial = { sensors: { [direct[0]!.id]: 'x' }, gateways: {} };
    const principals = selectPrincipals(registry, partial);
    assert.deepEqual(principals.map((p) => p.id), [direct[0]!.id]);
    assert.throws(() => selectPrincipals(registry, partial, [direct[1]!.id]), /no credentials for sensor/);
    assert.throws(() => selectPrincipals(registry, partial, [viaGw[0]!.id]), /no credentials for gateway/);
    assert.throws(() => selectPrincipals(registry, allCreds, ['nope']), /unknown sensor "nope"/);
    const subset = selectPrincipals(registry, allCreds, [direct[2]!.id, viaGw[1]!.id, direct[2]!.id, viaGw[1]!.id]);
    assert.deepEqual(subset.map((p) => [p.type, p.id, p.sensors.length]), [['sensor', direct[2]!.id, 1], ['gateway', 'gw-lora-taoyuan-01', 1]]);
  });
});
