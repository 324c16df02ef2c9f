import { open, readFile, stat, unlink } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isSensorKind, KIND_NAMES } from '../domain/index.ts';
import { Registry, isOwnIntegrationPattern, validateGatewayDoc, validateIntegrationDoc, validateParams, validateSensorDoc, type PrincipalKind, type RegistryChange } from './registry.ts';
import type { GatewayDocT, IntegrationDocT, SensorDocT } from './schema.ts';

/**
 * Registry edits (RG1–RG3, RG6).
 * RG3 One writer: while the server runs it is the only process that writes the registry file
 *     (it holds `<file>.lock`); the CLI goes through its admin API. With no server, the CLI
 *     takes the same lock for the length of one edit. An edit is validated against the current
 *     state, applied in memory and announced (effective at once), then written to disk (temp file,
 *     fsync, rename); the caller's promise resolves only once it is on disk. A failed write undoes
 *     the memory and announces the undo.
 * RG6 Edits go through the `yaml` Document API, so comments, key order and flow/block style
 *     of everything not edited survive.
 * Edits arriving together are coalesced into one file write; a group (e.g. a bulk import) is
 * all-or-nothing.
 */
export type EntryKind = PrincipalKind;

export type RegistryEdit =
  | { readonly kind: EntryKind; readonly op: 'add'; readonly entry: Record<string, unknown> }
  /** `null` removes an optional field (e.g. `gateway: null` unassigns). */
  | { readonly kind: EntryKind; readonly op: 'patch'; readonly id: string; readonly patch: Record<string, unknown> }
  | { readonly kind: EntryKind; readonly op: 'delete'; readonly id: string };

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class EditError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID',
    readonly errors: readonly FieldError[],
    /** Index of the failing edit inside its group. */
    readonly index = 0,
  ) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

function fieldOf(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : '';
  return [base, extra].filter(Boolean).join('.') || '(body)';
}

