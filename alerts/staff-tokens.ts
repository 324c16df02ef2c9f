import { createHash, randomBytes } from 'node:crypto';
import type { AlertStateStore, StaffRole, TokenRec } from './state-store.ts';

/**
 * Per-person API tokens (TK1–TK3).
 * TK1 A token is 32 random bytes (base64url) with a `cs_` prefix, shown once at creation.
 * TK2 Only its SHA-256 is stored. A slow KDF (scrypt) protects low-entropy passwords; a
 *     256-bit random token cannot be guessed, so a fast hash loses nothing and keeps
 *     the per-request check O(1) (the same reasoning GitHub documents for its tokens).
 * TK3 Roles are ordered viewer < operator < admin.
 */
const ROLE_RANK: Readonly<Record<StaffRole, number>> = { viewer: 1, operator: 2, admin: 3 };

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function roleAtLeast(have: StaffRole, need: StaffRole): boolean {
  return ROLE_RANK[have] >= ROLE_RANK[need];
}

export async function addStaff(store: AlertStateStore, name: string, role: StaffRole, now: number): Promise<{ token: string; record: TokenRec }> {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new Error(`staff name "${name}" must be 1–64 of [A-Za-z0-9._@-]`);
  const token = 'cs_' + randomBytes(32).toString('base64url');
  const record: TokenRec = { name, role, hash: hashToken(token), createdAt: now };
  await store.putToken(record);
  return { token, record };
}

export function verifyToken(store: AlertStateStore, token: string | undefined): TokenRec | undefined {
  if (!token?.startsWith('cs_')) return undefined;
  const rec = store.tokens.get(hashToken(token));
  return rec && !rec.revoked ? rec : undefined;
}

/**
 * TK4 Revoking a person revokes every token of theirs in the live store: the next API call
 *     and the next MQTT CONNECT with it are refused (verifyToken reads the store), and the
 *     caller disconnects their live MQTT sessions. Returns how many tokens were revoked.
 */
export async function revokeStaff(store: AlertStateStore, name: string): Promise<number> {
  let n = 0;
  for (const t of [...store.tokens.values()]) {
    if (t.name !== name || t.revoked) continue;
    await store.putToken({ ...t, revoked: true });
    n++;
  }
  return n;
}

/** People with at least one live token (newest token's role), oldest first. */
export function listStaff(store: AlertStateStore): { name: string; role: StaffRole; createdAt: number }[] {
  const byName = new Map<string, TokenRec>();
  for (const t of store.tokens.values()) {
    if (t.revoked) continue;
    const prev = byName.get(t.name);
    if (!prev || t.createdAt >= prev.createdAt) byName.set(t.name, t);
  }
  return [...byName.values()].sort((a, b) => a.createdAt - b.createdAt).map((t) => ({ name: t.name, role: t.role, createdAt: t.createdAt }));
}
