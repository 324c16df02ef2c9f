import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { SECRETS, startBroker, type Harness } from './fixture.ts';

/** Runs Debian's mosquitto_pub (a second, independent MQTT 3.1.1 implementation). */
function mosquittoPub(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/mosquitto_pub', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr });
    });
  });
}

describe('interoperability with mosquitto_pub (B1, B9)', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  const base = () => ['-h', '127.0.0.1', '-p', String(h.port), '-V', 'mqttv311', '-q', '1', '-t', 'sensors/air-quality/aq-1/telemetry', '-m', '{"pm25":7.5}'];

  it('publishes QoS 1 with credentials', async () => {
    const r = await mosquittoPub([...base(), '-i', 'aq-1-mosquitto', '-u', 'aq-1', '-P', SECRETS['aq-1']]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(h.inbound.length, 1);
    assert.equal(h.inbound[0]?.payload.toString(), '{"pm25":7.5}');
    assert.equal(h.inbound[0]?.clientId, 'aq-1-mosquitto');
  });

  it('is refused without credentials or with a wrong secret', async () => {
    const anonymous = await mosquittoPub([...base(), '-i', 'anon-mosquitto']);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /not authori[sz]ed/i);
    const wrong = await mosquittoPub([...base(), '-i', 'aq-1-mosquitto', '-u', 'aq-1', '-P', 'wrong']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /bad user ?name or password/i);
    assert.equal(h.inbound.length, 1);
  });

  it('B2: its default empty client id is refused (identifier rejected): devices must pass -i', async () => {
    const r = await mosquittoPub([...base(), '-u', 'aq-1', '-P', SECRETS['aq-1']]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /identifier rejected/i);
    assert.equal(h.inbound.length, 1);
  });
});
