import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EditError, Registry, RegistryWriter, type RegistryChange, type RegistryEdit } from '../../registry/index.ts';

const BASE = `# top comment: must survive every edit
districts:
  - { code: "68000010", name: { zh-TW: 桃園區, en: Taoyuan } }
gateways:
  # the gateway
  - { id: gw-1, name: { zh-TW: 閘道, en: Gateway } }
sensors:
  # first sensor
  - id: s-0
    kind: parking
    name: { zh-TW: 停車場, en: Car park }
    district: "68000010"
    location: { lat: 24.9, lon: 121.2 }
    params: { capacity: 10 }   # trailing comment
    gateway: gw-1
`;

const sensor = (id: string, capacity: number) => ({ id, kind: 'parking', name: { 'zh-TW': '停', en: 'P' }, district: '68000010', location: { lat: 24.9, lon: 121.2 }, params: { capacity }, gateway: 'gw-1' });

function tempRegistry(text = BASE): { file: string; done(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'civic-writer-'));
  const file = path.join(dir, 'registry.yaml');
  writeFileSync(file, text);
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

type Op = { t: 'add'; id: number; cap: number } | { t: 'patch'; id: number; cap: number } | { t: 'delete'; id: number } | { t: 'badAdd'; id: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('add' as const), id: fc.integer({ min: 1, max: 8 }), cap: fc.integer({ min: 1, max: 500 }) }),
  fc.record({ t: fc.constant('patch' as const), id: fc.integer({ min: 0, max: 8 }), cap: fc.integer({ min: 1, max: 500 }) }),
  fc.record({ t: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ t: fc.constant('badAdd' as const), id: fc.integer({ min: 9, max: 12 }) }),
);

describe('RegistryWriter (RG1, RG3, RG6)', () => {
  it('RG1/RG6: generated concurrent edit sequences: memory, file and a model agree; nothing lost; comments survive; defaults stay out of the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (rounds) => {
        const t = tempRegistry();
        try {
          const registry = await Registry.load(t.file);
          const writer = new RegistryWriter(registry);
          const model = new Map<string, number>([['s-0', 10]]);
          const changes: RegistryChange[] = [];
          registry.onChange((c) => changes.push(...c));
          for (const round of rounds) {
            // Every op of a round is submitted at once (coalesced into one write); the model applies
            // them in submission order, as the writer promises.
            const expected: boolean[] = [];
            const submits: Promise<void>[] = [];
            for (const op of round) {
              const id = `s-${op.id}`;
              let edit: RegistryEdit;
              if (op.t === 'add') edit = { kind: 'sensor', op: 'add', entry: sensor(id, op.cap) };
              else if (op.t === 'patch') edit = { kind: 'sensor', op: 'patch', id, patch: { params: { capacity: op.cap } } };
              else if (op.t === 'delete') edit = { kind: 'sensor', op: 'delete', id };
              else edit = { kind: 'sensor', op: 'add', entry: { ...sensor(id, 1), district: 'nowhere' } };
              const ok = op.t === 'add' ? !model.has(id) : op.t === 'badAdd' ? false : model.has(id);
              expected.push(ok);
              if (ok && op.t === 'add') model.set(id, op.cap);
              if (ok && op.t === 'patch') model.set(id, op.cap);
              if (ok && op.t === 'delete') model.delete(id);
              submits.push(writer.submit([edit]));
            }
            const results = await Promise.allSettled(submits);
            results.forEach((r, i) => {
              assert.equal(r.status === 'fulfilled', expected[i], `op ${JSON.stringify(round[i])}: ${r.status === 'rejected' ? String(r.reason) : 'ok'}`);
              if (r.status === 'rejected') assert.ok(r.reason instanceof EditError);
            });
          }
          const text = readFileSync(t.file, 'utf8');
          const disk = Registry.parse(text, t.file);
          for (const reg of [registry, disk]) {
            assert.deepEqual(new Map([...reg.sensors()].map((s) => [s.id, s.params.capacity as number])), model);
          }
          assert.match(text, /# top comment: must survive every edit/);
          assert.match(text, /# the gateway/);
          if (model.has('s-0')) assert.match(text, /# first sensor/);
          assert.doesNotMatch(text, /nearlyFullRatio/, 'Ajv defaults are not written into the file');
          assert.ok(registry.sensor([...model.keys()][0] ?? 's-0')?.params.nearlyFullRatio !== undefined || model.size === 0, 'but they are in memory, as at load');
          await writer.close();
        } finally {
          t.done();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('RG1: a group is all-or-nothing; edits are effective (announced) before the promise resolves', async () => {
    const t = tempRegistry();
    try {
      const registry = await Registry.load(t.file);
      const writer = new RegistryWriter(registry);
      const before = readFileSync(t.file, 'utf8');
      await assert.rejects(writer.submit([{ kind: 'sensor', op: 'add', entry: sensor('g-1', 5) }, { kind: 'sensor', op: 'add', entry: { ...sensor('g-2', 5), kind: 'toaster' } }]), (err: EditError) => err.index === 1 && err.errors[0]?.field === 'kind');
      assert.equal(registry.sensor('g-1'), undefined);
      assert.equal(readFileSync(t.file, 'utf8'), before);
      let seenBeforeResolve = false;
      registry.onChange((c) => (seenBeforeResolve = c.some((x) => x.id === 'g-3')));
      await writer.submit([{ kind: 'sensor', op: 'add', entry: sensor('g-3', 5) }]);
      assert.ok(seenBeforeResolve);
      await writer.close();
    } finally {
      t.done();
    }
  });

  it('RG3: a hand edit made while running is taken as the truth at the next change, and its changed credentials are revoked', async () => {
    const t = tempRegistry(BASE.replace('    gateway: gw-1\n', "    secretHash: 'scrypt$old'\n"));
    try {
      const registry = await Registry.load(t.file);
      const writer = new RegistryWriter(registry);
      await writer.submit([{ kind: 'sensor', op: 'add', entry: sensor('h-1', 5) }]);
      const edited = readFileSync(t.file, 'utf8').replace("scrypt$old", 'scrypt$new');
      await new Promise((r) => setTimeout(r, 20));
      writeFileSync(t.file, edited);
      const revoked: string[] = [];
      registry.onChange((c) => revoked.push(...c.filter((x) => x.revoke).map((x) => x.id)));
      await writer.submit([{ kind: 'sensor', op: 'add', entry: sensor('h-2', 5) }]);
      assert.equal(registry.sensor('s-0')?.secretHash, 'scrypt$new');
      assert.ok(revoked.includes('s-0'));
      const disk = await Registry.load(t.file);
      assert.equal(disk.sensor('s-0')?.secretHash, 'scrypt$new');
      assert.ok(disk.sensor('h-1') && disk.sensor('h-2'));
      await writer.close();
    } finally {
      t.done();
    }
  });
});
