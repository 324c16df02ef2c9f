/**
 * Tokens of the OData-style expression language STA 1.1 uses in $filter and $orderby
 * (OGC 18-088 §9.3.3.5, after OData 4.0 ABNF): identifiers and paths (`Datastream/name`,
 * `@iot.id`), numbers, 'strings' with '' escapes, true/false/null, ISO 8601 date-times
 * written unquoted, geography'WKT' literals, parentheses, commas and the lambda ':'. Operators (eq, and, add, …) are identifiers the
 * parser recognises, as in OData.
 */
import type { Geometry } from 'geojson';
import { parseWkt } from './geo.ts';

export type Token =
  | { readonly t: 'num'; readonly v: number; readonly at: number }
  | { readonly t: 'str'; readonly v: string; readonly at: number }
  | { readonly t: 'time'; readonly v: number; readonly text: string; readonly at: number }
  | { readonly t: 'id'; readonly v: string; readonly at: number }
  | { readonly t: 'geo'; readonly v: Geometry; readonly at: number }
  | { readonly t: '(' | ')' | ',' | ':'; readonly at: number }
  | { readonly t: 'end'; readonly at: number };

export class FilterSyntaxError extends Error {
  constructor(message: string, readonly at: number) {
    super(`${message} at position ${at}`);
  }
}

// Date-time before number: "2026-11-22T…" would otherwise lex as 2026 minus 11 …
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_@$][A-Za-z0-9_.@$]*(\/[A-Za-z_@$][A-Za-z0-9_.@$]*)*/;

export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')' || c === ',' || c === ':') { out.push({ t: c, at: i }); i++; continue; }
    // geography'POINT(121.2 24.9)' (OData 4.0 ABNF geographyLiteral, STA 1.1 §9.3.3.5.2): WKT in quotes.
    const geo = /^geo(graphy|metry)'/i.exec(src.slice(i, i + 10));
    if (c === "'" || geo) {
      const q = geo ? i + geo[0].length - 1 : i;
      let v = '';
      let j = q + 1;
      for (;;) {
        if (j >= src.length) throw new FilterSyntaxError('unterminated string', i);
        if (src[j] === "'") {
          if (src[j + 1] === "'") { v += "'"; j += 2; continue; }
          break;
        }
        v += src[j];
        j++;
      }
      if (geo) {
        try {
          out.push({ t: 'geo', v: parseWkt(v), at: i });
        } catch (err) {
          throw new FilterSyntaxError((err as Error).message, i);
        }
      } else out.push({ t: 'str', v, at: i });
      i = j + 1;
      continue;
    }
    const rest = src.slice(i);
    const dt = DATETIME.exec(rest);
    if (dt && (dt[0].length > 10 || !/^\d{4}-\d{2}-\d{2}\d/.test(rest))) {
      // A bare date (2026-11-22) is midnight Taipei time: our service's local day.
      const text = dt[0].length === 10 ? `${dt[0]}T00:00:00+08:00` : dt[0];
      const v = Date.parse(text);
      if (Number.isNaN(v)) throw new FilterSyntaxError(`invalid date-time ${dt[0]}`, i);
      out.push({ t: 'time', v, text: dt[0], at: i });
      i += dt[0].length;
      continue;
    }
    // OData has no '-' operator (subtraction is `sub`), so a '-' can only start a negative literal.
    const num = NUMBER.exec(rest);
    if (num) { out.push({ t: 'num', v: Number(num[0]), at: i }); i += num[0].length; continue; }
    const id = IDENT.exec(rest);
    if (id) { out.push({ t: 'id', v: id[0], at: i }); i += id[0].length; continue; }
    throw new FilterSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  out.push({ t: 'end', at: src.length });
  return out;
}
