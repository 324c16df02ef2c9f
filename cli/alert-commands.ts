import type { Command } from 'commander';
import { parseTime, toTaipeiIso, type Sensor } from '../domain/index.ts';
import type { Store } from '../storage/index.ts';
import {
  AlertStateStore,
  addStaff,
  backtest,
  backtestSensors,
  formatBacktest,
  loadAqiTable,
  loadRules,
  provenanceLines,
  storedReadings,
  type StaffRole,
} from '../alerts/index.ts';

/**
 * CLI commands of the alert engine, registered by cli/main.ts (through cli/alerts.ts):
 *   civicstream staff add --name <n> --role viewer|operator|admin   (prints the token once)
 *   civicstream staff list | staff revoke --name <n>
 *   civicstream rules check [files…]
 *   civicstream rules backtest --rule <id> --from <iso> --to <iso> [--tick-seconds 60]
 * Dependencies are injected so this file reads no environment (STYLE) and the
 * composition root decides where data and rule files live.
 */
export interface AlertCommandDeps {
  /** Directory holding alert-state.jsonl (e.g. <dataDir>/alerts). */
  stateDir(): string;
  ruleFiles(): string[];
  openStore(): Promise<Store>;
  sensors(): Promise<Sensor[]>;
  /** The configured AQI table file (alerts.aqiTableFile), when the city overrides the shipped one. */
  aqiTableFile?(): string | undefined;
  out?: (s: string) => void;
  /**
   * RG3/TK4: the running server's admin API, when one runs on this data directory. Staff changes
   * then take effect at once and backtests read the server's store (no DuckDB lock fight).
   */
  server?: () => Promise<{ call<T>(method: string, path: string, body?: unknown): Promise<T> } | undefined>;
}

const ROLES: readonly StaffRole[] = ['viewer', 'operator', 'admin'];

type Out = (s: string) => void;

export function registerAlertCommands(program: Command, d: AlertCommandDeps): void {
  const out: Out = d.out ?? ((s: string) => void process.stdout.write(s));
  registerStaffTokenCommands(program, d, out);
  registerRuleCommands(program, d, out);
}

/** `staff add|list|revoke`: through the running server's admin API when there is one (RG3/TK4). */
function registerStaffTokenCommands(program: Command, d: AlertCommandDeps, out: Out): void {
  const staff = program.command('staff').description('管理值勤人員 API 權杖 manage staff API tokens');
  staff
    .command('add')
    .description('新增人員並顯示權杖一次 add a staff member and print the token once')
    .requiredOption('--name <name>', 'person name/login ([A-Za-z0-9._@-])')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .action(async (o: { name: string; role: string }) => {
      if (!ROLES.includes(o.role as StaffRole)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const srv = await d.server?.();
      if (srv) {
        const r = await srv.call<{ token: string }>('POST', '/staff', { name: o.name, role: o.role });
        return out(`${o.name} (${o.role})\n權杖 token (只顯示這一次 shown only once): ${r.token}\n`);
      }
      const store = await AlertStateStore.open(d.stateDir());
      try {
        const { token } = await addStaff(store, o.name, o.role as StaffRole, Date.now());
        await store.addAudit({ at: Date.now(), actor: 'cli', action: 'token.create', detail: { name: o.name, role: o.role } });
        out(`${o.name} (${o.role})\n權杖 token (只顯示這一次 shown only once): ${token}\n`);
      } finally {
        await store.close();
      }
    });
  staff
    .command('list')
    .description('列出人員 list staff (never shows tokens)')
    .action(async () => {
      const srv = await d.server?.();
      if (srv) {
        for (const t of (await srv.call<{ items: { name: string; role: string; createdAt: number }[] }>('GET', '/staff')).items) out(`${t.name}\t${t.role}\t${toTaipeiIso(t.createdAt)}\n`);
        return;
      }
      const store = await AlertStateStore.open(d.stateDir());
      for (const t of store.tokens.values()) out(`${t.name}\t${t.role}\t${toTaipeiIso(t.createdAt)}${t.revoked ? '\trevoked' : ''}\n`);
      await store.close();
    });
  staff
    .command('revoke')
    .description('撤銷人員所有權杖 revoke every token of a person')
    .requiredOption('--name <name>')
    .action(async (o: { name: string }) => {
      const srv = await d.server?.();
      if (srv) {
        await srv.call('DELETE', `/staff/${encodeURIComponent(o.name)}`);
        return out(`${o.name}: tokens revoked, live sessions closed\n`);
      }
      const store = await AlertStateStore.open(d.stateDir());
      let n = 0;
      for (const t of [...store.tokens.values()]) {
        if (t.name !== o.name || t.revoked) continue;
        await store.putToken({ ...t, revoked: true });
        n++;
      }
      await store.addAudit({ at: Date.now(), actor: 'cli', action: 'token.revoke', detail: { name: o.name, tokens: n } });
      await store.close();
      out(`${n} token(s) revoked\n`);
    });
}

/** `rules check` (with the AQI table's provenance, AQ6) and `rules backtest`. */
function registerRuleCommands(program: Command, d: AlertCommandDeps, out: Out): void {
  const rules = program.command('rules').description('警報規則 alert rules');
  rules
    .command('check')
    .description('驗證規則檔 validate rule files')
    .argument('[files...]')
    .action(async (files: string[]) => {
      const set = await loadRules(files.length ? files : d.ruleFiles());
      out(`${set.rules.length} rules OK (${set.files.join(', ')})\n`);
      // AQ6: the AQI table in force and how far each breakpoint row is corroborated.
      const t = loadAqiTable(d.aqiTableFile?.());
      out(`AQI table ${t.id} (verified: ${t.verification.verified}) — ${t.verification.statement}\n`);
      for (const l of provenanceLines(t)) out(`  ${l}\n`);
    });
  rules
    .command('backtest')
    .description('以歷史資料回測規則 replay stored readings through one rule')
    .requiredOption('--rule <id>')
    .requiredOption('--from <iso>', 'ISO 8601 with offset, e.g. 2026-11-01T00:00:00+08:00')
    .requiredOption('--to <iso>')
    .option('--tick-seconds <s>', 'virtual tick for time-based rules', Number, 60)
    .action(async (o: { rule: string; from: string; to: string; tickSeconds: number }) => {
      const from = parseTime(o.from);
      const to = parseTime(o.to);
      if (Number.isNaN(from) || Number.isNaN(to) || from >= to) throw new Error('--from and --to must be ISO 8601 date-times with offset, from < to');
      const srv = await d.server?.();
      if (srv) return out((await srv.call<{ text: string }>('POST', '/backtest', { rule: o.rule, from: o.from, to: o.to, tickSeconds: o.tickSeconds })).text + '\n');
      const set = await loadRules(d.ruleFiles());
      const sensors = backtestSensors(set, o.rule, await d.sensors());
      const store = await d.openStore();
      try {
        const report = await backtest({ rules: set, ruleId: o.rule, sensors, readings: storedReadings(store, sensors, from, to), from, to, tickMs: o.tickSeconds * 1000, aqiTable: loadAqiTable() });
        out(formatBacktest(report, toTaipeiIso) + '\n');
      } finally {
        await store.close();
      }
    });
}
