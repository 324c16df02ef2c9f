import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import YAML from 'yaml';
import { Registry, RegistryError, RegistryWriter, type RegistryDocT, type SensorDocT } from '../../registry/index.ts';
import { eachLine, fileBlocks, renderLines } from '../../registry/lines.ts';

const run = promisify(execFile);
const DISTRICTS = [
  { code: '68000010', name: { 'zh-TW': '桃園區', en: 'Taoyuan' } },
  { code: '68000020', name: { 'zh-TW': '中壢區', en: 'Zhongli' } },
];

const paramsArb = fc.oneof(
  fc.record({ kind: fc.constant('parking' as const), params: fc.record({ capacity: fc.integer({ min: 1, max: 5000 }) }) }),
  fc.record({ kind: fc.constant('air-quality' as const), params: fc.constant({ pollutants: ['pm25', 'pm10'] }) }),
  fc.record({ kind: fc.constant('water-level' as const), params: fc.record({ station: fc.constant('road-flood'), floodThresholdCm: fc.integer({ min: 1, max: 50 }) }) }),
  fc.record({ kind: fc.constant('streetlight' as const), params: fc.constant({ schedule: { on: '18:00', off: '06:00' }, ratedPowerW: 120 }) }),
);

/** Random valid documents: names with quotes, newlines and CJK, optional gateway, tags, secrets and disabled marks. */
const docArb: fc.Arbitrary<RegistryDocT> = fc
  .array(
    fc.record({
      p: paramsArb,
      zh: fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('感', '測', '"', '\n', 'a', ' ', '\\', '🌧') }).filter((s) => s.trim() !== ''),
      d: fc.nat(1),
      gw: fc.boolean(),
      tags: fc.array(fc.constantFrom('industrial', 'pilot', '河川'), { maxLength: 2 }),
      disabled: fc.boolean(),
      lat: fc.double({ min: 21, max: 26, noNaN: true }),
    }),
    { maxLength: 30 },
  )
  .map((rows) => ({
    districts: DISTRICTS,
    gateways: [{ id: 'gw-1', name: { 'zh-TW': '閘道', en: 'Gateway' }, secretHash: 'scrypt$gw$hash' }],
    sensors: rows.map((r, i): SensorDocT => ({
      id: `s-${i}`,
      kind: r.p.kind,
      name: { 'zh-TW': r.zh, en: `Sensor ${i}` },
      district: DISTRICTS[r.d]!.code,
      location: { lat: r.lat, lon: 121.2 },
      params: r.p.params as Record<string, unknown>,
      ...(r.tags.length ? { tags: r.tags } : {}),
      ...(r.gw ? { gateway: 'gw-1' } : { secretHash: `scrypt$s${i}$hash` }),
      ...(r.disabled ? { disabled: true } : {}),
    })),
  }));

