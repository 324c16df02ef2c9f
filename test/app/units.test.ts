import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Units, type StopFailure, type Unit } from '../../app/units.ts';

/** Units that record what happened to them in one shared log. */
function recorder(names: readonly string[], o: { failStart?: string; failStop?: readonly string[] } = {}) {
  const log: string[] = [];
  const units: Unit[] = names.map((name) => ({
    name,
    async start() {
      await Promise.resolve();
      log.push(`start ${name}`);
      if (name === o.failStart) throw new Error(`${name} cannot start`);
    },
    async stop() {
      await Promise.resolve();
      log.push(`stop ${name}`);
      if (o.failStop?.includes(name)) throw new Error(`${name} cannot stop`);
    },
  }));
  return { log, units };
}

test('SU1: units start in order and stop in exactly the reverse order, each once', async () => {
  const { log, units } = recorder(['store', 'journal', 'alerts', 'broker']);
  const u = new Units(units);
  await u.start();
  assert.deepEqual(u.startedNames, ['store', 'journal', 'alerts', 'broker']);
  assert.deepEqual(await u.stop(), []);
  assert.deepEqual(await u.stop(), [], 'a second stop stops nothing again');
  assert.deepEqual(log, ['start store', 'start journal', 'start alerts', 'start broker', 'stop broker', 'stop alerts', 'stop journal', 'stop store']);
});

test('SU2: a failed start stops the units already started, in reverse, and rethrows; a later stop does nothing more', async () => {
  const { log, units } = recorder(['store', 'journal', 'alerts', 'broker'], { failStart: 'alerts' });
  const u = new Units(units);
  await assert.rejects(u.start(), /alerts cannot start/);
  assert.deepEqual(log, ['start store', 'start journal', 'start alerts', 'stop journal', 'stop store']);
  assert.deepEqual(await u.stop(), []);
  assert.equal(log.length, 5);
});

test('SU3: a stop that throws is reported with its unit, and the units before it still stop', async () => {
  const { log, units } = recorder(['store', 'journal', 'alerts'], { failStop: ['journal'] });
  const heard: StopFailure[] = [];
  const u = new Units(units, (f) => heard.push(f));
  await u.start();
  const failures = await u.stop();
  assert.deepEqual(log.slice(3), ['stop alerts', 'stop journal', 'stop store']);
  assert.deepEqual(failures.map((f) => [f.unit, (f.error as Error).message]), [['journal', 'journal cannot stop']]);
  assert.deepEqual(heard, failures);
});

test('SU1/SU2: a stop during start lets the unit in progress finish, starts no further unit, and stops the started ones in reverse', async () => {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const units: Unit[] = [
    { name: 'a', start: () => void log.push('start a'), stop: () => void log.push('stop a') },
    { name: 'b', start: async () => (await gate, void log.push('start b')), stop: () => void log.push('stop b') },
    { name: 'c', start: () => void log.push('start c'), stop: () => void log.push('stop c') },
  ];
  const u = new Units(units);
  const started = u.start();
  await Promise.resolve();
  const stopped = u.stop();
  release();
  await assert.rejects(started, /start abandoned before c/);
  assert.deepEqual(await stopped, []);
  assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a']);
});

test('SU1–SU3 for any list, failing start and failing stops: stops are the started units reversed, every failure reported', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 8 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          failStart: fc.option(fc.integer({ min: 0, max: Math.max(0, n - 1) }), { nil: undefined }),
          failStop: fc.subarray([...Array(n).keys()]),
        }),
      ),
      async ({ n, failStart, failStop }) => {
        const names = [...Array(n).keys()].map((i) => `u${i}`);
        const fs = failStart !== undefined && failStart < n ? names[failStart] : undefined;
        const { log, units } = recorder(names, { ...(fs ? { failStart: fs } : {}), failStop: failStop.map((i) => names[i]!) });
        const u = new Units(units);
        const ok = await u.start().then(
          () => true,
          () => false,
        );
        const failures = await u.stop();
        const startedOk = fs === undefined ? names : names.slice(0, names.indexOf(fs));
        assert.equal(ok, fs === undefined);
        const starts = log.filter((l) => l.startsWith('start ')).map((l) => l.slice(6));
        const stops = log.filter((l) => l.startsWith('stop ')).map((l) => l.slice(5));
        assert.deepEqual(starts, fs === undefined ? names : [...startedOk, fs]);
        assert.deepEqual(stops, [...startedOk].reverse());
        assert.deepEqual(
          failures.map((f) => f.unit),
          [...startedOk].reverse().filter((x) => failStop.map((i) => names[i]).includes(x)),
        );
      },
    ),
  );
});
