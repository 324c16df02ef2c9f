import type { TableKind } from './schema.ts';

/**
 * Messages between the DuckDB store's proxy (worker-store.ts, main thread) and its worker
 * (worker-main.ts). SW1: every call is one request and one answer, matched by `id`; data
 * crosses by structured clone.
 */
export interface WorkerStoreData {
  readonly path: string;
  readonly kinds: readonly TableKind[];
  readonly readers?: number;
  readonly duckdb?: Readonly<Record<string, string>>;
  /** pino level of the main logger; the worker forwards its records at or above it. */
  readonly level: string;
}

/** The store methods the worker answers (SW1): the port's, plus the S3 history reader. */
export const WORKER_CALLS = [
  'open', 'close',
  'writeReadings', 'writeAggregates', 'writeAlertChanges', 'writeDeadLetters',
  'latest', 'readings', 'readingSpans', 'aggregates', 'alerts', 'alertHistory', 'deadLetters', 'deadLetterCounts', 'health',
  'windowReadings', 'readingQuality', 'auditCounts',
] as const;
export type WorkerCall = (typeof WORKER_CALLS)[number];

export interface CallMessage {
  readonly id: number;
  readonly call: WorkerCall;
  readonly args: readonly unknown[];
}

export type WorkerMessage =
  | { readonly t: 'ok'; readonly id: number; readonly value: unknown }
  | { readonly t: 'err'; readonly id: number; readonly message: string; readonly stack?: string }
  /** One pino line of the worker's logger, re-logged by the main logger. */
  | { readonly t: 'log'; readonly line: string };
