import type { QuerySeries } from './http.ts';

/** InfluxQL quoting: identifiers in double quotes, strings in single quotes, backslash escapes. */
export function ident(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function str(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** InfluxDB times are int64 ns: ±9.2e18 ns ≈ ±9.2e12 ms. Beyond that (or ±Infinity) a bound is no bound. */
const MAX_MS = 9_000_000_000_000;
function usable(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) < MAX_MS;
}

export class Where {
  private readonly terms: string[] = [];

  eq(column: string, value: string | undefined): this {
    if (value !== undefined) this.terms.push(`${ident(column)} = ${str(value)}`);
    return this;
  }

  anyOf(column: string, values: readonly string[]): this {
    this.terms.push(`(${values.map((v) => `${ident(column)} = ${str(v)}`).join(' OR ')})`);
    return this;
  }

  /** time op ms; an unusable bound (open range) adds nothing, or "never" for impossible ones. */
  time(op: '>=' | '<' | '>', ms: number | undefined): this {
    if (ms === undefined || Number.isNaN(ms)) return this;
    if (usable(ms)) this.terms.push(`time ${op} ${Math.trunc(ms)}ms`);
    else if ((op === '<' && ms < 0) || (op !== '<' && ms > 0)) this.terms.push('time < -1ms AND time > 1ms');
    return this;
  }

  raw(term: string): this {
    this.terms.push(term);
    return this;
  }

  toString(): string {
    return this.terms.length ? ` WHERE ${this.terms.join(' AND ')}` : '';
  }
}

/** Fully qualified measurement: "db"."rp"."m", so one query can read any tier. */
export function from(db: string, rp: string, measurement: string): string {
  return `${ident(db)}.${ident(rp)}.${ident(measurement)}`;
}

/** Rows of a series as objects keyed by column, with the series' group-by tags merged in. */
export function rowsOf(s: QuerySeries): Record<string, unknown>[] {
  return s.values.map((v) => {
    const row: Record<string, unknown> = { ...s.tags };
    for (let i = 0; i < s.columns.length; i++) row[s.columns[i]!] = v[i];
    return row;
  });
}

export function limitOf(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
