import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Registry, RegistryError, verifySecret } from '../../registry/index.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const cli = (dataDir: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', path.join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, CIVIC_DATA_DIR: dataDir, CIVIC_LOG_LEVEL: 'silent' } });

describe('sensor registry', () => {
  it('reports every problem at once, naming the entry and field', () => {
    const yaml = `districts:
  - { code: "68000020", name: { zh-TW: 中壢區, en: Zhongli } }
sensors:
  - { id: a1, kind: parking, name: { zh-TW: 甲, en: A }, district: "68000099", location: { lat: 24.9, lon: 121.2 }, params: { capacity: 10 } }
  - { id: a1, kind: parking, name: { zh-TW: 乙, en: B }, district: "68000020", location: { lat: 24.9, lon: 121.2 }, params: { capacity: -1 } }
  - { id: w1, kind: water-level, name: { zh-TW: 丙, en: C }, district: "68000020", location: { lat: 24.9, lon: 121.2 }, params: { station: road-flood }, gateway: gw-x }
`;
    assert.throws(() => Registry.parse(yaml, 'r.yaml'), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      const text = err.problems.join('\n');
      assert.match(text, /\/sensors\/0 \(a1\)\/district unknown district code "68000099"/);
      assert.match(text, /\/sensors\/1 \(a1\) duplicate sensor id/);
      assert.match(text, /\/sensors\/1 \(a1\)\/params\/capacity/);
      assert.match(text, /\/sensors\/2 \(w1\)\/gateway unknown gateway "gw-x"/);
      assert.match(text, /\/sensors\/2 \(w1\)\/params/);
      return true;
    });
  });

  it('refuses a district code that is not an identifier (it becomes a storage tag)', () => {
    for (const code of ['68 000020', 'a\\\\b', 'a,b', 'a"b']) {
      const yaml = `districts:\n  - { code: ${JSON.stringify(code)}, name: { zh-TW: 甲, en: A } }\nsensors: []\n`;
      assert.throws(() => Registry.parse(yaml, 'r.yaml'), (err: unknown) => err instanceof RegistryError && err.problems.some((p) => p.includes('/districts/0/code')), code);
    }
  });
});

describe('civicstream sensors add | rotate-secret', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-cli-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the secret once and stores only its scrypt hash; rotation replaces it', { timeout: 120_000 }, async () => {
    const add = await cli(dataDir, 'sensors', 'add', '--id', 'pk-cli-1', '--kind', 'parking', '--name-zh', '測試停車場', '--name-en', 'Test car park', '--district', '68000020', '--lat', '24.95', '--lon', '121.22', '--params', '{"capacity":120}');
    const secret = /secret[^:]*: (\S+)/.exec(add.stdout)?.[1];
    assert.ok(secret, add.stdout);
    const file = path.join(dataDir, 'registry.yaml');
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(secret), 'the plaintext secret is never stored');
    const sensor = (await Registry.load(file)).sensor('pk-cli-1');
    assert.equal(sensor?.name['zh-TW'], '測試停車場');
    assert.ok(sensor?.secretHash && (await verifySecret(secret, sensor.secretHash)));

    const rotated = await cli(dataDir, 'sensors', 'rotate-secret', 'pk-cli-1');
    const next = /secret[^:]*: (\S+)/.exec(rotated.stdout)?.[1] as string;
    const hash = (await Registry.load(file)).sensor('pk-cli-1')?.secretHash as string;
    assert.notEqual(next, secret);
    assert.ok(await verifySecret(next, hash));
    assert.equal(await verifySecret(secret, hash), false, 'the old secret stops working');
  });
});
