import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { TargetMessage, TargetSample } from '../protocol.ts';

/** Wall clock with sub-ms resolution, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

type Extra = () => Pick<TargetSample, 'journaled' | 'stored' | 'checkpoint'>;

/**
 * Samples the process it runs in (RSS, heap, CPU of all threads) plus the pipeline's
 * journal/store positions, and sends them to the harness. `settle` forces a full GC
 * (the process runs with --expose-gc) and reports steady-state memory. Event-loop delay
 * is sampled too: a stalled loop delays every PUBACK and alert behind it.
 */
export function startSampler(everyMs: number, extra: Extra, send: (m: TargetMessage) => void): { settle(): void; stop(): void } {
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const sample = (): TargetSample => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const eldMaxMs = eld.count > 0 ? eld.max / 1e6 : 0;
    eld.reset();
    return { t: wallNow(), monoUs: Number(process.hrtime.bigint() / 1000n), rss: mem.rss, heapUsed: mem.heapUsed, cpuUs: cpu.user + cpu.system, eldMaxMs, ...extra() };
  };
  const timer = setInterval(() => send({ type: 'sample', sample: sample() }), everyMs);
  send({ type: 'sample', sample: sample() });
  return {
    settle() {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const mem = process.memoryUsage();
      send({ type: 'settled', rss: mem.rss, heapUsed: mem.heapUsed });
    },
    stop() {
      clearInterval(timer);
      eld.disable();
      send({ type: 'sample', sample: sample() });
    },
  };
}
