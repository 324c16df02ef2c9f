import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../../domain/index.ts';
import { CONSOLE_ERRORS } from './errors.ts';
import { PasswordFile, STAFF_NAME, type ConsoleRole } from './passwords.ts';
import { csrfMatches, SessionStore, type Session } from './sessions.ts';
import { LoginThrottle } from './throttle.ts';

export { PasswordFile, MIN_PASSWORD, type ConsoleRole } from './passwords.ts';

/** The Vite build output (console/dist); built by scripts/build-console.mjs, never committed. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist', import.meta.url));
export const SESSION_COOKIE = 'civic_session';

export interface ConsoleOptions {
  readonly dataDir: string;
  readonly distDir?: string;
  /** XYZ/WMTS tile URL template for the map background; absent = no basemap (works offline). */
  readonly basemapUrl?: string;
  readonly basemapAttribution?: string;
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  /** Secure cookie flag: true when the public base URL is https. */
  readonly secureCookie: boolean;
  /** Records sign-in and sign-out in the staff audit log. */
  readonly audit?: (rec: { at: number; actor: string; action: string; detail?: unknown }) => Promise<void>;
  /** Registry districts; a `boundary` (GeoJSON geometry, when the registry carries one) is drawn as an outline. */
  readonly districts?: () => Iterable<{ code: string; name: { 'zh-TW': string; en: string } }>;
  /** False when the person's staff tokens were all revoked (CLI or admin API): their console sign-in ends too. */
  readonly staffActive?: (name: string) => boolean;
  readonly now?: () => number;
}

/** The person a console session belongs to, in the shape the staff API's auth hook uses. */
export interface SessionStaff {
  readonly name: string;
  readonly role: ConsoleRole;
  readonly hash: string;
  readonly createdAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's onRequest hook from a valid session cookie (CO2, CO3). */
    sessionStaff?: SessionStaff;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const LoginBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

/**
 * The public page (`/`) and the staff console (`/console`), built by Vite from `console/`,
 * plus console sign-in (CO1–CO6, ARCHITECTURE.md "Console").
 * CO1 passwords are scrypt hashes (PasswordFile); CO2 sessions are random ids in an httpOnly,
 *     SameSite=Strict cookie with idle and absolute expiry; CO3 every unsafe request made with
 *     the cookie carries the session's `x-csrf-token`, or the cookie is ignored; CO4 wrong
 *     passwords are throttled per name and per address; CO5 every script, style and font is
 *     served from the build (CSP `default-src 'self'`), the basemap is the only optional
 *     outside origin; CO6 hashed assets are immutable, HTML is revalidated.
 * Registered with skip-override so the session hook runs for the staff and admin APIs too.
 */
function plugin(o: ConsoleOptions): FastifyPluginAsync {
  const now = o.now ?? Date.now;
  const dist = o.distDir ?? CONSOLE_DIST;
  const passwords = PasswordFile.inDataDir(o.dataDir);
  const sessions = new SessionStore({ idleMs: o.sessionIdleMinutes * 60_000, maxMs: o.sessionMaxHours * 3_600_000 });
  const throttle = new LoginThrottle();
  const tileOrigin = (() => {
    try {
      return o.basemapUrl ? new URL(o.basemapUrl.replace(/\{[^}]+\}/g, '0')).origin : '';
    } catch {
      return '';
    }
  })();
  const csp = `default-src 'self'; img-src 'self' data: blob:${tileOrigin ? ' ' + tileOrigin : ''}; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`;

  return async (app: FastifyInstance) => {
    await app.register(cookie);

    app.addHook('onRequest', async (req) => {
      const id = req.cookies?.[SESSION_COOKIE];
      if (!id || req.headers.authorization) return;
      const s = sessions.get(id, now());
      if (!s) return;
      if (o.staffActive && !o.staffActive(s.name)) {
        sessions.destroyFor(s.name);
        return;
      }
      if (!SAFE.has(req.method) && !csrfMatches(s, req.headers['x-csrf-token'])) return; // CO3
      req.sessionStaff = { name: s.name, role: s.role, hash: 'console-session', createdAt: s.createdAt };
    });

    const view = (s: Session) => ({ name: s.name, role: s.role, csrf: s.csrf, expiresAt: new Date(Math.min(s.lastSeen + o.sessionIdleMinutes * 60_000, s.createdAt + o.sessionMaxHours * 3_600_000)).toISOString() });
    const setCookie = (reply: FastifyReply, value: string, maxAge: number) =>
      reply.setCookie(SESSION_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: o.secureCookie, maxAge });

