import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderDashboards } from '../../dashboards/generate.ts';
import { expectedColumns, groupByTags, panelQueries, splitTopLevel, substituteVariables, variablesIn } from './queries.ts';
import { BUILTIN_VARIABLES, DATASOURCE_UID } from '../../dashboards/src/shared.ts';

interface Json {
  uid: string;
  panels: Array<{ title: string; repeat?: string; datasource?: { uid?: string }; targets?: Array<{ query?: string; datasource?: { uid?: string } }> }>;
  templating: { list: Array<{ name: string; query?: string }> };
  annotations: { list: Array<{ name: string }> };
}
const dashboards = Object.values(renderDashboards()).map((t) => JSON.parse(t) as Json);
const queries = panelQueries();

test('every panel has at least one InfluxQL query on the civic-influx datasource', () => {
  let panels = 0;
  for (const d of dashboards) {
    for (const p of d.panels) {
      panels++;
      const targets = (p.targets ?? []).filter((t) => typeof t.query === 'string' && t.query.trim() !== '');
      assert.ok(targets.length > 0, `${d.uid} / ${p.title}: no query`);
      assert.equal(p.datasource?.uid, DATASOURCE_UID, `${d.uid} / ${p.title}: panel datasource`);
      for (const t of targets) assert.equal(t.datasource?.uid, DATASOURCE_UID, `${d.uid} / ${p.title}: target datasource`);
    }
  }
  assert.equal(queries.filter((q) => q.source === 'panel').length >= panels, true);
  assert.ok(panels >= 6 * 3, `expected a real set of panels, got ${panels}`);
});

test('panelQueries covers panels, variables and annotations of all six dashboards', () => {
  assert.deepEqual([...new Set(queries.map((q) => q.dashboard))].sort(), dashboards.map((d) => d.uid).sort());
  for (const d of dashboards) {
    for (const v of d.templating.list) assert.ok(queries.some((q) => q.dashboard === d.uid && q.panel === `variable:${v.name}`), `${d.uid} variable ${v.name}`);
    for (const a of d.annotations.list) assert.ok(queries.some((q) => q.dashboard === d.uid && q.panel === `annotation:${a.name}`), `${d.uid} annotation ${a.name}`);
  }
  const pairs = queries.map((q) => `${q.dashboard}|${q.panel}|${q.refId}`);
  assert.equal(new Set(pairs).size, pairs.length, 'dashboard + panel + refId must identify a query');
});

