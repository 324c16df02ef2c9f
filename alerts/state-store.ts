import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { AlertChange } from '../domain/index.ts';
import type { EngineAlert } from './types.ts';

/**
 * The alert engine's own durable state, an append-only JSON-lines file with group
 * commit (SS-1..SS-4), kept apart from storage/ so the engine owns its schema:
 * SS-1 append() resolves only after the line is written and fdatasync'ed (an
 *      acknowledged staff action or delivery record survives a crash).
 * SS-2 Appends that arrive while a flush runs are written together by the next one
 *      (one fsync per batch, not per record).
 * SS-3 open() replays the file to rebuild: alert snapshots (latest per id), history per
 *      alert, notes, deliveries, audit, staff tokens. A torn last line (crash during a
 *      write) is skipped.
 * SS-4 Records are never rewritten; compaction is future work (the file grows with
 *      alert activity, not with readings).
 */
export type StaffRole = 'viewer' | 'operator' | 'admin';

export interface NoteRec { readonly alertId: string; readonly by: string; readonly at: number; readonly text: string }
export interface DeliveryRec {
  readonly alertId: string;
  readonly channel: 'mqtt' | 'webhook' | 'email' | 'sse';
  readonly target: string;
  readonly reason: string;
  /** The subscription the notice was for (ES5 rebuilds each subscription's view). */
  readonly sub?: string;
  readonly attempt: number;
  readonly status: 'sent' | 'failed' | 'dead' | 'held';
  readonly at: number;
  readonly error?: string;
}
export interface AuditRec { readonly at: number; readonly actor: string; readonly action: string; readonly alertId?: string; readonly detail?: unknown }
export interface TokenRec { readonly name: string; readonly role: StaffRole; readonly hash: string; readonly createdAt: number; readonly revoked?: boolean }
/** `seq` (staff actions): the highest reading seq the engine had evaluated when it was taken (SV7 replay order). */
export interface ChangeRec { readonly at: number; readonly type: AlertChange['type']; readonly alert: EngineAlert; readonly by?: string; readonly seq?: number }

type Rec =
  | { t: 'change'; v: ChangeRec }
  | { t: 'note'; v: NoteRec }
  | { t: 'delivery'; v: DeliveryRec }
  | { t: 'audit'; v: AuditRec }
  | { t: 'token'; v: TokenRec };

export class AlertStateStore {
  readonly alerts = new Map<string, EngineAlert>();
  readonly history = new Map<string, ChangeRec[]>();
  readonly notes = new Map<string, NoteRec[]>();
  readonly deliveries = new Map<string, DeliveryRec[]>();
  readonly audit: AuditRec[] = [];
  readonly tokens = new Map<string, TokenRec>();
  private fh: FileHandle | undefined;
  private queue: { line: string; done: (err?: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(readonly file: string) {}

  static async open(dir: string): Promise<AlertStateStore> {
    await mkdir(dir, { recursive: true });
    const s = new AlertStateStore(path.join(dir, 'alert-state.jsonl'));
    const text = await readFile(s.file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let rec: Rec;
      try {
        rec = JSON.parse(line) as Rec;
      } catch {
        continue; // SS-3 torn tail
      }
      s.apply(rec);
    }
    s.fh = await open(s.file, 'a');
    return s;
  }

  /** Alerts whose latest snapshot is not resolved (restore after restart). */
  openAlerts(): EngineAlert[] {
    return [...this.alerts.values()].filter((a) => a.state !== 'resolved');
  }

  recordChanges(changes: readonly AlertChange[], at: number, by?: string, seq?: number): Promise<void> {
    return this.append(changes.map((c) => ({ t: 'change', v: { at, type: c.type, alert: c.alert as EngineAlert, ...(by ? { by } : {}), ...(by && seq !== undefined ? { seq } : {}) } })));
  }
  addNote(n: NoteRec): Promise<void> {
    return this.append([{ t: 'note', v: n }]);
  }
  addDelivery(d: DeliveryRec): Promise<void> {
    return this.append([{ t: 'delivery', v: d }]);
  }
  addAudit(a: AuditRec): Promise<void> {
    return this.append([{ t: 'audit', v: a }]);
  }
  putToken(t: TokenRec): Promise<void> {
    return this.append([{ t: 'token', v: t }]);
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
  }

  private apply(rec: Rec): void {
    switch (rec.t) {
      case 'change': {
        const prev = this.alerts.get(rec.v.alert.id);
        if (!prev || rec.v.alert.updatedAt >= prev.updatedAt || rec.v.type === 'resolved') this.alerts.set(rec.v.alert.id, rec.v.alert);
        push(this.history, rec.v.alert.id, rec.v);
        break;
      }
      case 'note':
        push(this.notes, rec.v.alertId, rec.v);
        break;
      case 'delivery':
        push(this.deliveries, rec.v.alertId, rec.v);
        break;
      case 'audit':
        this.audit.push(rec.v);
        break;
      case 'token':
        this.tokens.set(rec.v.hash, rec.v);
        break;
    }
  }

  private append(recs: Rec[]): Promise<void> {
    for (const r of recs) this.apply(r);
    const line = recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
    return new Promise((resolve, reject) => {
      this.queue.push({ line, done: (err) => (err ? reject(err) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (!this.fh) throw new Error('alert state store is closed');
        await this.fh.appendFile(batch.map((b) => b.line).join(''));
        await this.fh.datasync(); // SS-1
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.done(err as Error);
      }
    }
    this.flushing = undefined;
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