export function fieldErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const field = prefix + fieldOf(e);
    // A union (kind, name) reports one error per branch; the first says enough.
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message: `${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${String(e.params.allowedValues)})` : ''}` });
  }
  return out;
}

function check<T>(validate: ValidateFunction<T>, value: unknown): FieldError[] {
  return validate(value) ? [] : fieldErrors(validate.errors);
}

function merge(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

interface Group {
  readonly edits: readonly RegistryEdit[];
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** What the file worker (registry/file-worker.mjs) applies to the YAML document. */
interface DocEdit {
  readonly kind: EntryKind;
  readonly op: 'add' | 'patch' | 'delete';
  readonly id: string;
  readonly entry?: Record<string, unknown>;
  readonly patch?: Record<string, unknown>;
}

interface Applied {
  readonly change: RegistryChange;
  readonly undo: () => void;
  readonly docEdit: DocEdit;
}

export interface WriterOptions {
  /** Release the cached YAML document after this long without edits (its heap is ~1 KB per sensor). */
  readonly idleReleaseMs?: number;
}

export class RegistryWriter {
  private queue: Group[] = [];
  private running: Promise<void> | undefined;
  private fileStamp: string | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  private worker: Worker | undefined;
  private workerSeq = 0;
  private readonly workerCalls = new Map<number, { resolve: (stamp: string) => void; reject: (err: Error) => void }>();
  /** Committed edit count; `civicstream status` shows it. */
  commits = 0;
  lastCommitMs = 0;

  constructor(
    readonly registry: Registry,
    private readonly o: WriterOptions = {},
  ) {}

  /** Applies `edits` together or not at all; resolves once they are on disk and live. */
  submit(edits: readonly RegistryEdit[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ edits, resolve, reject });
      this.running ??= new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const groups = this.queue;
        this.queue = [];
        await this.flush(groups);
      }
    } finally {
      this.running = undefined;
      if (this.queue.length) this.running = this.drain();
    }
  }

  private async stampOf(): Promise<string> {
    const s = await stat(this.registry.file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  }

  /** Before validating: if the file was changed by hand despite RG3, its content becomes the live state. */
  private async syncWithDisk(): Promise<void> {
    const stamp = await this.stampOf();
    if (this.fileStamp === undefined) {
      this.fileStamp = stamp; // first edit since load: the file is what was loaded
      return;
    }
    if (stamp === this.fileStamp) return;
    const fresh = await Registry.load(this.registry.file);
    const before = new Map<string, string | undefined>();
    for (const s of this.registry.sensors()) before.set(s.id, s.secretHash);
    for (const g of this.registry.gatewayEntries()) before.set(g.id, g.secretHash);
    for (const i of this.registry.integrations()) before.set(i.id, i.secretHash);
    this.registry.replaceWith(fresh);
    const changes: RegistryChange[] = [];
    for (const [id, hash] of before) {
      const now = this.registry.principal(id);
      if (!now || now.secretHash !== hash || now.disabled) changes.push({ kind: now?.type ?? 'sensor', id, op: now ? 'update' : 'delete', revoke: true });
    }
    this.registry.emitChanges(changes);
    this.fileStamp = stamp;
  }

  /**
   * The YAML document lives in a worker thread (registry/file-worker.mjs): rendering 10,000
   * entries takes seconds and must not stall the broker. The worker is referenced only while
   * a write is pending and is stopped after `idleReleaseMs` without edits (freeing the document).
   */
  private writeFile(edits: DocEdit[]): Promise<string> {
    if (!this.worker) {
      const w = new Worker(new URL('./file-worker.mjs', import.meta.url), { execArgv: [] });
      w.on('message', (m: { seq: number; ok: boolean; stamp?: string; error?: string }) => {
        const call = this.workerCalls.get(m.seq);
        this.workerCalls.delete(m.seq);
        if (!this.workerCalls.size) w.unref();
        if (m.ok) call?.resolve(m.stamp as string);
        else call?.reject(new Error(m.error ?? 'registry write failed'));
      });
      w.on('error', (err) => {
        for (const c of this.workerCalls.values()) c.reject(err);
        this.workerCalls.clear();
      });
      w.on('exit', () => {
        if (this.worker === w) this.worker = undefined;
        for (const c of this.workerCalls.values()) c.reject(new Error('registry file worker exited'));
        this.workerCalls.clear();
      });
      this.worker = w;
    }
    const w = this.worker;
    const seq = ++this.workerSeq;
    w.ref();
    return new Promise<string>((resolve, reject) => {
      this.workerCalls.set(seq, { resolve, reject });
      w.postMessage({ seq, file: this.registry.file, edits });
    });
  }

  /** Stops the file worker (server stop). Pending edits finish first. */
  async close(): Promise<void> {
    while (this.running) await this.running;
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private async flush(groups: Group[]): Promise<void> {
    try {
      await this.syncWithDisk();
    } catch (err) {
      for (const g of groups) g.reject(err as Error);
      return;
    }
    const accepted: { group: Group; applied: Applied[] }[] = [];
    for (const group of groups) {
      const applied: Applied[] = [];
      try {
        group.edits.forEach((e, i) => {
          try {
            applied.push(this.apply(e));
          } catch (err) {
            if (err instanceof EditError) throw new EditError(err.code, err.errors, i);
            throw err;
          }
        });
        accepted.push({ group, applied });
      } catch (err) {
        for (const a of applied.reverse()) a.undo();
        group.reject(err as Error);
      }
    }
    if (!accepted.length) return;
    // RG1: effective at once, before the (file-size-bound) write: a rotated secret stops now, not
    // after a 10,000-entry YAML document is rendered. The answer still waits for the disk.
    const changes = accepted.flatMap((a) => a.applied.map((x) => x.change));
    this.registry.emitChanges(changes);
    try {
      this.fileStamp = await this.writeFile(accepted.flatMap((a) => a.applied.map((x) => x.docEdit)));
    } catch (err) {
      // Nothing reached the file: take the memory back to it.
      for (const { applied } of [...accepted].reverse()) for (const a of [...applied].reverse()) a.undo();
      this.fileStamp = undefined;
      // Undone: whoever connected under the short-lived state is disconnected again.
      this.registry.emitChanges(changes.map((c) => ({ ...c, op: c.op === 'add' ? 'delete' : c.op === 'delete' ? 'add' : 'update', revoke: true })));
      for (const { group } of accepted) group.reject(err as Error);
      return;
    }
    this.commits += accepted.length;
    this.lastCommitMs = Date.now();
    this.armRelease();
    for (const { group } of accepted) group.resolve();
  }

  private armRelease(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => {
      if (this.running || this.workerCalls.size) return this.armRelease();
      void this.worker?.terminate();
      this.worker = undefined;
    }, this.o.idleReleaseMs ?? 60_000);
    this.releaseTimer.unref();
  }

  private taken(id: string): boolean {
    return this.registry.principal(id) !== undefined;
  }

  /**
   * Validates edits one by one against the current state without applying anything
   * (bulk import dry run); `[]` for a good edit. Cross-edit conflicts are the caller's.
   */
  check(edits: readonly RegistryEdit[]): FieldError[][] {
    return edits.map((e) => {
      try {
        this.validate(e);
        return [];
      } catch (err) {
        if (err instanceof EditError) return [...err.errors];
        throw err;
      }
    });
  }

  /** Validates one edit against the current (in-memory) state and applies it there. */
  private apply(e: RegistryEdit): Applied {
    const v = this.validate(e);
    if (e.op === 'delete') return this.put(e.kind, e.id, undefined, 'delete', true);
    return this.put(e.kind, v.id, v.entry, e.op === 'add' ? 'add' : 'update', v.revoke, e.op === 'patch' ? e.patch : undefined, v.raw);
  }

  private validate(e: RegistryEdit): { id: string; entry: Record<string, unknown> | undefined; raw?: Record<string, unknown>; revoke: boolean } {
    const r = this.registry;
    const current = e.op === 'add' ? undefined : e.kind === 'sensor' ? r.sensorEntry(e.id) : e.kind === 'gateway' ? r.gatewayEntry(e.id) : r.integrationEntry(e.id);
    if (e.op !== 'add' && current === undefined) throw new EditError('NOT_FOUND', [{ field: 'id', message: `no ${e.kind} ${e.id}` }]);
    if (e.op === 'delete') {
      if (e.kind === 'gateway') {
        const users = [...r.sensors()].filter((s) => s.gateway === e.id).length;
        if (users) throw new EditError('CONFLICT', [{ field: 'id', message: `gateway ${e.id} still carries ${users} sensor(s); reassign them first` }]);
      }
      return { id: e.id, entry: undefined, revoke: true };
    }
    // Validated on a copy: Ajv fills schema defaults (e.g. params.nearlyFullRatio) into what it checks; the
    // in-memory entry gets them (as at load), the file keeps only what the user wrote (RG6).
    const raw = e.op === 'add' ? { ...e.entry } : undefined;
    const entry = e.op === 'add' ? structuredClone(e.entry) : merge(current as Record<string, unknown>, structuredClone(e.patch));
    const id = e.op === 'add' ? String(entry.id ?? '') : e.id;
    if (e.op === 'patch' && entry.id !== e.id) throw new EditError('INVALID', [{ field: 'id', message: 'an id cannot be changed' }]);
    if (e.op === 'add' && typeof entry.id === 'string' && this.taken(entry.id)) throw new EditError('CONFLICT', [{ field: 'id', message: `id ${entry.id} is already registered` }]);
    const errors: FieldError[] = [];
    if (e.kind === 'sensor') {
      errors.push(...check(validateSensorDoc, entry));
      if (!errors.length) {
        const s = entry as SensorDocT;
        if (!r.district(s.district)) errors.push({ field: 'district', message: `unknown district code "${s.district}"` });
        if (s.gateway !== undefined && !r.gatewayEntry(s.gateway)) errors.push({ field: 'gateway', message: `unknown gateway "${s.gateway}"` });
        const p = isSensorKind(s.kind) ? validateParams(s.kind) : undefined;
        if (!p) errors.push({ field: 'kind', message: `unknown kind "${s.kind}" (one of ${KIND_NAMES.join(', ')})` });
        else if (!p(s.params)) errors.push(...fieldErrors(p.errors, 'params.').map((f) => (f.field === 'params.(body)' ? { ...f, field: 'params' } : f)));
      }
    } else if (e.kind === 'gateway') {
      errors.push(...check(validateGatewayDoc, entry));
    } else {
      errors.push(...check(validateIntegrationDoc, entry));
      if (!errors.length) (entry as IntegrationDocT).publish?.forEach((p, j) => {
        if (!isOwnIntegrationPattern(id, p)) errors.push({ field: `publish.${j}`, message: `must lie under integrations/${id}/ (an integration never publishes on sensor, alert or other principals' topics)` });
      });
    }
    if (errors.length) throw new EditError('INVALID', errors);
    let revoke = false;
    if (e.op === 'patch') {
      const c = current as Record<string, unknown>;
      revoke = entry.secretHash !== c.secretHash || (entry.disabled === true && c.disabled !== true) || entry.kind !== c.kind || JSON.stringify(entry.read) !== JSON.stringify(c.read) || JSON.stringify(entry.publish) !== JSON.stringify(c.publish);
    }
    return { id, entry, revoke, ...(raw ? { raw } : {}) };
  }

  private put(kind: EntryKind, id: string, entry: Record<string, unknown> | undefined, op: RegistryChange['op'], revoke: boolean, patch?: Record<string, unknown>, raw?: Record<string, unknown>): Applied {
    const r = this.registry;
    const prev: unknown = kind === 'sensor' ? r.putSensor(id, entry as SensorDocT | undefined) : kind === 'gateway' ? r.putGateway(id, entry as GatewayDocT | undefined) : r.putIntegration(id, entry as IntegrationDocT | undefined);
    const undo = (): void => {
      if (kind === 'sensor') r.putSensor(id, prev as SensorDocT | undefined);
      else if (kind === 'gateway') r.putGateway(id, prev as GatewayDocT | undefined);
      else r.putIntegration(id, prev as IntegrationDocT | undefined);
    };
    const docEdit: DocEdit = op === 'add' ? { kind, op: 'add', id, entry: raw ?? (entry as Record<string, unknown>) } : op === 'delete' ? { kind, op: 'delete', id } : { kind, op: 'patch', id, patch: patch ?? {} };
    return { change: { kind, id, op, revoke }, undo, docEdit };
  }
}