test('every query looks like InfluxQL: SELECT … FROM or SHOW TAG VALUES, balanced, aliased', () => {
  for (const q of queries) {
    const where = `${q.dashboard} / ${q.panel} / ${q.refId}`;
    assert.match(q.query, /^(SELECT\s.+\sFROM\s|SHOW TAG VALUES FROM\s.+\sWITH KEY = "\w+")/, where);
    let depth = 0;
    for (const c of q.query.replace(/'[^']*'|"[^"]*"|\/\^[^/]*\$\//g, '')) {
      depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      assert.ok(depth >= 0, `${where}: unbalanced parentheses`);
    }
    assert.equal(depth, 0, `${where}: unbalanced parentheses`);
    assert.equal((q.query.match(/"/g) ?? []).length % 2, 0, `${where}: unbalanced double quotes`);
    assert.equal((q.query.match(/'/g) ?? []).length % 2, 0, `${where}: unbalanced single quotes`);
    if (q.query.startsWith('SELECT')) {
      // Explicit aliases make expectColumns exact (InfluxDB would otherwise name columns last, last_1, …).
      const [select] = splitTopLevel(q.query.slice('SELECT '.length), ' FROM ');
      for (const item of splitTopLevel(select as string, ',')) assert.match(item.trim(), /\sAS\s"[^"]+"$/, `${where}: "${item.trim()}" needs AS "alias"`);
      assert.equal(q.expectColumns[0], 'time');
      assert.ok(q.expectColumns.length >= 2, where);
      // Reading queries must be bounded in time, or they scan the whole retention.
      assert.match(q.query, /\$timeFilter|time >|time >=|FROM "sensor_meta"|FROM \(SELECT/, `${where}: no time bound`);
    } else {
      assert.deepEqual(q.expectColumns, ['key', 'value']);
    }
  }
});

test('every variable a query or title uses is defined; template variables only appear as /^$name$/', () => {
  const builtins = new Set<string>(BUILTIN_VARIABLES);
  for (const d of dashboards) {
    const defined = new Set(d.templating.list.map((v) => v.name));
    const texts = [...d.panels.map((p) => p.title), ...d.templating.list.map((v) => v.query ?? '')];
    for (const text of texts) for (const v of variablesIn(text)) assert.ok(defined.has(v) || builtins.has(v), `${d.uid}: $${v} not defined (in "${text}")`);
    for (const p of d.panels) if (p.repeat !== undefined) assert.ok(defined.has(p.repeat), `${d.uid}: repeat on undefined $${p.repeat}`);
  }
  for (const q of queries) {
    const defined = new Set(dashboards.find((d) => d.uid === q.dashboard)?.templating.list.map((v) => v.name));
    for (const v of q.variables) {
      assert.ok(defined.has(v) || builtins.has(v), `${q.dashboard} / ${q.panel}: $${v} not defined`);
      if (!builtins.has(v)) {
        const uses = q.query.split(`$${v}`).length - 1;
        const regexUses = q.query.split(`/^$${v}$/`).length - 1;
        assert.equal(regexUses, uses, `${q.dashboard} / ${q.panel}: $${v} must be used as /^$${v}$/ so Grafana regex-escapes it`);
      }
    }
  }
});

test('substituteVariables leaves no variable behind and escapes values for regex use', () => {
  const s = { from: 1_700_000_000_000, to: 1_700_003_600_000, intervalMs: 60_000, vars: { district: ['68000020', '68000010'], kind: 'air-quality', sensor: 'aq.1', station: '.*', reason: 'SCHEMA' } };
  for (const q of queries) {
    const out = substituteVariables(q.query, s);
    assert.doesNotMatch(out, /\$\w|\$\{/, `${q.dashboard} / ${q.panel}: ${out}`);
  }
  assert.equal(substituteVariables('WHERE $timeFilter AND "sensor_id" =~ /^$sensor$/', s), 'WHERE time >= 1700000000000ms AND time <= 1700003600000ms AND "sensor_id" =~ /^aq\\.1$/');
  assert.equal(substituteVariables('"d" =~ /^$district$/ GROUP BY time($__interval)', s), '"d" =~ /^(68000020|68000010)$/ GROUP BY time(60s)');
  assert.equal(substituteVariables('time > ${__to}ms - 1h, $__interval_ms', s), 'time > 1700003600000ms - 1h, 60000');
});

test('column and tag extraction follow InfluxDB naming', () => {
  assert.deepEqual(expectedColumns('SELECT mean("pm25") AS "pm25", last("x") AS "y" FROM (SELECT a, b FROM m) GROUP BY "k"'), ['time', 'pm25', 'y']);
  assert.deepEqual(expectedColumns('SELECT "status", max("v") FROM m'), ['time', 'status', 'max']);
  assert.deepEqual(expectedColumns('SHOW TAG VALUES FROM /^(a|b)$/ WITH KEY = "district"'), ['key', 'value']);
  assert.deepEqual(groupByTags('SELECT x AS "x" FROM (SELECT y FROM m GROUP BY "inner") GROUP BY time(1h), "key", "kind" fill(none)'), ['key', 'kind']);
  assert.deepEqual(groupByTags('SELECT x AS "x" FROM m WHERE "a" =~ /^( GROUP BY )$/'), []);
});

test('windowed queries say how much history they need', () => {
  const aqi = queries.find((q) => q.dashboard === 'civic-air-quality' && q.query.includes('moving_average'));
  assert.ok(aqi, 'the PM2.5 moving-average query exists');
  assert.equal(aqi.needsHistoryHours, 12);
  assert.deepEqual(aqi.expectTags, ['key']);
  assert.ok(queries.filter((q) => q !== aqi).every((q) => q.needsHistoryHours === 0));
});
