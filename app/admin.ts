import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseTime, toTaipeiIso } from '../domain/index.ts';
import { AuditLog, openData, staffGuard, type AdminRoutesOptions } from '../exporter/index.ts';
import { addStaff, backtest, verifyToken, backtestSensors, formatBacktest, listStaff, loadAqiTable, loadRules, revokeStaff, storedReadings } from '../alerts/index.ts';
import { acquireRegistryLock, RegistryWriter } from '../registry/index.ts';
import type { App } from './app.ts';
import { serverFilePath, updateKeystore, type ServerFile } from './server-file.ts';

/**
 * The live registry and what the admin API needs (the api unit opens it and hands `routes` to
 * createApi, which registers the admin routes; before the API listens):
 * - RG3: takes the registry lock for the server's lifetime: the server is the one writer.
 * - RG1/B16: a committed change that revokes a credential closes that principal's sessions.
 * - AD5: a per-run CLI token, written with the URL to `<dataDir>/run/admin.json` (0600) once listening.
 */
export async function openAdmin(app: App, registryFile: string, ruleFiles: readonly string[]) {
  const { config, logger } = app;
  const lock = await acquireRegistryLock(registryFile);
  const writer = new RegistryWriter(app.registry);
  const unsubscribe = app.registry.onChange((changes) => {
    for (const c of changes) if (c.revoke) app.broker.disconnectPrincipal(c.id, c.kind);
    logger.info({ changes: changes.length, ids: changes.slice(0, 10).map((c) => `${c.op} ${c.kind} ${c.id}`) }, 'registry changed');
  });
  const audit = await AuditLog.open(path.join(config.dataDir, 'admin', 'audit.jsonl'));
  const token = 'cs_local_' + randomBytes(32).toString('base64url');
  const startedAt = Date.now();
  const bulkDir = path.join(config.dataDir, 'open-data');
  let keystore: Promise<void> = Promise.resolve();

  const routes: AdminRoutesOptions = {
    registry: app.registry,
    writer,
    audit,
    localToken: token,
    authorize: (role) => staffGuard((t) => verifyToken(app.alerts.store, t), role),
    staff: {
      list: () => listStaff(app.alerts.store),
      add: async (name, role) => {
        const { token: t, record } = await addStaff(app.alerts.store, name, role, Date.now());
        return { name: record.name, role: record.role, token: t };
      },
      revoke: async (name) => {
        const n = await revokeStaff(app.alerts.store, name);
        if (n) app.broker.disconnectPrincipal(name, 'staff'); // TK4
        return n;
      },
    },
    status: async () => {
      const health = await app.health();
      return {
        pid: process.pid,
        startedAt: toTaipeiIso(startedAt),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        status: health.status,
        connections: app.broker.connections(),
        principals: {
          sensors: app.registry.size,
          gateways: [...app.registry.gatewayEntries()].length,
          integrations: [...app.registry.integrations()].length,
          staff: listStaff(app.alerts.store).length,
        },
        journal: { lastSeq: app.journal.lastSeq, checkpoint: app.journal.checkpointed, lag: app.journal.lastSeq - app.journal.checkpointed },
        writer: { pending: app.writer.pending, committedSeq: app.writer.committedSeq },
        registry: { file: registryFile, commits: writer.commits, ...(writer.lastCommitMs ? { lastCommit: toTaipeiIso(writer.lastCommitMs) } : {}) },
      };
    },
    exportDay: (date) => openData.exportDay({ store: app.store, registry: app.registry, dir: bulkDir, date, logger }),
    backtest: async (q) => {
      const from = parseTime(q.from);
      const to = parseTime(q.to);
      if (Number.isNaN(from) || Number.isNaN(to) || from >= to) throw new Error('from and to must be ISO 8601 date-times with offset, from < to');
      const rules = await loadRules([...ruleFiles]);
      const sensors = backtestSensors(rules, q.rule, [...app.registry.sensors()]);
      const report = await backtest({ rules, ruleId: q.rule, sensors, readings: storedReadings(app.store, sensors, from, to), from, to, tickMs: q.tickSeconds * 1000, aqiTable: loadAqiTable() });
      return { text: formatBacktest(report, toTaipeiIso), report };
    },
    // The simulator plays the demo devices: it has to learn a rotated secret (or forget a deleted principal).
    onSecret: (kind, id, secret) => {
      keystore = keystore.then(() => updateKeystore(config.dataDir, kind, id, secret)).catch((err: Error) => logger.warn({ err }, 'simulator keystore update failed'));
      return keystore;
    },
  };

  return {
    writer,
    audit,
    /** The admin API's options (AD1–AD6) for createApi. */
    routes,
    /** After the API listens: tell the local CLI where the server is. */
    async announce(url: string): Promise<void> {
      const file = serverFilePath(config.dataDir);
      await mkdir(path.dirname(file), { recursive: true });
      const body: ServerFile = { pid: process.pid, url, token, startedAt: toTaipeiIso(startedAt) };
      await writeFile(`${file}.tmp`, JSON.stringify(body), { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    },
    async close(): Promise<void> {
      unsubscribe();
      await writer.close().catch(() => undefined);
      await unlink(serverFilePath(config.dataDir)).catch(() => undefined);
      await keystore;
      await audit.close().catch(() => undefined);
      await lock.release();
    },
  };
}

