import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets are stored only as scrypt hashes: `scrypt$N$r$p$<salt b64>$<hash b64>`.
 * N=2^14, r=8, p=1 follows the OWASP minimum for scrypt; the parameters travel in
 * the string so they can be raised later without invalidating existing entries.
 */
const N = 1 << 14;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: n, r, p, maxmem: 256 * n * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new random secret: 24 bytes, base64url (32 chars), printable for device configuration. */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Remembers secrets already verified (as SHA-256 digests, never plaintext) so a
 * reconnect storm after a broker restart costs one scrypt per principal, not one per
 * connection attempt. Keyed by principal id and the stored hash, so rotating a
 * secret invalidates the entry.
 */
export class VerifiedSecretCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly maxEntries = 200_000) {}

  async verify(principal: string, secret: string, stored: string): Promise<boolean> {
    const digest = createHash('sha256').update(secret).digest('base64');
    const key = principal + '\0' + stored;
    if (this.entries.get(key) === digest) return true;
    const ok = await verifySecret(secret, stored);
    if (ok) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, digest);
    }
    return ok;
  }
}
