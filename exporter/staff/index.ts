import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { toTaipeiIso } from '../../domain/index.ts';
import { addStaff, verifyToken, type AlertService, type EngineAlert, type RuleSet, type StaffRole, type TokenRec } from '../../alerts/index.ts';
import { clientError } from '../error-handler.ts';
import { staffGuard } from './auth.ts';
import { STAFF_ERRORS, StaffError } from './errors.ts';

export { STAFF_ERRORS, StaffError } from './errors.ts';
export { bearerToken, staffGuard, type VerifyStaff } from './auth.ts';

export interface StaffRoutesOptions {
  readonly service: AlertService;
  /** Reloads the rule files (admin API and SIGHUP share it); throws RuleConfigError to refuse. */
  readonly reloadRules?: () => Promise<RuleSet>;
  readonly now?: () => number;
}

/**
 * Staff API under /api/v1/staff (SA1–SA5).
 * SA1 Every route needs `Authorization: Bearer <token>` (the SSE stream also accepts
 *     `?access_token=`, because browsers' EventSource cannot set headers); unknown or
 *     revoked → 401. Roles: viewer reads, operator acts on alerts, admin manages
 *     tokens, rules and reads the audit log; too low → 403.
 * SA2 acknowledge / assign / note / resolve go through AlertService: one audit record
 *     each with who and when, and the change is delivered like any other.
 * SA3 Times are ISO 8601 +08:00; lists are newest first and bounded by `limit`.
 * SA4 Responses are `cache-control: no-store`: an acknowledgement must show at once.
 * SA5 GET /stream is Server-Sent Events (SseHub), resumable with Last-Event-ID.
 */
declare module 'fastify' {
  interface FastifyRequest {
    staff?: TokenRec;
  }
}

const present = (a: EngineAlert) => ({ ...a, openedAtLocal: toTaipeiIso(a.openedAt), updatedAtLocal: toTaipeiIso(a.updatedAt), ...(a.resolvedAt !== undefined ? { resolvedAtLocal: toTaipeiIso(a.resolvedAt) } : {}) });
const local = <T extends { at: number }>(r: T) => ({ ...r, atLocal: toTaipeiIso(r.at) });

const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('active')])),
    kind: Type.Optional(Type.String({ maxLength: 32 })),
    district: Type.Optional(Type.String({ maxLength: 16 })),
    severity: Type.Optional(Type.Union([Type.Literal('advisory'), Type.Literal('warning'), Type.Literal('critical')])),
    assignee: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) });
const AssignBody = Type.Object({ assignee: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const NoteBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false });
const ResolveBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });
const TokenBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]) }, { additionalProperties: false });

export const staffRoutes: FastifyPluginAsync<StaffRoutesOptions> = async (app, o) => {
  const { service } = o;
  const now = o.now ?? Date.now;

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof StaffError) return reply.code(err.statusCode).send(err.body());
    // OD-P3: unreadable or oversized bodies are 400/413 with a code, before and without authentication.
    const client = clientError(err as Parameters<typeof clientError>[0]);
    if (client) return reply.code(client.statusCode).send(client.body());
    // Schema failures keep Fastify's own message (it names the field) in both languages.
    if (err.validation) return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: err.message, 'zh-TW': `${STAFF_ERRORS.BAD_REQUEST['zh-TW']}：${err.message}` } });
    reply.log.error({ err }, 'staff API failure');
    return reply.code(500).send(new StaffError('INTERNAL').body());
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store'); // SA4
  });

  const verify = (t: string | undefined) => verifyToken(service.store, t);
  const need = (role: StaffRole, queryToken = false) => staffGuard(verify, role, { queryToken });
  const find = (id: string): EngineAlert => {
    const a = service.engine.get(id) ?? service.store.alerts.get(id);
    if (!a) throw new StaffError('ALERT_NOT_FOUND', id);
    return a;
  };

  app.get<{ Querystring: Static<typeof ListQuery> }>('/alerts', { schema: { querystring: ListQuery }, preHandler: need('viewer') }, async (req) => {
    const q = req.query;
    const live = new Map(service.engine.open().map((a) => [a.id, a]));
    const all = [...service.store.alerts.values()].map((a) => live.get(a.id) ?? a);
    for (const a of live.values()) if (!service.store.alerts.has(a.id)) all.push(a);
    const items = all
      .filter((a) => (q.state === undefined ? true : q.state === 'active' ? a.state !== 'resolved' : a.state === q.state))
      .filter((a) => (q.kind ? a.kind === q.kind : true) && (q.district ? a.district === q.district : true) && (q.severity ? a.severity === q.severity : true) && (q.assignee ? a.assignee === q.assignee : true))
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, q.limit)
      .map(present);
    return { count: items.length, items };
  });

  app.get<{ Params: Static<typeof IdParams> }>('/alerts/:id', { schema: { params: IdParams }, preHandler: need('viewer') }, async (req) => {
    const a = find(req.params.id);
    const id = a.id;
    return {
      alert: present(a),
      history: (service.store.history.get(id) ?? []).map((h) => ({ ...local(h), alert: present(h.alert) })),
      notes: (service.store.notes.get(id) ?? []).map(local),
      deliveries: (service.store.deliveries.get(id) ?? []).map(local),
    };
  });

  const act = (path: string, schemaBody: object | undefined, run: (id: string, actor: string, body: Record<string, string>) => Promise<EngineAlert | boolean | undefined>) =>
    app.post<{ Params: Static<typeof IdParams>; Body: Record<string, string> }>(path, { schema: { params: IdParams, ...(schemaBody ? { body: schemaBody } : {}) }, preHandler: need('operator') }, async (req) => {
      find(req.params.id);
      const out = await run(req.params.id, req.staff!.name, req.body ?? {});
      if (out === undefined || out === false) throw new StaffError('NOT_OPEN', req.params.id);
      return out === true ? { ok: true } : { alert: present(out) };
    });
  act('/alerts/:id/acknowledge', undefined, (id, actor) => service.acknowledge(id, actor));
  act('/alerts/:id/assign', AssignBody, (id, actor, b) => service.assign(id, actor, b.assignee!));
  act('/alerts/:id/notes', NoteBody, (id, actor, b) => service.note(id, actor, b.text!));
  act('/alerts/:id/resolve', ResolveBody, (id, actor, b) => service.resolve(id, actor, b.reason!));

  app.get('/audit', { preHandler: need('admin') }, async () => ({ items: service.store.audit.slice(-1000).reverse().map(local) }));

  app.post<{ Body: Static<typeof TokenBody> }>('/tokens', { schema: { body: TokenBody }, preHandler: need('admin') }, async (req, reply) => {
    const { token, record } = await addStaff(service.store, req.body.name, req.body.role, now());
    await service.store.addAudit({ at: now(), actor: req.staff!.name, action: 'token.create', detail: { name: record.name, role: record.role } });
    return reply.code(201).send({ name: record.name, role: record.role, token });
  });

  app.post('/rules/reload', { preHandler: need('admin') }, async (req) => {
    if (!o.reloadRules) throw new StaffError('RELOAD_FAILED', 'no rule files configured');
    let rules: RuleSet;
    try {
      rules = await o.reloadRules();
    } catch (err) {
      throw new StaffError('RELOAD_FAILED', (err as Error).message);
    }
    await service.reloadRules(rules, req.staff!.name);
    return { rules: rules.rules.length, files: rules.files };
  });

  app.get('/stream', { preHandler: need('viewer', true) }, async (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const last = Number(req.headers['last-event-id']);
    service.sse.attach(reply.raw, Number.isFinite(last) ? last : undefined);
  });
};
