import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { KINDS, isSensorKind } from '../domain/index.ts';
import { Registry, RegistryWriter, acquireRegistryLock, hashSecret, newSecret, type EntryKind, type RegistryEdit } from '../registry/index.ts';
import { loadConfig, registryPath } from '../app/config.ts';
import { seedRegistry } from '../app/seed.ts';
import { createLogger } from '../app/logger.ts';
import { updateKeystore } from '../app/server-file.ts';
import { callServer, runningServer } from './server.ts';

/**
 * `civicstream sensors|gateways|integrations …` and `civicstream status` (RG3):
 * with a server running on this data directory every change goes through its admin API (live at
 * once, the server stays the one writer); with none, the CLI edits the file under the registry
 * lock, through the same RegistryWriter (comments and order kept, RG6).
 */
const out = (s: string): void => void process.stdout.write(s);

async function context() {
  const config = loadConfig();
  const file = registryPath(config);
  await seedRegistry(file, config.dataDir, createLogger(config.log.level));
  return { config, file, server: await runningServer(config.dataDir) };
}

/** Offline: one locked read-modify-write of the file. */
async function editOffline(file: string, edits: RegistryEdit[]): Promise<Registry> {
  const lock = await acquireRegistryLock(file);
  try {
    const registry = await Registry.load(file);
    await new RegistryWriter(registry).submit(edits);
    return registry;
  } finally {
    await lock.release();
  }
}

function printSecret(id: string, secret: string): void {
  out(`${id}\n密鑰 secret (只顯示這一次 shown only once): ${secret}\n`);
}

const PATHS: Record<EntryKind, string> = { sensor: '/sensors', gateway: '/gateways', integration: '/integrations' };

/** Add through the server or offline; returns the secret (undefined for a sensor behind a gateway). */
async function add(kind: EntryKind, entry: Record<string, unknown>, ownSecret: boolean): Promise<string | undefined> {
  const { file, server } = await context();
  if (server) return ((await callServer<{ secret: string | null }>(server, 'POST', PATHS[kind], entry)).secret ?? undefined);
  const secret = ownSecret ? newSecret() : undefined;
  await editOffline(file, [{ kind, op: 'add', entry: { ...entry, ...(secret ? { secretHash: await hashSecret(secret) } : {}) } }]);
  return secret;
}

async function patch(kind: EntryKind, id: string, body: Record<string, unknown>): Promise<void> {
  const { file, server } = await context();
  if (server) await callServer(server, 'PATCH', `${PATHS[kind]}/${encodeURIComponent(id)}`, body);
  else await editOffline(file, [{ kind, op: 'patch', id, patch: body }]);
}

async function remove(kind: EntryKind, id: string): Promise<void> {
  const { config, file, server } = await context();
  if (server) await callServer(server, 'DELETE', `${PATHS[kind]}/${encodeURIComponent(id)}`);
  else {
    await editOffline(file, [{ kind, op: 'delete', id }]);
    await updateKeystore(config.dataDir, kind, id, undefined);
  }
}

async function rotate(kind: EntryKind, id: string): Promise<string> {
  const { config, file, server } = await context();
  if (server) return (await callServer<{ secret: string }>(server, 'POST', `${PATHS[kind]}/${encodeURIComponent(id)}/rotate-secret`)).secret;
  const secret = newSecret();
  await editOffline(file, [{ kind, op: 'patch', id, patch: { secretHash: await hashSecret(secret) } }]);
  await updateKeystore(config.dataDir, kind, id, secret);
  return secret;
}

function addCommonCommands(cmd: Command, kind: EntryKind): void {
  cmd
    .command('rotate-secret <id>')
    .description('更換密鑰：舊密鑰立即失效，連線中的工作階段立即中斷 replace the secret: the old one stops at once and live sessions are closed')
    .action(async (id: string) => printSecret(id, await rotate(kind, id)));
  cmd
    .command('disable <id>')
    .description('停用（拒絕連線，保留登錄）disable: refuse its connections, keep it registered')
    .action(async (id: string) => {
      await patch(kind, id, { disabled: true });
      out(`${id} disabled\n`);
    });
  cmd
    .command('enable <id>')
    .description('重新啟用 enable again')
    .action(async (id: string) => {
      await patch(kind, id, { disabled: false });
      out(`${id} enabled\n`);
    });
  cmd
    .command('delete <id>')
    .description('刪除 delete (its live sessions are closed)')
    .action(async (id: string) => {
      await remove(kind, id);
      out(`${id} deleted\n`);
    });
}

