import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A private InfluxDB 1.x server for integration tests: its own temp dir, its own
 * config, free ports, no auth, no usage reporting. `pause()`/`resume()` stop and
 * restart the same data dir on the same HTTP port, which is what an outage looks
 * like to the store (connection refused, then recovery with the data intact).
 */
export const INFLUXD_BIN = '/usr/bin/influxd';

export interface Influxd {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly dir: string;
  /** Stops the server (SIGTERM, waits for exit): connection refused until resume(). */
  pause(): Promise<void>;
  /** Restarts on the same data dir and HTTP port, optionally with other settings. */
  resume(settings?: InfluxdSettings): Promise<void>;
  /** SIGSTOP: the port stays open but nothing answers (a hung or overloaded server). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  stop(): Promise<void>;
  /** Runs InfluxQL against the server (test assertions); returns the parsed JSON. */
  query(q: string, db?: string): Promise<InfluxQueryResult>;
}

export interface InfluxQueryResult {
  results: { series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[]; error?: string }[];
}

export interface InfluxdSettings {
  /** [data] cache-max-memory-size in bytes; tiny values make every write fail with HTTP 500. */
  readonly cacheMaxMemoryBytes?: number;
}

export async function startInfluxd(initial: InfluxdSettings = {}): Promise<Influxd> {
  try {
    await access(INFLUXD_BIN, constants.X_OK);
  } catch {
    throw new Error(
      `${INFLUXD_BIN} not found: the integration tests need a real InfluxDB 1.x server. ` +
        'Install it with `apt-get install -y influxdb` (Debian/Ubuntu; .ci/run does this).',
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'civic-influxd-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let log = '';

  const launch = async (settings: InfluxdSettings = {}): Promise<void> => {
    const conf = path.join(dir, 'influxd.conf');
    await writeFile(conf, config(dir, port, settings));
    log = '';
    const proc = spawn(INFLUXD_BIN, ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // A test runner that dies without stop() must not leave a server behind.
    const reap = (): void => void proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));
    const onData = (b: Buffer): void => {
      // Keep only the tail: enough for an error message, bounded for long runs.
      log = (log + b.toString()).slice(-8_000);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    // Port 0 on first start: the kernel picks a free port and influxd logs it.
    const addr = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`influxd did not start within 20 s:\n${log}`)), 20_000);
      const scan = (): void => {
        const m = /msg="Listening on HTTP".*?addr=\S*:(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          proc.stdout!.off('data', scan);
          proc.stderr!.off('data', scan);
          resolve(Number(m[1]));
        }
      };
      proc.stdout!.on('data', scan);
      proc.stderr!.on('data', scan);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`influxd exited with ${code} during start:\n${log}`));
      });
    });
    port = addr;
    await waitForPing(`http://127.0.0.1:${port}`, 20_000);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGCONT');
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  await launch(initial);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dir,
    pause: halt,
    resume: launch,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    async query(q, db) {
      const params = new URLSearchParams({ q, epoch: 'ms' });
      if (db) params.set('db', db);
      const res = await fetch(`${url}/query`, { method: 'POST', body: params });
      if (!res.ok) throw new Error(`influx query ${res.status}: ${await res.text()}`);
      return (await res.json()) as InfluxQueryResult;
    },
  };
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`influxd at ${url} did not answer /ping with 204`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function config(dir: string, httpPort: number, s: InfluxdSettings): string {
  const q = (p: string): string => JSON.stringify(path.join(dir, p));
  return `reporting-disabled = true
bind-address = "127.0.0.1:0"

[meta]
  dir = ${q('meta')}
  logging-enabled = false

[data]
  dir = ${q('data')}
  wal-dir = ${q('wal')}
  query-log-enabled = false
${s.cacheMaxMemoryBytes === undefined ? '' : `  cache-max-memory-size = ${s.cacheMaxMemoryBytes}\n`}
[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "info"
`;
}
