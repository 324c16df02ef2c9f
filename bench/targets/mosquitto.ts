/**
 * Baseline (c): Eclipse Mosquitto (Debian's package), a broker written in C, with no
 * persistence and anonymous access, on the same QoS 1 load. Like the bare aedes
 * baseline it PUBACKs as soon as it has the message, so it shows the machine's limit for
 * a broker alone: how far the whole pipeline is from what one core can do at all.
 *
 * This process is a thin wrapper: it starts `mosquitto` (which inherits the wrapper's
 * core pinning from `taskset`), waits for its listener, and samples the broker's own RSS
 * and CPU from /proc, since the wrapper's figures would say nothing about it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TargetCommand, TargetMessage, TargetSample } from '../protocol.ts';
import { wallNow } from './sampler.ts';

const send = (m: TargetMessage): void => void process.send?.(m);

/** Where Debian puts the broker (`/usr/sbin` is not on every user's PATH). */
export function mosquittoBinary(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (spawnSync(p, ['-h']).error === undefined) return p;
  return spawnSync('mosquitto', ['-h']).error === undefined ? 'mosquitto' : undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForListener(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CLOCK_TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/**
 * RSS (bytes) and CPU time (µs) of a process, from /proc. CPU from `schedstat` (nanoseconds on
 * the CPU; Mosquitto is single-threaded, so its main task is all of it): the clock ticks of
 * `stat` (10 ms) read 0 for a smoke run that takes Mosquitto a few milliseconds.
 */
async function procStats(pid: number): Promise<{ rss: number; cpuUs: number }> {
  const [status, stat, sched] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8'),
    readFile(`/proc/${pid}/stat`, 'utf8'),
    readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => ''),
  ]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const onCpuNs = Number(sched.split(' ')[0]);
  if (sched !== '' && Number.isFinite(onCpuNs)) return { rss: rssKb * 1024, cpuUs: onCpuNs / 1000 };
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return { rss: rssKb * 1024, cpuUs: ticks * CLOCK_TICK_US };
}

async function main(sampleMs: number): Promise<void> {
  const t0 = Date.now();
  const bin = mosquittoBinary();
  if (!bin) throw new Error('mosquitto is not installed (Debian: apt-get install mosquitto)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'civic-bench-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest none',
      // The generator keeps `window` QoS 1 publishes in flight per connection; no queue limit may drop them.
      'max_queued_messages 0',
      'set_tcp_nodelay true',
      '',
    ].join('\n'),
  );
  const broker = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForListener(port, broker, 10_000);
  const pid = broker.pid as number;
  send({ type: 'ready', mqttPort: port, startupMs: Date.now() - t0 });

  const sample = async (): Promise<TargetSample> => {
    const s = await procStats(pid);
    return { t: wallNow(), monoUs: Number(process.hrtime.bigint() / 1000n), rss: s.rss, heapUsed: 0, cpuUs: s.cpuUs, eldMaxMs: 0 };
  };
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => send({ type: 'sample', sample: await sample() })).catch(() => undefined);
  }, sampleMs);
  send({ type: 'sample', sample: await sample() });

  process.on('message', (c: TargetCommand) => {
    if (c.type === 'settle') void procStats(pid).then((s) => send({ type: 'settled', rss: s.rss, heapUsed: 0 }));
    if (c.type === 'stop') {
      clearInterval(timer);
      void sampling.then(async () => {
        send({ type: 'sample', sample: await sample() });
        broker.kill('SIGTERM');
        await new Promise((r) => broker.once('exit', r));
        await rm(dir, { recursive: true, force: true });
        process.send?.({ type: 'stopped', stored: 0, deadLetters: {}, alerts: [] } satisfies TargetMessage, () => process.exit(0));
      });
    }
  });
  process.once('disconnect', () => {
    broker.kill('SIGKILL');
    process.exit(0);
  });
}

process.once('message', (m: { type: 'start'; sampleMs: number }) => {
  main(m.sampleMs).catch((err: Error) => {
    process.stderr.write(`mosquitto target: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
});