/**
 * RG3: an advisory lock file `<file>.lock` holding the owner's pid. The server holds it while it
 * runs; an offline CLI edit holds it for one edit. A lock whose pid is gone is stale and taken over.
 */
export async function acquireRegistryLock(file: string, owner = process.pid): Promise<{ release(): Promise<void> }> {
  const lock = `${file}.lock`;
  // Offline edits hold the lock for one scrypt hash and one file write: seconds on a busy machine.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(String(owner));
      await fh.close();
      return { release: () => unlink(lock).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = (await readFile(lock, 'utf8').catch(() => '')).trim();
      const holder = Number(text);
      // Created but not yet written by its taker (between open and write): not stale unless it stays empty.
      const fresh = text === '' && (await stat(lock).then((st) => Date.now() - st.mtimeMs < 10_000).catch(() => false));
      if (fresh) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (!pidAlive(holder)) {
        // Stale: its process is gone. Remove and retry (another taker may win the race; then we wait).
        await unlink(lock).catch(() => undefined);
        continue;
      }
      // Our own pid: a previous owner in this process was abandoned without release (tests); take it over.
      if (holder === owner) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const holder = (await readFile(lock, 'utf8').catch(() => '?')).trim();
  throw new RegistryLockedError(file, Number(holder));
}

export class RegistryLockedError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`registry ${file} is locked by process ${pid} (a running server owns it: use its admin API or stop it) 登錄檔由執行中的程序 ${pid} 持有`);
  }
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