/** `civicstream sensors …`, `gateways …`, `integrations …`, `registry convert`, `status`. */
export function registerSensorCommands(program: Command): void {
  program
    .command('registry')
    .description('登錄檔格式 registry file formats')
    .command('convert <from> <to>')
    .description('YAML ⇄ NDJSON（大型感測網用的逐行格式，RG8）/ convert a registry between YAML and NDJSON (the line format for large fleets, RG8); both validated')
    .action(async (from: string, to: string) => {
      const registry = await Registry.load(from);
      await Registry.save(to, await registry.document());
      out(`${registry.size} sensors → ${to}\n`);
    });
  const sensors = program.command('sensors').description('管理感測器登錄 manage the sensor registry (through the running server when there is one)');
  sensors
    .command('list')
    .description('列出感測器 list sensors (never shows secrets)')
    .option('--kind <kind>', 'filter by kind')
    .option('--district <code>', 'filter by district code')
    .option('--json', 'print JSON')
    .action(async (o: { kind?: string; district?: string; json?: boolean }) => {
      const { file } = await context();
      // Reading the file is safe while the server runs: it replaces it atomically (temp file + rename).
      const registry = await Registry.load(file);
      const rows = [...registry.sensors()].filter((s) => (!o.kind || s.kind === o.kind) && (!o.district || s.district.code === o.district));
      if (o.json) {
        out(JSON.stringify(rows.map(({ secretHash: _s, ...rest }) => ({ ...rest, ...(registry.isSensorDisabled(rest.id) ? { disabled: true } : {}) })), null, 2) + '\n');
        return;
      }
      for (const s of rows) out(`${s.id}\t${s.kind}\t${s.district.name['zh-TW']}\t${s.name['zh-TW']} / ${s.name.en}${s.gateway ? `\tvia ${s.gateway}` : ''}${registry.isSensorDisabled(s.id) ? '\tdisabled' : ''}\n`);
      out(`${rows.length} sensors\n`);
    });
  sensors
    .command('add')
    .description('新增感測器並顯示其密鑰一次（立即生效）add a sensor and print its secret once (live at once)')
    .requiredOption('--id <id>', 'sensor id ([A-Za-z0-9._-], ≤ 64)')
    .requiredOption('--kind <kind>', `one of ${Object.keys(KINDS).join(', ')}`)
    .requiredOption('--name-zh <name>', '中文名稱')
    .requiredOption('--name-en <name>', 'English name')
    .requiredOption('--district <code>', 'district code from the registry')
    .requiredOption('--lat <deg>', 'WGS84 latitude', Number)
    .requiredOption('--lon <deg>', 'WGS84 longitude', Number)
    .requiredOption('--params <json>', 'kind parameters as JSON, e.g. \'{"capacity":120}\'')
    .option('--interval <seconds>', 'expected reporting interval', Number)
    .option('--gateway <id>', 'publish through this gateway (no own secret)')
    .option('--tags <list>', 'comma-separated tags')
    .action(async (o: { id: string; kind: string; nameZh: string; nameEn: string; district: string; lat: number; lon: number; params: string; interval?: number; gateway?: string; tags?: string }) => {
      if (!isSensorKind(o.kind)) throw new Error(`--kind must be one of ${Object.keys(KINDS).join(', ')}`);
      const entry = {
        id: o.id,
        kind: o.kind,
        name: { 'zh-TW': o.nameZh, en: o.nameEn },
        district: o.district,
        location: { lat: o.lat, lon: o.lon },
        params: JSON.parse(o.params) as Record<string, unknown>,
        ...(o.interval ? { intervalSeconds: o.interval } : {}),
        ...(o.tags ? { tags: o.tags.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
        ...(o.gateway ? { gateway: o.gateway } : {}),
      };
      const secret = await add('sensor', entry, !o.gateway);
      if (secret) printSecret(o.id, secret);
      else out(`${o.id} added; it publishes through gateway ${o.gateway}\n`);
    });
  sensors
    .command('assign <id>')
    .description('指定或取消閘道 assign a sensor to a gateway (--gateway ID) or unassign it (--none)')
    .option('--gateway <id>')
    .option('--none', 'publish with its own secret again')
    .action(async (id: string, o: { gateway?: string; none?: boolean }) => {
      if (!o.gateway && !o.none) throw new Error('give --gateway <id> or --none');
      await patch('sensor', id, { gateway: o.none ? null : o.gateway });
      out(`${id} ${o.none ? 'unassigned' : `assigned to ${o.gateway}`}\n`);
    });
  sensors
    .command('import <file>')
    .description('批次匯入（CSV 或 JSON，全部成功才套用）bulk import from CSV or JSON: all rows or none')
    .option('--dry-run', 'validate only')
    .action(async (f: string, o: { dryRun?: boolean }) => {
      const { server } = await context();
      if (!server) throw new Error('import needs the running server (npm start): it validates and applies in one step 批次匯入需要執行中的伺服器');
      const text = await readFile(f, 'utf8');
      const type = f.endsWith('.json') ? 'application/json' : 'text/csv';
      const report = await callServer<{ applied: boolean; total: number; rows: { row: number; id: string; ok: boolean; errors: { field: string; message: string }[]; secret?: string }[] }>(server, 'POST', `/import?dryRun=${o.dryRun ? 'true' : 'false'}`, text, type);
      for (const r of report.rows) {
        if (!r.ok) out(`row ${r.row} (${r.id || '?'}): ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}\n`);
        else if (r.secret) out(`${r.id}\t${r.secret}\n`);
      }
      out(`${report.applied ? 'applied 已套用' : 'not applied 未套用'}: ${report.rows.filter((r) => r.ok).length}/${report.total} rows valid\n`);
      if (!report.applied && !o.dryRun) process.exitCode = 1;
    });
  addCommonCommands(sensors, 'sensor');

  const gateways = program.command('gateways').description('管理閘道 manage gateway principals (LoRaWAN network servers, vendor bridges)');
  gateways
    .command('add')
    .requiredOption('--id <id>', 'gateway id')
    .requiredOption('--name-zh <name>', '中文名稱')
    .requiredOption('--name-en <name>', 'English name')
    .action(async (o: { id: string; nameZh: string; nameEn: string }) => {
      const secret = await add('gateway', { id: o.id, name: { 'zh-TW': o.nameZh, en: o.nameEn } }, true);
      printSecret(o.id, secret as string);
    });
  addCommonCommands(gateways, 'gateway');

  const integrations = program.command('integrations').description('管理整合帳號 manage integration principals (Node-RED, Telegraf, bridges): subscribe-only unless granted');
  integrations
    .command('add')
    .requiredOption('--id <id>', 'integration id (its MQTT username)')
    .option('--name <name>', 'description')
    .requiredOption('--read <filters>', 'comma-separated topic filters it may subscribe to, e.g. sensors/+/+/telemetry,alerts/#')
    .option('--publish <filters>', 'comma-separated patterns under integrations/<id>/ it may publish to')
    .action(async (o: { id: string; name?: string; read: string; publish?: string }) => {
      const list = (s: string) => s.split(',').map((t) => t.trim()).filter(Boolean);
      const secret = await add('integration', { id: o.id, ...(o.name ? { name: o.name } : {}), read: list(o.read), ...(o.publish ? { publish: list(o.publish) } : {}) }, true);
      printSecret(o.id, secret as string);
    });
  addCommonCommands(integrations, 'integration');

  program
    .command('status')
    .description('伺服器所見狀態：連線、帳號、延遲 what the running server sees: connections, principals, lag')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { config, file, server } = await context();
      if (!server) {
        const registry = await Registry.load(file);
        out(`伺服器未執行 no server is running on ${config.dataDir}\nregistry ${file}: ${registry.size} sensors, ${[...registry.gatewayEntries()].length} gateways, ${[...registry.integrations()].length} integrations\n`);
        process.exitCode = 3;
        return;
      }
      const s = await callServer<{ pid: number; startedAt: string; uptimeSeconds: number; status: string; connections: Record<string, number>; principals: Record<string, number>; journal: { lag: number; lastSeq: number }; writer: { pending: number }; registry: { commits: number; lastCommit?: string } }>(server, 'GET', '/status');
      if (o.json) return out(JSON.stringify(s, null, 2) + '\n');
      out(
        [
          `civicstream ${s.status}  pid ${s.pid}  ${server.url}  since ${s.startedAt} (${s.uptimeSeconds} s)`,
          `連線 connections: ${Object.entries(s.connections).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `帳號 principals: ${Object.entries(s.principals).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `延遲 lag: journal ${s.journal.lag} record(s) not yet stored (last seq ${s.journal.lastSeq}); store writer pending ${s.writer.pending}`,
          `登錄 registry: ${s.registry.commits} change(s) since start${s.registry.lastCommit ? `, last ${s.registry.lastCommit}` : ''}`,
        ].join('\n') + '\n',
      );
    });
}
