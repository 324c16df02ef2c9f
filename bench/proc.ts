import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Child processes of the harness, each pinned to a core with `taskset` when it exists
 * (the system under test on one core, the load generator on the other), so neither
 * steals the other's CPU and the per-process CPU figures mean what they say.
 */
const TSX = import.meta.resolve('tsx');
let tasksetChecked: boolean | undefined;

export function hasTaskset(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetChecked;
}

/** Command line prefixed with `taskset -c <cpu>` when pinning is possible. */
export function pinned(cpu: number | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  if (cpu === undefined || !hasTaskset()) return [cmd, [...args]];
  return ['taskset', ['-c', String(cpu), cmd, ...args]];
}

export interface ChildOptions {
  readonly cpu?: number;
  readonly nodeArgs?: readonly string[];
  readonly label: string;
}

/** A TypeScript child with an IPC channel; messages are queued until awaited. */
export class Child<In extends { type: string }> {
  private readonly queue: In[] = [];
  private waiters: { type: string; resolve: (m: In) => void; reject: (e: Error) => void }[] = [];
  readonly proc: ChildProcess;
  exited = false;
  onMessage: ((m: In) => void) | undefined;

  constructor(file: string, o: ChildOptions) {
    const [cmd, args] = pinned(o.cpu, process.execPath, ['--import', TSX, ...(o.nodeArgs ?? []), fileURLToPath(new URL(file, import.meta.url))]);
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: In) => {
      this.onMessage?.(m);
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.queue.push(m);
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      const err = new Error(`${o.label} exited (code ${code}, signal ${signal})`);
      for (const w of this.waiters) w.reject(err);
      this.waiters = [];
    });
  }

  send(m: unknown): void {
    this.proc.send(m as object);
  }

  /** Next message of `type` (already queued or future); rejects on exit or timeout. */
  next<T extends In['type']>(type: T, timeoutMs: number): Promise<Extract<In, { type: T }>> {
    const i = this.queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as Extract<In, { type: T }>);
    if (this.exited) return Promise.reject(new Error(`child exited before sending ${type}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => (clearTimeout(timer), resolve(m as Extract<In, { type: T }>)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /** Waits for exit; kills this child (by its own pid) after `graceMs`. */
  async exit(graceMs = 30_000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
}