function temp(): { dir: string; done(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'civic-lines-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const entries = (r: Registry) => [...r.sensors()].map((s) => r.sensorEntry(s.id));

describe('NDJSON registry for large fleets (RG8)', () => {
  it('loads to the same registry as the YAML of the same document, from text and streamed from a file', async () => {
    await fc.assert(
      fc.asyncProperty(docArb, async (doc) => {
        const t = temp();
        try {
          const yaml = Registry.parse(YAML.stringify(doc), 'r.yaml');
          const file = path.join(t.dir, 'r.ndjson');
          writeFileSync(file, renderLines(doc));
          for (const lines of [Registry.parse(renderLines(doc), 'r.ndjson'), await Registry.load(file)]) {
            assert.deepEqual(entries(lines), entries(yaml));
            assert.deepEqual([...lines.gatewayEntries()], [...yaml.gatewayEntries()]);
            assert.deepEqual([...lines.districts()], [...yaml.districts()]);
            for (const s of doc.sensors) assert.equal(lines.isSensorDisabled(s.id), s.disabled === true);
          }
        } finally {
          t.done();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('streams a file many times larger than its 32 KiB read chunks: lines (and characters) split across chunks are whole', async () => {
    const t = temp();
    try {
      const sensors: SensorDocT[] = Array.from({ length: 12_000 }, (_, i) => ({ id: `big-${i}`, kind: 'parking', name: { 'zh-TW': `停車場 ${'長'.repeat(i % 97)}`, en: `Car park ${i}` }, district: '68000010', location: { lat: 24.9, lon: 121.2 }, params: { capacity: i + 1 } }));
      const file = path.join(t.dir, 'big.jsonl');
      writeFileSync(file, renderLines({ districts: DISTRICTS, sensors }).replaceAll('\n', '\r\n'));
      assert.ok(readFileSync(file).length > 2 * (1 << 20));
      const r = await Registry.load(file);
      assert.equal(r.size, 12_000);
      for (const i of [0, 1234, 11_999]) assert.equal(r.sensor(`big-${i}`)?.params.capacity, i + 1);
    } finally {
      t.done();
    }
  });

  it('reports every bad line by number, and a missing or wrong header', () => {
    const good = renderLines({ districts: DISTRICTS, sensors: [] }).trim();
    const lines = [
      good,
      '{"id":"a","kind":"parking","name":{"zh-TW":"a","en":"a"},"district":"68000010","location":{"lat":1,"lon":1},"params":{"capacity":3}}',
      '{"id":"a","kind":"parking","name":{"zh-TW":"a","en":"a"},"district":"68000010","location":{"lat":1,"lon":1},"params":{"capacity":3}}',
      '{not json',
      '',
      '{"id":"b","kind":"toaster","name":{"zh-TW":"b","en":"b"},"district":"68000010","location":{"lat":1,"lon":1},"params":{}}',
      '{"id":"c","kind":"parking","name":{"zh-TW":"c","en":"c"},"district":"nowhere","location":{"lat":1,"lon":1},"params":{"capacity":3}}',
    ];
    assert.throws(
      () => Registry.parse(lines.join('\n'), 'r.ndjson'),
      (err: RegistryError) => {
        const text = err.problems.join('\n');
        assert.match(text, /line 3 \(a\) duplicate sensor id/);
        assert.match(text, /line 4: JSON/);
        assert.match(text, /line 6 \(b\)\/kind unknown kind "toaster"/); // named by the kind registry (KD2), not a schema enum
        assert.match(text, /line 7 \(c\)\/district unknown district code "nowhere"/);
        return true;
      },
    );
    assert.throws(() => Registry.parse(lines.slice(1).join('\n'), 'r.ndjson'), /line 1: header/);
    assert.throws(() => Registry.parse('', 'r.ndjson'), /header line is missing/);
  });

  it('the writer edits an NDJSON registry line by line: untouched lines stay byte for byte, the file reloads to the live state', async () => {
    const t = temp();
    try {
      const doc: RegistryDocT = { districts: DISTRICTS, gateways: [{ id: 'gw-1', name: { 'zh-TW': '閘道', en: 'Gateway' } }], sensors: Array.from({ length: 50 }, (_, i) => ({ id: `p-${i}`, kind: 'parking', name: { 'zh-TW': '停', en: 'P' }, district: '68000010', location: { lat: 24.9, lon: 121.2 }, params: { capacity: i + 1 }, gateway: 'gw-1' })) };
      const file = path.join(t.dir, 'registry.ndjson');
      writeFileSync(file, renderLines(doc));
      const before = readFileSync(file, 'utf8').split('\n');
      const registry = await Registry.load(file);
      const writer = new RegistryWriter(registry);
      await writer.submit([{ kind: 'sensor', op: 'patch', id: 'p-3', patch: { params: { capacity: 999 }, disabled: true } }]);
      await writer.submit([{ kind: 'sensor', op: 'delete', id: 'p-7' }, { kind: 'sensor', op: 'add', entry: { id: 'p-new', kind: 'parking', name: { 'zh-TW': '新', en: 'New' }, district: '68000020', location: { lat: 24.95, lon: 121.22 }, params: { capacity: 5 } } }]);
      await writer.submit([{ kind: 'gateway', op: 'add', entry: { id: 'gw-2', name: { 'zh-TW': '閘道二', en: 'Gateway 2' } } }]);
      await writer.close();
      const after = readFileSync(file, 'utf8').split('\n');
      const disk = await Registry.load(file);
      assert.deepEqual(entries(disk), entries(registry));
      assert.equal(disk.sensor('p-3')?.params.capacity, 999);
      assert.equal(disk.isSensorDisabled('p-3'), true);
      assert.equal(disk.sensor('p-7'), undefined);
      assert.equal(disk.sensor('p-new')?.district.code, '68000020');
      assert.ok(disk.gatewayEntry('gw-2'));
      for (const i of [0, 10, 49]) assert.ok(after.includes(before[i + 1]!), `line of p-${i} kept as written`);
      assert.doesNotMatch(after.join('\n'), /nearlyFullRatio/, 'in-memory defaults are not written');
    } finally {
      t.done();
    }
  });

  it('civicstream registry convert turns YAML into NDJSON and back, validated', async () => {
    const t = temp();
    try {
      const doc: RegistryDocT = { districts: DISTRICTS, sensors: [{ id: 'x-1', kind: 'parking', name: { 'zh-TW': '停', en: 'P' }, district: '68000010', location: { lat: 24.9, lon: 121.2 }, params: { capacity: 4 }, secretHash: 'scrypt$x$y' }] };
      const yaml = path.join(t.dir, 'a.yaml');
      writeFileSync(yaml, YAML.stringify(doc));
      const cli = path.resolve('cli/main.ts');
      await run(process.execPath, ['--import', 'tsx', cli, 'registry', 'convert', yaml, path.join(t.dir, 'b.ndjson')]);
      await run(process.execPath, ['--import', 'tsx', cli, 'registry', 'convert', path.join(t.dir, 'b.ndjson'), path.join(t.dir, 'c.yaml')]);
      const [a, b, c] = await Promise.all(['a.yaml', 'b.ndjson', 'c.yaml'].map((f) => Registry.load(path.join(t.dir, f))));
      assert.deepEqual(entries(b!), entries(a!));
      assert.deepEqual(entries(c!), entries(a!));
      writeFileSync(path.join(t.dir, 'bad.yaml'), YAML.stringify({ ...doc, sensors: [{ ...doc.sensors[0], district: 'nowhere' }] }));
      await assert.rejects(run(process.execPath, ['--import', 'tsx', cli, 'registry', 'convert', path.join(t.dir, 'bad.yaml'), path.join(t.dir, 'd.ndjson')]), /unknown district code/);
    } finally {
      t.done();
    }
  });
});

describe('NDJSON line reading (RG8: fileBlocks, eachLine)', () => {
  /** The non-empty lines of a text with their 1-based numbers, the plain way. */
  const reference = (text: string) =>
    text
      .split('\n')
      .map((l, i) => [i + 1, l.endsWith('\r') ? l.slice(0, -1) : l] as const)
      .filter(([, l]) => l.trim() !== '');
  const piece = fc.oneof(
    fc.string({ maxLength: 6, unit: fc.constantFrom('a', '{', '}', ' ', '\t', '\u00a0', '\ufeff', '\u3000', '感', '測', '🌧', 'é', '\r', '\n', '\r\n') }),
    fc.constantFrom('\n', '\n\n', '\r\n', '   \n', '\u3000\n'),
  );
  const textArb = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

  it('walks the same numbered non-empty lines as a plain split, from text', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const got: (readonly [number, string])[] = [];
        const last = eachLine(text, 0, (no, line) => void got.push([no, line]));
        assert.deepEqual(got, reference(text));
        assert.equal(last, text.split('\n').length);
      }),
      { numRuns: 500 },
    );
  });

  it('streams a file to the same lines whatever the read and block sizes: a line or a character cut by a boundary stays whole', async () => {
    const t = temp();
    try {
      await fc.assert(
        fc.asyncProperty(textArb, fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 9 }), async (text, read, block) => {
          const file = path.join(t.dir, 'f.ndjson');
          writeFileSync(file, text);
          const got: (readonly [number, string])[] = [];
          let no = 0;
          for await (const b of fileBlocks(file, { read, block })) no = eachLine(b, no, (n, line) => void got.push([n, line]));
          assert.deepEqual(got, reference(text));
        }),
        { numRuns: 300 },
      );
    } finally {
      t.done();
    }
  });
});

describe('NDJSON registry writes (RG8: file-worker, lines kept as read)', () => {
  it('generated edits: untouched lines stay byte for byte and in order, lines cut by the 1 MiB reads stay whole, CRLF and blank lines become plain lines, a line not starting with its id is found too, the file reloads to the live state', async () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('patch' as const), at: fc.nat(), capacity: fc.integer({ min: 1, max: 999 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('add' as const), pad: fc.constantFrom(0, 5, 120_000) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(0, 3, 120_000), { minLength: 1, maxLength: 25 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        async (pads, eol, blanks, rounds) => {
          const t = temp();
          try {
            const mk = (id: string, pad: number): SensorDocT => ({ id, kind: 'parking', name: { 'zh-TW': `停${'車'.repeat(pad)}`, en: 'P' }, district: '68000010', location: { lat: 24.9, lon: 121.2 }, params: { capacity: 1 } });
            const doc: RegistryDocT = { districts: DISTRICTS, sensors: pads.map((p, i) => mk(`w-${i}`, p)) };
            const [header, ...rendered] = renderLines(doc).trimEnd().split('\n');
            // every third line not starting with its id (the worker then parses it for the id)
            const sensorLines = rendered.map((l, i) => (i % 3 === 2 ? JSON.stringify((({ id, ...rest }) => ({ ...rest, id }))(JSON.parse(l) as SensorDocT)) : l));
            const file = path.join(t.dir, 'registry.ndjson');
            writeFileSync(file, [header, ...sensorLines.flatMap((l, i) => (blanks && i % 3 === 1 ? ['', '  ', l] : [l]))].join(eol) + (blanks ? '' : eol));
            const original = new Map(sensorLines.map((l) => [(JSON.parse(l) as SensorDocT).id, l]));
            const registry = await Registry.load(file);
            const writer = new RegistryWriter(registry);
            const touched = new Set<string>();
            let added = 0;
            for (const round of rounds) {
              for (const e of round) {
                const ids = [...registry.sensors()].map((s) => s.id);
                if (e.op === 'add') {
                  const id = `n-${added++}`;
                  touched.add(id);
                  await writer.submit([{ kind: 'sensor', op: 'add', entry: mk(id, e.pad) }]);
                } else if (ids.length) {
                  const id = ids[e.at % ids.length]!;
                  touched.add(id);
                  await writer.submit([e.op === 'delete' ? { kind: 'sensor', op: 'delete', id } : { kind: 'sensor', op: 'patch', id, patch: { params: { capacity: e.capacity } } }]);
                }
              }
            }
            await writer.close();
            const text = readFileSync(file, 'utf8');
            assert.ok(text.endsWith('\n') && !text.includes('\r') && !text.includes('\n\n'), 'plain lines, one newline each');
            const lines = text.slice(0, -1).split('\n');
            assert.equal(lines[0], header);
            const live = [...registry.sensors()].map((s) => s.id);
            assert.deepEqual(lines.slice(1).map((l) => (JSON.parse(l) as SensorDocT).id), live, 'one line per live sensor, in order');
            lines.slice(1).forEach((l, i) => {
              if (!touched.has(live[i]!)) assert.equal(l, original.get(live[i]!), `untouched line of ${live[i]} as written`);
            });
            assert.deepEqual(entries(await Registry.load(file)), entries(registry));
          } finally {
            t.done();
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
