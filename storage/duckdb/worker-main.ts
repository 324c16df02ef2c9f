import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { DuckDbStore } from './store.ts';
import { type CallMessage, WORKER_CALLS, type WorkerMessage, type WorkerStoreData } from './worker-protocol.ts';

/**
 * SW1: the DuckDB store's worker thread. It owns the instance and every connection; the main
 * thread sends calls (worker-store.ts) and gets answers. Appending rows, JSON of `vals`, SQL
 * and turning result rows into objects all happen here, off the broker's event loop.
 */
const port = parentPort;
if (!port) throw new Error('storage/duckdb/worker-main.ts runs only as a worker thread');
const data = workerData as WorkerStoreData;
const post = (m: WorkerMessage) => port.postMessage(m);

const logger = pino({ level: data.level }, { write: (line: string) => post({ t: 'log', line }) });
// The worker's own registry is not scraped: the proxy counts from the answers (duplicates) and times the calls.
const store = new DuckDbStore({
  path: data.path,
  logger,
  metrics: new Registry(),
  kinds: data.kinds,
  ...(data.readers !== undefined ? { readers: data.readers } : {}),
  ...(data.duckdb ? { duckdb: data.duckdb } : {}),
});
const allowed = new Set<string>(WORKER_CALLS);

port.on('message', (m: CallMessage) => {
  void answer(m);
});

async function answer(m: CallMessage): Promise<void> {
  try {
    if (!allowed.has(m.call)) throw new Error(`duckdb worker: unknown call ${m.call}`);
    const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.call]!;
    const value = await fn.apply(store, m.args as unknown[]);
    post({ t: 'ok', id: m.id, value });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ t: 'err', id: m.id, message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  }
}
