import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly detail?: Record<string, unknown>;
}

/**
 * AD4: every admin change is one line in `<dataDir>/admin/audit.jsonl`, written and fsynced
 * before the API answers. Secrets never appear in it. The newest `keep` entries stay in memory.
 */
export class AuditLog {
  private chain: Promise<void> = Promise.resolve();
  private constructor(
    private readonly fh: FileHandle,
    private readonly recent: AuditEntry[],
    private readonly keep: number,
  ) {}

  static async open(file: string, keep = 10_000): Promise<AuditLog> {
    await mkdir(path.dirname(file), { recursive: true });
    const text = await readFile(file, 'utf8').catch(() => '');
    const recent: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        recent.push(JSON.parse(line) as AuditEntry);
      } catch {
        // a torn last line (crash mid-write) is skipped
      }
    }
    return new AuditLog(await open(file, 'a', 0o600), recent.slice(-keep), keep);
  }

  append(e: AuditEntry): Promise<void> {
    const run = this.chain.then(async () => {
      await this.fh.write(JSON.stringify(e) + '\n');
      await this.fh.datasync();
      this.recent.push(e);
      if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Newest first. */
  latest(limit: number): AuditEntry[] {
    return this.recent.slice(-limit).reverse();
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh.close();
  }
}
