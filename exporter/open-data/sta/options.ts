import { FilterSyntaxError } from './filter-lexer.ts';
import { parseExpression, parseFilter, type Expr } from './filter-parser.ts';

/** Parsed system query options of one (possibly nested, in $expand) request, STA 1.1 §9.3. */
export interface QueryOptions {
  top?: number;
  skip: number;
  count: boolean;
  filter?: Expr;
  orderby: { expr: Expr; desc: boolean }[];
  select?: string[];
  expand: { nav: string; options: QueryOptions }[];
  /** `$resultFormat=dataArray` (STA 1.1 §14.3, OD-S5): Observations as arrays per Datastream. */
  dataArray?: boolean;
  /** The options as written, for @iot.nextLink of expanded collections (OD-S2). */
  raw: Record<string, string>;
}

export class QueryOptionError extends Error {}

/** Splits on `sep` outside parentheses and quotes. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === sep) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

function int(name: string, v: string): number {
  if (!/^\d{1,9}$/.test(v.trim())) throw new QueryOptionError(`${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

const KNOWN = new Set(['$top', '$skip', '$count', '$filter', '$orderby', '$select', '$expand', '$resultFormat']);

export function parseOptions(raw: Record<string, string>, depth = 0): QueryOptions {
  if (depth > 5) throw new QueryOptionError('$expand nested deeper than 5 levels');
  const o: QueryOptions = { skip: 0, count: false, orderby: [], expand: [], raw };
  for (const k of Object.keys(raw)) {
    if (k.startsWith('$') && !KNOWN.has(k)) throw new QueryOptionError(`unknown query option ${k}`);
  }
  try {
    if (raw.$top !== undefined) o.top = int('$top', raw.$top);
    if (raw.$skip !== undefined) o.skip = int('$skip', raw.$skip);
    if (raw.$count !== undefined) {
      if (raw.$count !== 'true' && raw.$count !== 'false') throw new QueryOptionError('$count must be true or false');
      o.count = raw.$count === 'true';
    }
    if (raw.$filter !== undefined) o.filter = parseFilter(raw.$filter);
    if (raw.$orderby !== undefined) {
      for (const item of splitTop(raw.$orderby, ',')) {
        const m = /^(.*?)(\s+(asc|desc))?$/i.exec(item)!;
        o.orderby.push({ expr: parseExpression(m[1]!), desc: (m[3] ?? '').toLowerCase() === 'desc' });
      }
    }
    if (raw.$select !== undefined) o.select = splitTop(raw.$select, ',');
    if (raw.$expand !== undefined) o.expand = parseExpand(raw.$expand, depth);
    if (raw.$resultFormat !== undefined) {
      // OD-S5: the one result format STA 1.1 defines besides the default; anything else is refused, not ignored.
      if (raw.$resultFormat !== 'dataArray') throw new QueryOptionError(`$resultFormat must be dataArray, got "${raw.$resultFormat}"`);
      if (depth > 0) throw new QueryOptionError('$resultFormat=dataArray applies to the request, not inside $expand');
      o.dataArray = true;
    }
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new QueryOptionError(`invalid expression: ${err.message}`);
    throw err;
  }
  return o;
}

function parseExpand(s: string, depth: number): QueryOptions['expand'] {
  const out: QueryOptions['expand'] = [];
  for (const item of splitTop(s, ',')) {
    const open = item.indexOf('(');
    const path = (open < 0 ? item : item.slice(0, open)).trim();
    if (open >= 0 && !item.endsWith(')')) throw new QueryOptionError(`unbalanced parentheses in $expand item "${item}"`);
    const inner: Record<string, string> = {};
    if (open >= 0) {
      for (const part of splitTop(item.slice(open + 1, -1), ';')) {
        const eq = part.indexOf('=');
        if (eq < 0) throw new QueryOptionError(`expected $option=value in $expand, got "${part}"`);
        inner[part.slice(0, eq).trim()] = part.slice(eq + 1);
      }
    }
    // `A/B(opts)` is `A($expand=B(opts))` (STA 1.1 §9.3.2.1).
    const segs = path.split('/');
    let options = parseOptions(inner, depth + 1);
    // The written options of B travel in A's raw $expand, so A's nextLinks keep them (OD-S2).
    let written = open >= 0 ? item.slice(open) : '';
    for (let i = segs.length - 1; i > 0; i--) {
      const raw = `${segs[i]!}${written}`;
      options = { skip: 0, count: false, orderby: [], expand: [{ nav: segs[i]!, options }], raw: { $expand: raw } };
      written = `($expand=${raw})`;
    }
    const existing = out.find((e) => e.nav === segs[0]);
    if (existing && segs.length > 1) {
      existing.options.expand.push(...options.expand);
      // `A($top=1),A/B(…)`: A's nextLinks must carry the merged $expand of B too (OD-S2).
      const raw = existing.options.raw;
      existing.options.raw = { ...raw, $expand: raw.$expand ? `${raw.$expand},${options.raw.$expand}` : options.raw.$expand! };
    }
    else out.push({ nav: segs[0]!, options });
  }
  return out;
}
