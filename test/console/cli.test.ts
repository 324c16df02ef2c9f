import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PasswordFile } from '../../exporter/console/index.ts';

const run = (dataDir: string, args: string[], input: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { input, encoding: 'utf8', env: { ...process.env, CIVIC_DATA_DIR: dataDir, CIVIC_LOG_LEVEL: 'silent' } });

describe('civicstream staff password (CO1)', () => {
  it('sets a password from stdin as an scrypt hash, keeps the role on change, refuses short ones, removes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'civic-cli-staff-'));
    try {
      const set = run(dir, ['staff', 'password', 'mei', '--role', 'admin'], 'first-password-1\n');
      assert.equal(set.status, 0, set.stderr);
      const file = path.join(dir, 'console', 'staff-passwords.json');
      assert.doesNotMatch(readFileSync(file, 'utf8'), /first-password-1/);
      assert.equal((await PasswordFile.inDataDir(dir).verify('mei', 'first-password-1'))?.role, 'admin');
      assert.equal(run(dir, ['staff', 'password', 'mei'], 'second-password-2\n').status, 0);
      const f = PasswordFile.inDataDir(dir);
      assert.equal(await f.verify('mei', 'first-password-1'), undefined);
      assert.equal((await f.verify('mei', 'second-password-2'))?.role, 'admin', 'the role is kept');
      const short = run(dir, ['staff', 'password', 'mei'], 'short\n');
      assert.notEqual(short.status, 0);
      assert.match(short.stderr, /10/);
      assert.equal(run(dir, ['staff', 'remove-password', 'mei'], '').status, 0);
      assert.equal(await PasswordFile.inDataDir(dir).verify('mei', 'second-password-2'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
