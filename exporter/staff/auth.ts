import type { FastifyReply, FastifyRequest } from 'fastify';
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
 * SA1 / OD-P1 The one staff guard, a preHandler for every staff-only route (staff API, admin
 * API, dead letters, the internal alert list): it admits staff of `role` or above, presented
 * as, in this order, an `Authorization: Bearer` token (any case of the scheme, OD-P4), the
 * `?access_token=` of a route that allows it (EventSource cannot set headers), or a console
 * session (exporter/console, CO2/CO3) — the session only when no token was presented, so a
 * wrong token never falls back to a cookie. Without a verifier nobody is admitted: staff-only
 * data is never served on an unauthenticated route by default. Sets `req.staff`; throws
 * StaffError UNAUTHENTICATED (with a `WWW-Authenticate` challenge) or FORBIDDEN.
 */
export function staffGuard(verify: VerifyStaff | undefined, role: StaffRole, o: { readonly queryToken?: boolean } = {}) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const q = o.queryToken ? (req.query as Record<string, unknown> | undefined)?.access_token : undefined;
    const token = bearerToken(req.headers.authorization) ?? (typeof q === 'string' ? q : undefined);
    const staff = token !== undefined ? verify?.(token) : req.sessionStaff;
    if (!staff) {
      void reply.header('www-authenticate', 'Bearer realm="civicstream staff"');
      throw new StaffError('UNAUTHENTICATED');
    }
    if (!roleAtLeast(staff.role, role)) throw new StaffError('FORBIDDEN', `${staff.role} < ${role}`);
    req.staff = staff;
  };
}
