import { timingSafeEqual } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { toTaipeiIso } from '../../domain/index.ts';
import { EditError, GatewayDocSchema, IntegrationDocSchema, SensorDocSchema, hashSecret, newSecret, type EntryKind, type FieldError, type Registry, type RegistryEdit, type RegistryWriter } from '../../registry/index.ts';
import { StaffError } from '../staff/errors.ts';
import { AdminError } from './errors.ts';
import type { AuditLog } from './audit.ts';
import { parseCsv, parseJson, type ParsedRow } from './import.ts';

export { AuditLog, type AuditEntry } from './audit.ts';
export { AdminError, ADMIN_ERRORS } from './errors.ts';
export { CSV_COLUMNS } from './import.ts';

type Role = 'viewer' | 'operator' | 'admin';

export interface AdminRoutesOptions {
  readonly registry: Registry;
  readonly writer: RegistryWriter;
  readonly audit: AuditLog;
  /** The staff auth hook (exporter/staff): sets `req.staff`, throws StaffError 401/403. */
  readonly authorize: (role: Role) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** AD5: the per-run token the server leaves for the local CLI in `<dataDir>/run/admin.json` (mode 0600). */
  readonly localToken?: string;
  readonly staff: {
    list(): { name: string; role: Role; createdAt: number }[];
    add(name: string, role: Role): Promise<{ name: string; role: Role; token: string }>;
    /** Revokes every token of `name` and closes their MQTT sessions; returns the number revoked. */
    revoke(name: string): Promise<number>;
  };
  readonly status?: () => Promise<Record<string, unknown>>;
  readonly exportDay?: (date: string) => Promise<unknown[]>;
  readonly backtest?: (q: { rule: string; from: string; to: string; tickSeconds: number }) => Promise<{ text: string; report: unknown }>;
  /** A new secret was issued (or `undefined`: the principal was deleted): e.g. update the simulator's keystore. */
  readonly onSecret?: (kind: EntryKind, id: string, secret: string | undefined) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Admin API under /api/v1/admin (AD1–AD6), role admin, OpenAPI tag `admin`.
 * AD1 Errors: `{ error: { code, message, 'zh-TW', field?, errors? } }`; validation names the field
 *     (registry YAML names, dotted). 401/403 come from the staff hook.
 * AD2 Registry changes go through RegistryWriter (RG1–RG3): on disk, live, announced (sessions of a
 *     rotated/disabled/deleted principal are closed) before the answer. Secrets are returned once,
 *     never a hash.
 * AD3 Bulk import is all-or-nothing: any bad row → `applied: false`, nothing changed, every bad row
 *     reported with its fields. `dryRun=true` only validates.
 * AD4 Every change writes an audit entry (durable JSONL) naming actor, action and target.
 * AD5 The local CLI authenticates with the per-run token; its actor is `cli`.
 * AD6 Responses are `cache-control: no-store`.
 */
const Tag = { tags: ['admin'] };
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    kind: Type.Optional(Type.String({ maxLength: 32 })),
    district: Type.Optional(Type.String({ maxLength: 16 })),
    gateway: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);
const nullable = (s: TSchema) => Type.Union([s, Type.Null()]);
const patchOf = (schema: TSchema & { properties: Record<string, TSchema> }, optional: readonly string[]) =>
  Type.Object(
    Object.fromEntries(Object.entries(schema.properties).filter(([k]) => k !== 'id' && k !== 'secretHash').map(([k, v]) => [k, Type.Optional(optional.includes(k) ? nullable(v) : v)])),
    { additionalProperties: false },
  );
const createOf = (schema: TSchema & { properties: Record<string, TSchema>; required?: string[] }) =>
  Type.Object(Object.fromEntries(Object.entries(schema.properties).filter(([k]) => k !== 'secretHash')), { additionalProperties: false });
const AuditQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }) }, { additionalProperties: false });
const ImportQuery = Type.Object({ dryRun: Type.Boolean({ default: false }) }, { additionalProperties: false });
const StaffBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]{1,64}$' }), role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]) }, { additionalProperties: false });
const ExportBody = Type.Object({ date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }) }, { additionalProperties: false });
const BacktestBody = Type.Object({ rule: Type.String({ minLength: 1, maxLength: 200 }), from: Type.String({ minLength: 1 }), to: Type.String({ minLength: 1 }), tickSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }) }, { additionalProperties: false });

