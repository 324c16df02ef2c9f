import { renderDashboards } from '../../dashboards/generate.ts';
import { BUILTIN_VARIABLES } from '../../dashboards/src/shared.ts';

/**
 * Every InfluxQL query in the generated dashboards (panels, template variables, annotations),
 * read back from the rendered JSON so the list cannot drift from what Grafana runs. The
 * integration suite substitutes the variables with real values and executes each query
 * against influxd (issue 4 item 8); `expectColumns` is what `/query` must answer with.
 */

export interface PanelQuery {
  /** Dashboard uid, e.g. "civic-overview". */
  dashboard: string;
  /** Panel title; "variable:<name>" or "annotation:<name>" for the other sources. */
  panel: string;
  source: 'panel' | 'variable' | 'annotation';
  refId: string;
  query: string;
  /** Columns of `results[0].series[*].columns` in InfluxDB's JSON answer (time first for SELECT). */
  expectColumns: string[];
  /** Tag keys the outer query groups by (in `series[*].tags`). */
  expectTags: string[];
  /** Template and built-in variables the query uses, without `$`. */
  variables: string[];
  /** Hours of history a windowed query needs before it returns rows (moving averages). */
  needsHistoryHours: number;
}

interface Target { refId?: string; query?: string }
interface Panel { title?: string; targets?: Target[] }
interface DashboardJson {
  uid: string;
  panels?: Panel[];
  templating?: { list?: Array<{ name: string; query?: unknown }> };
  annotations?: { list?: Array<{ name: string; target?: Target }> };
}

/** Splits on `sep` outside parentheses, quotes and /regex/ literals. */
export function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '/' && /(=~|!~|\bFROM)\s*$/i.test(text.slice(0, i))) quote = '/';
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Column names InfluxDB returns for a query: `AS "alias"`, a bare field, or the function name. */
export function expectedColumns(query: string): string[] {
  const q = query.trim();
  if (/^SHOW\s+TAG\s+VALUES/i.test(q)) return ['key', 'value'];
  const [selectPart] = splitTopLevel(q.replace(/^SELECT\s+/i, ''), ' FROM ');
  const items = splitTopLevel(selectPart ?? '', ',').map((s) => s.trim());
  const names = items.map((item) => {
    const alias = /\s+AS\s+"([^"]+)"$/i.exec(item);
    if (alias) return alias[1] as string;
    const bare = /^"([^"]+)"$/.exec(item);
    if (bare) return bare[1] as string;
    return (/^(\w+)\s*\(/.exec(item)?.[1] ?? item).toLowerCase();
  });
  return ['time', ...names];
}

/** Tag keys in the outermost GROUP BY (time(...) and fill(...) excluded). */
export function groupByTags(query: string): string[] {
  const parts = splitTopLevel(query, ' GROUP BY ');
  if (parts.length < 2) return [];
  const clause = splitTopLevel(parts[parts.length - 1] as string, ' fill(')[0] as string;
  return splitTopLevel(clause, ',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('"'))
    .map((s) => s.replace(/^"|".*$/g, ''));
}

/** `$name`, `${name}`, `${name:format}` and `[[name]]` references, in order of first use. */
export function variablesIn(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g)) seen.add((m[1] ?? m[2] ?? m[3]) as string);
  return [...seen];
}

function needsHistoryHours(query: string): number {
  const hourly = /GROUP BY time\((\d+)h\)/.exec(query);
  if (!hourly) return 0;
  const windows = [...query.matchAll(/moving_average\(.*?,\s*(\d+)\)/g)].map((m) => Number(m[1]));
  return windows.length === 0 ? 0 : Math.max(...windows) * Number(hourly[1]);
}

function entry(dashboard: string, panel: string, source: PanelQuery['source'], refId: string, query: string): PanelQuery {
  return {
    dashboard,
    panel,
    source,
    refId,
    query,
    expectColumns: expectedColumns(query),
    expectTags: groupByTags(query),
    variables: variablesIn(query),
    needsHistoryHours: needsHistoryHours(query),
  };
}

/** Every query of every generated dashboard, in dashboard then panel order. */
export function panelQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const text of Object.values(renderDashboards())) {
    const d = JSON.parse(text) as DashboardJson;
    for (const v of d.templating?.list ?? []) {
      if (typeof v.query === 'string') out.push(entry(d.uid, `variable:${v.name}`, 'variable', 'A', v.query));
    }
    for (const a of d.annotations?.list ?? []) {
      if (typeof a.target?.query === 'string') out.push(entry(d.uid, `annotation:${a.name}`, 'annotation', a.target.refId ?? 'Anno', a.target.query));
    }
    for (const p of d.panels ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.query === 'string') out.push(entry(d.uid, p.title ?? '', 'panel', t.refId ?? 'A', t.query));
      }
    }
  }
  return out;
}

export interface Substitution {
  /** Range start and end, epoch ms. */
  from: number;
  to: number;
  intervalMs: number;
  /** Template variable values; an array is a multi-select, `.*` is "All". */
  vars: Readonly<Record<string, string | readonly string[]>>;
}

const escapeRegex = (s: string) => s.replace(/[\\/^$.*+?()[\]{}|]/g, '\\$&');

/**
 * Interpolates a query the way Grafana's InfluxDB datasource does for our queries: template
 * variables only occur inside `/^$name$/` (asserted by test/dashboards/queries.test.ts), so
 * values are regex-escaped and a multi-select becomes `(a|b)`; `.*` passes through as "All".
 */
export function substituteVariables(query: string, s: Substitution): string {
  const builtins: Record<(typeof BUILTIN_VARIABLES)[number], string> = {
    timeFilter: `time >= ${s.from}ms AND time <= ${s.to}ms`,
    __interval: `${Math.max(1, Math.round(s.intervalMs / 1000))}s`,
    __interval_ms: String(s.intervalMs),
    __from: String(s.from),
    __to: String(s.to),
  };
  return query.replace(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare) as string;
    if (name in builtins) return builtins[name as keyof typeof builtins];
    const value = s.vars[name];
    if (value === undefined) return whole;
    if (value === '.*') return value;
    const list = typeof value === 'string' ? [value] : value;
    return list.length === 1 ? escapeRegex(list[0] as string) : `(${list.map(escapeRegex).join('|')})`;
  });
}
