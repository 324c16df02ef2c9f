import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashSecret, verifySecret } from '../../registry/index.ts';

export type ConsoleRole = 'viewer' | 'operator' | 'admin';
export interface PasswordRec {
  readonly name: string;
  readonly role: ConsoleRole;
  /** `scrypt$N$r$p$salt$key` (the registry's credential format): CO1, never the password. */
  readonly hash: string;
  readonly updatedAt: number;
}

export const STAFF_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD = 10;
/** A fixed hash verified when the name is unknown, so a wrong name costs the same scrypt as a wrong password. */
const DUMMY = hashSecret('civicstream-no-such-staff');

/**
 * Staff console passwords (CO1): `<dataDir>/console/staff-passwords.json`, scrypt hashes
 * only, written by temp file + rename so a crash never leaves half a file. The CLI
 * (`civicstream staff password NAME`) writes it; the running console re-reads it when
 * its mtime changes, so no restart is needed after setting a password.
 */
export class PasswordFile {
  private recs = new Map<string, PasswordRec>();
  private loadedMtime = -1;
  constructor(readonly file: string) {}

  static inDataDir(dataDir: string): PasswordFile {
    return new PasswordFile(path.join(dataDir, 'console', 'staff-passwords.json'));
  }

  async load(): Promise<void> {
    const { stat } = await import('node:fs/promises');
    const st = await stat(this.file).catch(() => undefined);
    if (!st) {
      this.recs.clear();
      this.loadedMtime = 0;
      return;
    }
    if (st.mtimeMs === this.loadedMtime) return;
    const doc = JSON.parse(await readFile(this.file, 'utf8')) as { staff?: PasswordRec[] };
    this.recs = new Map((doc.staff ?? []).map((r) => [r.name, r]));
    this.loadedMtime = st.mtimeMs;
  }

  get(name: string): PasswordRec | undefined {
    return this.recs.get(name);
  }

  list(): PasswordRec[] {
    return [...this.recs.values()];
  }

  async set(name: string, role: ConsoleRole, password: string, now = Date.now()): Promise<PasswordRec> {
    if (!STAFF_NAME.test(name)) throw new Error(`staff name "${name}" must be 1–64 of [A-Za-z0-9._@-]`);
    if (password.length < MIN_PASSWORD) throw new Error(`密碼至少 ${MIN_PASSWORD} 個字元 / the password needs at least ${MIN_PASSWORD} characters`);
    await this.load();
    const rec: PasswordRec = { name, role, hash: await hashSecret(password), updatedAt: now };
    this.recs.set(name, rec);
    await this.save();
    return rec;
  }

  async remove(name: string): Promise<boolean> {
    await this.load();
    const had = this.recs.delete(name);
    if (had) await this.save();
    return had;
  }

  /** The record when name and password match; undefined otherwise (same cost either way). */
  async verify(name: string, password: string): Promise<PasswordRec | undefined> {
    await this.load();
    const rec = this.recs.get(name);
    const ok = await verifySecret(password, rec?.hash ?? (await DUMMY));
    return ok && rec ? rec : undefined;
  }

  private async save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, staff: [...this.recs.values()] }, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