function strip<T extends Record<string, unknown>>(e: T): Omit<T, 'secretHash'> & { hasSecret: boolean } {
  const { secretHash, ...rest } = e;
  return { ...rest, hasSecret: typeof secretHash === 'string' };
}

function validationField(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const p = v.params as Record<string, unknown>;
    const base = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const extra = v.keyword === 'required' ? String(p.missingProperty) : v.keyword === 'additionalProperties' ? String(p.additionalProperty) : '';
    const field = [base, extra].filter(Boolean).join('.') || err.validationContext || '(body)';
    return { field, message: v.keyword === 'additionalProperties' ? 'is not a known field' : (v.message ?? 'is invalid') };
  });
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, o) => {
  const { registry, writer, audit } = o;
  const now = o.now ?? Date.now;
  const adminHook = o.authorize('admin');
  const local = o.localToken ? Buffer.from(`Bearer ${o.localToken}`) : undefined;

  app.setErrorHandler((err: FastifyError, req, reply) => {
    void reply.header('cache-control', 'no-store');
    if (err instanceof AdminError) return reply.code(err.statusCode).send(err.body());
    if (err instanceof StaffError) return reply.code(err.statusCode).send(err.body());
    if (err instanceof EditError) {
      const e = new AdminError(err.code === 'INVALID' ? 'VALIDATION' : err.code, err.errors);
      return reply.code(e.statusCode).send(e.body());
    }
    if (err.validation) {
      const e = new AdminError('VALIDATION', validationField(err));
      return reply.code(400).send(e.body());
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message, 'zh-TW': '請求無效' } });
    }
    req.log.error({ err }, 'admin API failure');
    return reply.code(500).send(new AdminError('FAILED').body());
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store'); // AD6
  });
  // AD5 then the staff hook: the local CLI's per-run token, else a staff member with role admin.
  app.addHook('preHandler', async (req, reply) => {
    const auth = req.headers.authorization;
    if (local && auth && auth.length === local.length && timingSafeEqual(Buffer.from(auth), local)) {
      req.staff = { name: 'cli', role: 'admin', hash: '', createdAt: 0 };
      return;
    }
    await adminHook(req, reply);
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  const actor = (req: FastifyRequest): string => req.staff?.name ?? '?';
  const record = (req: FastifyRequest, action: string, target: string, detail?: Record<string, unknown>) => audit.append({ at: now(), actor: actor(req), action, target, ...(detail ? { detail } : {}) });

  // ── Sensors, gateways, integrations: the same five routes each ──────────────
  interface Section {
    readonly kind: EntryKind;
    readonly path: string;
    readonly create: TSchema;
    readonly patch: TSchema;
    get(id: string): Record<string, unknown> | undefined;
    all(): Record<string, unknown>[];
    /** Does a new entry get its own secret? (A sensor behind a gateway does not.) */
    wantsSecret(entry: Record<string, unknown>): boolean;
  }
  const sections: Section[] = [
    {
      kind: 'sensor',
      path: '/sensors',
      create: createOf(SensorDocSchema),
      patch: patchOf(SensorDocSchema, ['gateway', 'intervalSeconds', 'tags', 'disabled']),
      get: (id) => registry.sensorEntry(id),
      all: () => [...registry.sensors()].map((s) => registry.sensorEntry(s.id) as Record<string, unknown>),
      wantsSecret: (e) => e.gateway === undefined || e.gateway === null,
    },
    {
      kind: 'gateway',
      path: '/gateways',
      create: createOf(GatewayDocSchema),
      patch: patchOf(GatewayDocSchema, ['disabled']),
      get: (id) => registry.gatewayEntry(id),
      all: () => [...registry.gatewayEntries()],
      wantsSecret: () => true,
    },
    {
      kind: 'integration',
      path: '/integrations',
      create: Type.Object({ ...(createOf(IntegrationDocSchema) as unknown as { properties: Record<string, TSchema> }).properties, read: Type.Optional(IntegrationDocSchema.properties.read) }, { additionalProperties: false }),
      patch: patchOf(IntegrationDocSchema, ['name', 'publish', 'disabled']),
      get: (id) => registry.integrationEntry(id),
      all: () => [...registry.integrations()].map((i) => registry.integrationEntry(i.id) as Record<string, unknown>),
      wantsSecret: () => true,
    },
  ];

  for (const s of sections) {
    const found = (id: string): Record<string, unknown> => {
      const e = s.get(id);
      if (!e) throw new AdminError('NOT_FOUND', [{ field: 'id', message: `no ${s.kind} ${id}` }]);
      return e;
    };
    app.get<{ Querystring: Static<typeof ListQuery> }>(s.path, { schema: { ...Tag, summary: `列出 list ${s.kind}s`, querystring: ListQuery } }, async (req) => {
      const q = req.query;
      const needle = q.q?.toLowerCase();
      const rows = s
        .all()
        .filter((e) => (q.kind ? e.kind === q.kind : true) && (q.district ? e.district === q.district : true) && (q.gateway ? e.gateway === q.gateway : true))
        .filter((e) => (needle ? `${String(e.id)} ${JSON.stringify(e.name ?? '')}`.toLowerCase().includes(needle) : true))
        .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
      return { items: rows.slice(q.offset, q.offset + q.limit).map(strip), total: rows.length };
    });
    app.get<{ Params: Static<typeof IdParams> }>(`${s.path}/:id`, { schema: { ...Tag, params: IdParams } }, async (req) => strip(found(req.params.id)));
    app.post<{ Body: Record<string, unknown> }>(s.path, { schema: { ...Tag, summary: `新增 create a ${s.kind}; its secret is shown once`, body: s.create } }, async (req, reply) => {
      const entry: Record<string, unknown> = { ...req.body };
      if (s.kind === 'integration') entry.read ??= [];
      const secret = s.wantsSecret(entry) ? newSecret() : undefined;
      if (secret) entry.secretHash = await hashSecret(secret);
      await writer.submit([{ kind: s.kind, op: 'add', entry }]);
      const id = String(entry.id);
      await record(req, `${s.kind}.create`, id);
      if (secret) await o.onSecret?.(s.kind, id, secret);
      return reply.code(201).send({ [s.kind]: strip(found(id)), secret: secret ?? null });
    });
    app.patch<{ Params: Static<typeof IdParams>; Body: Record<string, unknown> }>(`${s.path}/:id`, { schema: { ...Tag, params: IdParams, body: s.patch } }, async (req) => {
      found(req.params.id);
      await writer.submit([{ kind: s.kind, op: 'patch', id: req.params.id, patch: req.body ?? {} }]);
      await record(req, `${s.kind}.update`, req.params.id, { fields: Object.keys(req.body ?? {}) });
      return strip(found(req.params.id));
    });
    app.delete<{ Params: Static<typeof IdParams> }>(`${s.path}/:id`, { schema: { ...Tag, params: IdParams } }, async (req, reply) => {
      found(req.params.id);
      await writer.submit([{ kind: s.kind, op: 'delete', id: req.params.id }]);
      await record(req, `${s.kind}.delete`, req.params.id);
      await o.onSecret?.(s.kind, req.params.id, undefined);
      return reply.code(204).send();
    });
    app.post<{ Params: Static<typeof IdParams> }>(`${s.path}/:id/rotate-secret`, { schema: { ...Tag, summary: '更換密鑰 rotate the secret: live sessions are closed, the old secret stops at once', params: IdParams } }, async (req) => {
      found(req.params.id);
      const secret = newSecret();
      await writer.submit([{ kind: s.kind, op: 'patch', id: req.params.id, patch: { secretHash: await hashSecret(secret) } }]);
      await record(req, `${s.kind}.rotate-secret`, req.params.id);
      await o.onSecret?.(s.kind, req.params.id, secret);
      return { secret };
    });
  }

  // ── Bulk import (AD3) ───────────────────────────────────────────────────────
  app.post<{ Querystring: Static<typeof ImportQuery>; Body: unknown }>(
    '/import',
    { bodyLimit: 16 * 1024 * 1024, schema: { ...Tag, summary: '批次匯入感測器 bulk-import sensors from CSV or JSON; all-or-nothing', querystring: ImportQuery } },
    async (req) => {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim();
      let parsed: ParsedRow[];
      if (type === 'text/csv') {
        try {
          parsed = parseCsv(String(req.body ?? ''));
        } catch (err) {
          throw new AdminError('VALIDATION', [{ field: '(body)', message: `CSV: ${(err as Error).message}` }]);
        }
      } else if (type === 'application/json') parsed = parseJson(req.body);
      else throw new AdminError('UNSUPPORTED_MEDIA');
      const seen = new Set<string>();
      const edits: (RegistryEdit | undefined)[] = parsed.map((r) => (r.entry ? { kind: 'sensor', op: 'add', entry: r.entry } : undefined));
      const checks = writer.check(edits.filter((e): e is RegistryEdit => e !== undefined));
      let k = 0;
      const rows = parsed.map((r, i) => {
        const errors = [...r.errors, ...(edits[i] ? (checks[k++] ?? []) : [])];
        if (r.id && seen.has(r.id)) errors.push({ field: 'id', message: `duplicate id ${r.id} in this import` });
        if (r.id) seen.add(r.id);
        return { row: r.row, id: r.id, ok: errors.length === 0, errors };
      });
      const good = rows.every((r) => r.ok) && rows.length > 0;
      if (!good || req.query.dryRun) return { applied: false, total: rows.length, rows };
      // Secrets only for sensors that publish themselves (scrypt ≈ 0.1 s CPU each); gateway sensors need none.
      const secrets = new Map<string, string>();
      const batch = await Promise.all(
        parsed.map(async (r) => {
          const entry = { ...(r.entry as Record<string, unknown>) };
          if (entry.gateway === undefined) {
            const secret = newSecret();
            secrets.set(r.id, secret);
            entry.secretHash = await hashSecret(secret);
          }
          return { kind: 'sensor' as const, op: 'add' as const, entry };
        }),
      );
      try {
        await writer.submit(batch);
      } catch (err) {
        if (!(err instanceof EditError)) throw err;
        // The registry changed between check and apply: report the row, apply nothing.
        const row = rows[err.index];
        if (row) rows[err.index] = { ...row, ok: false, errors: [...err.errors] };
        return { applied: false, total: rows.length, rows };
      }
      await record(req, 'sensor.import', `${rows.length} sensors`, { ids: rows.length <= 50 ? rows.map((r) => r.id) : `${rows[0]?.id} … ${rows[rows.length - 1]?.id}` });
      for (const [id, secret] of secrets) await o.onSecret?.('sensor', id, secret);
      return { applied: true, total: rows.length, rows: rows.map((r) => (secrets.has(r.id) ? { ...r, secret: secrets.get(r.id) } : r)) };
    },
  );

  // ── Staff tokens ────────────────────────────────────────────────────────────
  app.get('/staff', { schema: Tag }, async () => ({ items: o.staff.list().map((s) => ({ ...s, createdAtLocal: toTaipeiIso(s.createdAt) })) }));
  app.post<{ Body: Static<typeof StaffBody> }>('/staff', { schema: { ...Tag, summary: '新增人員權杖 create a staff token (shown once)', body: StaffBody } }, async (req, reply) => {
    const out = await o.staff.add(req.body.name, req.body.role);
    await record(req, 'staff.create', out.name, { role: out.role });
    return reply.code(201).send(out);
  });
  app.delete<{ Params: Static<typeof NameParams> }>('/staff/:name', { schema: { ...Tag, params: NameParams } }, async (req, reply) => {
    const n = await o.staff.revoke(req.params.name);
    if (!n) throw new AdminError('NOT_FOUND', [{ field: 'name', message: `no live token for ${req.params.name}` }]);
    await record(req, 'staff.revoke', req.params.name, { tokens: n });
    return reply.code(204).send();
  });

  // ── Audit, status, tools that need the server's store ──────────────────────
  app.get<{ Querystring: Static<typeof AuditQuery> }>('/audit', { schema: { ...Tag, querystring: AuditQuery } }, async (req) => ({
    items: audit.latest(req.query.limit).map((e) => ({ at: toTaipeiIso(e.at), actor: e.actor, action: e.action, target: e.target, detail: e.detail ?? {} })),
  }));
  app.get('/status', { schema: { ...Tag, summary: '伺服器狀態 what the server sees: connections, principals, lag' } }, async () => {
    if (!o.status) throw new AdminError('UNAVAILABLE');
    return o.status();
  });
  app.post<{ Body: Static<typeof ExportBody> }>('/export', { schema: { ...Tag, summary: '產生某日批次檔 write one day’s bulk files with the server’s store', body: ExportBody } }, async (req) => {
    if (!o.exportDay) throw new AdminError('UNAVAILABLE', [], 'open data is disabled');
    return { files: await o.exportDay(req.body.date) };
  });
  app.post<{ Body: Static<typeof BacktestBody> }>('/backtest', { schema: { ...Tag, summary: '規則回測 backtest a rule against the server’s store', body: BacktestBody } }, async (req) => {
    if (!o.backtest) throw new AdminError('UNAVAILABLE');
    try {
      return await o.backtest(req.body);
    } catch (err) {
      throw new AdminError('VALIDATION', [{ field: 'rule', message: (err as Error).message }]);
    }
  });
};
