import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DASHBOARDS, OUTPUT_DIR, renderDashboards, writeDashboards } from '../../dashboards/generate.ts';

// STYLE.md habit 12: generated files have a drift check. Grafana reads the committed JSON,
// so a change to dashboards/src/*.ts without regenerating would ship stale dashboards.
const HINT = 'committed dashboard JSON is out of date: run `npm run dashboards` (tsx dashboards/generate.ts) and commit dashboards/provisioning/dashboards/';

test('committed provisioning JSON equals what dashboards/src renders', () => {
  const rendered = renderDashboards();
  for (const [file, text] of Object.entries(rendered)) {
    const path = join(OUTPUT_DIR, file);
    assert.ok(existsSync(path), `${file} missing — ${HINT}`);
    assert.ok(readFileSync(path, 'utf8') === text, `${file} differs — ${HINT}`);
  }
});

test('no stale dashboard JSON is left in the provisioning folder', () => {
  const expected = Object.keys(renderDashboards()).sort();
  const onDisk = readdirSync(OUTPUT_DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(onDisk, expected, HINT);
});

test('rendering is deterministic, sorted and ends with a newline', () => {
  const a = renderDashboards();
  const b = renderDashboards();
  assert.deepEqual(a, b);
  for (const [file, text] of Object.entries(a)) {
    assert.ok(text.endsWith('}\n'), `${file} must end with a newline`);
    const keys = Object.keys(JSON.parse(text) as object);
    assert.deepEqual(keys, [...keys].sort(), `${file}: top-level keys must be sorted`);
  }
});

test('each file is named after its dashboard uid, uids unique, titles zh-TW then English', () => {
  const uids = new Set<string>();
  for (const { file, build } of DASHBOARDS) {
    const d = build();
    assert.equal(`${d.uid}.json`, file);
    assert.ok(!uids.has(d.uid as string), `duplicate uid ${d.uid}`);
    uids.add(d.uid as string);
    assert.match(d.title ?? '', /^[^\x00-\x7F].*[A-Za-z]/, `${d.title}: zh-TW first, English second`);
    assert.equal(d.timezone, 'Asia/Taipei');
  }
});

test('writeDashboards writes every file and removes stale ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civic-dash-'));
  try {
    writeFileSync(join(dir, 'civic-removed.json'), '{}\n');
    writeFileSync(join(dir, 'provider.yaml'), 'apiVersion: 1\n');
    const written = writeDashboards(dir);
    assert.deepEqual(readdirSync(dir).sort(), [...written, 'provider.yaml'].sort());
    const rendered = renderDashboards();
    for (const f of written) assert.equal(readFileSync(join(dir, f), 'utf8'), rendered[f]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
