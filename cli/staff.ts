import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadConfig } from '../app/config.ts';
import { PasswordFile, MIN_PASSWORD, type ConsoleRole } from '../exporter/index.ts';

/** Reads the password: the first line of stdin when piped, else a prompt that does not echo. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  let muted = false;
  out._writeToOutput = (s: string) => {
    if (!muted || s.includes(prompt)) process.stdout.write(s);
  };
  const answer = await new Promise<string>((resolve) => {
    rl.question(prompt, resolve);
    muted = true;
  });
  rl.close();
  process.stdout.write('\n');
  return answer;
}

/** `civicstream staff password NAME --role R` and `civicstream staff remove NAME`: console sign-in (CO1). */
export function registerStaffCommands(program: Command): void {
  // `staff` already exists (API tokens, alerts/commands.ts): the console's sign-in verbs join it.
  const staff = program.commands.find((c) => c.name() === 'staff') ?? program.command('staff').description('值勤人員 staff');
  staff
    .command('password <name>')
    .description(`設定人員密碼（至少 ${MIN_PASSWORD} 字元，從標準輸入讀取）set a staff password (≥ ${MIN_PASSWORD} characters, read from stdin or a prompt)`)
    .option('--role <role>', 'viewer | operator | admin (default: keep the current role, else viewer)')
    .action(async (name: string, o: { role?: string }) => {
      if (o.role && !['viewer', 'operator', 'admin'].includes(o.role)) throw new Error(`--role must be viewer, operator or admin, not "${o.role}"`);
      const file = PasswordFile.inDataDir(loadConfig().dataDir);
      await file.load();
      const role = (o.role ?? file.get(name)?.role ?? 'viewer') as ConsoleRole;
      const password = await readPassword('密碼 password: ');
      const rec = await file.set(name, role, password);
      process.stdout.write(`${rec.name} (${rec.role}) 密碼已設定 password set — ${file.file}\n`);
    });
  staff
    .command('remove-password <name>')
    .description('移除人員主控台登入 remove a staff console sign-in')
    .action(async (name: string) => {
      const file = PasswordFile.inDataDir(loadConfig().dataDir);
      process.stdout.write((await file.remove(name)) ? `${name} removed\n` : `${name}: no such staff sign-in\n`);
    });
}