    await app.register(async (api) => {
      api.addHook('onSend', async (_req, reply) => {
        reply.header('cache-control', 'no-store');
      });
      api.post<{ Body: Static<typeof LoginBody> }>('/console/api/session', { schema: { body: LoginBody, hide: true } }, async (req, reply) => {
        const { name, password } = req.body;
        const keys = [`name:${name}`, `ip:${req.ip}`];
        const wait = throttle.waitMs(keys, now());
        if (wait > 0) {
          void reply.header('retry-after', String(Math.ceil(wait / 1000)));
          return reply.code(429).send({ error: { ...errorBody(CONSOLE_ERRORS, 'LOGIN_THROTTLED').error, retryAfterSeconds: Math.ceil(wait / 1000) } });
        }
        const verified = STAFF_NAME.test(name) ? await passwords.verify(name, password) : undefined;
        const rec = verified && (!o.staffActive || o.staffActive(verified.name)) ? verified : undefined;
        if (!rec) {
          throttle.failed(keys, now());
          await o.audit?.({ at: now(), actor: name.slice(0, 64), action: 'console.login.failed', detail: { ip: req.ip } }).catch(() => undefined);
          return reply.code(401).send(errorBody(CONSOLE_ERRORS, 'BAD_CREDENTIALS'));
        }
        throttle.succeeded(`name:${name}`);
        sessions.destroy(req.cookies?.[SESSION_COOKIE]); // a new id at sign-in (no session fixation)
        const { id, session } = sessions.create(rec.name, rec.role, now());
        setCookie(reply, id, o.sessionMaxHours * 3600);
        await o.audit?.({ at: now(), actor: rec.name, action: 'console.login', detail: { ip: req.ip } }).catch(() => undefined);
        return view(session);
      });
      api.get('/console/api/session', { schema: { hide: true } }, async (req, reply) => {
        const s = sessions.get(req.cookies?.[SESSION_COOKIE], now());
        if (!s) return reply.code(401).send(errorBody(CONSOLE_ERRORS, 'UNAUTHENTICATED'));
        return view(s);
      });
      api.delete('/console/api/session', { schema: { hide: true } }, async (req, reply) => {
        if (!req.sessionStaff) return reply.code(401).send(errorBody(CONSOLE_ERRORS, 'UNAUTHENTICATED'));
        sessions.destroy(req.cookies?.[SESSION_COOKIE]);
        setCookie(reply, '', 0);
        await o.audit?.({ at: now(), actor: req.sessionStaff.name, action: 'console.logout' }).catch(() => undefined);
        return { ok: true };
      });
      // District outlines for both maps (public information); boundaries appear once the registry has them.
      api.get('/console/api/districts', { schema: { hide: true } }, async () => ({
        items: [...(o.districts?.() ?? [])].map((d) => {
          const boundary = (d as { boundary?: unknown }).boundary;
          return { code: d.code, name: d.name, ...(boundary ? { boundary } : {}) };
        }),
      }));
      // Read by both pages: the basemap is configuration, absent by default (offline).
      api.get('/console/api/config', { schema: { hide: true } }, async () => ({
        basemap: o.basemapUrl ? { url: o.basemapUrl, attribution: o.basemapAttribution ?? '' } : null,
        timeZone: 'Asia/Taipei',
      }));
    });

    await app.register(async (pages) => {
      const built = () => existsSync(path.join(dist, 'index.html'));
      if (existsSync(path.join(dist, 'assets'))) {
        await pages.register(fastifyStatic, {
          root: path.join(dist, 'assets'),
          prefix: '/assets/',
          decorateReply: false,
          immutable: true,
          maxAge: '365d',
          index: false,
        });
      }
      await pages.register(fastifyStatic, { root: dist, serve: false });
      const html = (file: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
        if (!built()) {
          return reply.code(503).type('text/html; charset=utf-8').send('<!doctype html><html lang="zh-TW"><meta charset="utf-8"><title>civicstream</title><p>主控台尚未建置，請執行 <code>npm run build:console</code>。<br lang="en">The console is not built yet: run <code>npm run build:console</code>.</p></html>');
        }
        return reply.header('content-security-policy', csp).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('cache-control', 'no-cache').sendFile(file, { cacheControl: false });
      };
      pages.get('/', { schema: { hide: true } }, html('index.html'));
      pages.get('/console', { schema: { hide: true } }, html('console/index.html'));
    });
  };
}

export function consolePlugin(o: ConsoleOptions): FastifyPluginAsync {
  const p = plugin(o);
  // Root scope (what fastify-plugin does): the session hook must see the staff and admin routes.
  (p as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return p;
}
