import type { FastifyRequest } from 'fastify';
import { roleAtLeast, type StaffRole, type TokenRec } from '../../alerts/index.ts';
import { StaffError } from './errors.ts';

/** Resolves a presented token to its staff record, or undefined when unknown or revoked. */
export type VerifyStaff = (token: string | undefined) => TokenRec | undefined;

/**
 * The token of an `Authorization: Bearer <token>` header. OD-P4: the scheme name is
 * case-insensitive (RFC 9110 §11.1), so `bearer` and `BEARER` are the same scheme.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^bearer[ \t]+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

/**
 * A preHandler that admits staff of `role` or above (OD-P1). Without a verifier nobody is
 * admitted: staff-only data is never served on an unauthenticated route by default.
 */
export function requireStaff(verify: VerifyStaff | undefined, role: StaffRole, queryToken = false) {
  return async (req: FastifyRequest): Promise<void> => {
    const q = (req.query as Record<string, unknown> | undefined)?.access_token;
    const token = bearerToken(req.headers.authorization) ?? (queryToken && typeof q === 'string' ? q : undefined);
    const staff = token ? verify?.(token) : undefined;
    if (!staff) throw new StaffError('UNAUTHENTICATED');
    if (!roleAtLeast(staff.role, role)) throw new StaffError('FORBIDDEN', `${staff.role} < ${role}`);
    req.staff = staff;
  };
}
