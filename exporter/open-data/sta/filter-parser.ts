import type { Geometry } from 'geojson';
import { FilterSyntaxError, lex, type Token } from './filter-lexer.ts';
import { GEO_FUNCTIONS } from './geo.ts';

/** The $filter / $orderby expression tree. */
export type Expr =
  | { readonly t: 'lit'; readonly v: number | string | boolean | null }
  | { readonly t: 'time'; readonly v: number }
  | { readonly t: 'path'; readonly p: readonly string[] }
  | { readonly t: 'bin'; readonly op: BinOp; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'not'; readonly e: Expr }
  | { readonly t: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly t: 'geo'; readonly v: Geometry }
  /** `Datastreams/any(d: d/name eq 'x')` (OData 4.0 Part 2 §5.1.1.10, OD-S3); no body = "has any". */
  | { readonly t: 'lambda'; readonly op: 'any' | 'all'; readonly p: readonly string[]; readonly v?: string; readonly body?: Expr };

export type BinOp = 'or' | 'and' | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'add' | 'sub' | 'mul' | 'div' | 'mod';

/**
 * Operator precedence, lowest first, as OData 4.0 Part 2 §5.1.1.1 orders them (and STA 1.1
 * inherits): or < and < comparison < additive < multiplicative < unary not < primary.
 */
const LEVELS: readonly (readonly BinOp[])[] = [['or'], ['and'], ['eq', 'ne', 'gt', 'ge', 'lt', 'le'], ['add', 'sub'], ['mul', 'div', 'mod']];

/** Functions of STA 1.1 Table 25 we implement, with their arity (the geospatial ones in geo.ts; st_relate is not offered). */
export const FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  substringof: [2, 2], endswith: [2, 2], startswith: [2, 2], contains: [2, 2], length: [1, 1], indexof: [2, 2],
  substring: [2, 3], tolower: [1, 1], toupper: [1, 1], trim: [1, 1], concat: [2, 2],
  year: [1, 1], month: [1, 1], day: [1, 1], hour: [1, 1], minute: [1, 1], second: [1, 1], fractionalseconds: [1, 1],
  date: [1, 1], time: [1, 1], totaloffsetminutes: [1, 1], now: [0, 0], mindatetime: [0, 0], maxdatetime: [0, 0],
  round: [1, 1], floor: [1, 1], ceiling: [1, 1],
  ...GEO_FUNCTIONS,
};

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private expect(t: Token['t']): Token {
    const tok = this.next();
    if (tok.t !== t) throw new FilterSyntaxError(`expected ${t === 'end' ? 'end of expression' : `"${t}"`}`, tok.at);
    return tok;
  }

  parseAll(): Expr {
    const e = this.level(0);
    this.expect('end');
    return e;
  }

  level(n: number): Expr {
    if (n === LEVELS.length) return this.unary();
    let left = this.level(n + 1);
    for (;;) {
      const tok = this.peek();
      if (tok.t !== 'id' || !LEVELS[n]!.includes(tok.v as BinOp)) return left;
      this.next();
      const right = this.level(n + 1);
      left = { t: 'bin', op: tok.v as BinOp, l: left, r: right };
      // Comparisons do not chain (a eq b eq c is not valid OData): stop after one.
      if (n === 2) return left;
    }
  }

  unary(): Expr {
    const tok = this.peek();
    if (tok.t === 'id' && tok.v === 'not') {
      this.next();
      return { t: 'not', e: this.unary() };
    }
    return this.primary();
  }

  primary(): Expr {
    const tok = this.next();
    switch (tok.t) {
      case 'num': return { t: 'lit', v: tok.v };
      case 'str': return { t: 'lit', v: tok.v };
      case 'time': return { t: 'time', v: tok.v };
      case 'geo': return { t: 'geo', v: tok.v };
      case '(': {
        const e = this.level(0);
        this.expect(')');
        return e;
      }
      case 'id': {
        if (tok.v === 'true' || tok.v === 'false') return { t: 'lit', v: tok.v === 'true' };
        if (tok.v === 'null') return { t: 'lit', v: null };
        const lambda = /^(.+)\/(any|all)$/.exec(tok.v);
        if (lambda && this.peek().t === '(') return this.lambda(lambda[1]!.split('/'), lambda[2] as 'any' | 'all', tok.at);
        if (this.peek().t === '(') return this.call(tok.v, tok.at);
        if (LEVELS.some((l) => l.includes(tok.v as BinOp)) || tok.v === 'not') throw new FilterSyntaxError(`operator "${tok.v}" needs an operand before it`, tok.at);
        return { t: 'path', p: tok.v.split('/') };
      }
      default:
        throw new FilterSyntaxError('expected a value, a property or a function', tok.at);
    }
  }

  lambda(p: string[], op: 'any' | 'all', at: number): Expr {
    this.expect('(');
    if (this.peek().t === ')') {
      this.next();
      if (op === 'all') throw new FilterSyntaxError('all() needs a variable and a condition', at);
      return { t: 'lambda', op, p };
    }
    const v = this.expect('id') as Extract<Token, { t: 'id' }>;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.v)) throw new FilterSyntaxError(`invalid lambda variable "${v.v}"`, v.at);
    this.expect(':');
    const body = this.level(0);
    this.expect(')');
    return { t: 'lambda', op, p, v: v.v, body };
  }

  call(name: string, at: number): Expr {
    const fn = name.toLowerCase();
    const arity = FUNCTIONS[fn];
    if (!arity) throw new FilterSyntaxError(`unsupported function ${name}()`, at);
    this.expect('(');
    const args: Expr[] = [];
    if (this.peek().t !== ')') {
      args.push(this.level(0));
      while (this.peek().t === ',') {
        this.next();
        args.push(this.level(0));
      }
    }
    this.expect(')');
    if (args.length < arity[0] || args.length > arity[1]) throw new FilterSyntaxError(`${fn}() takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]}–${arity[1]}`} argument(s), got ${args.length}`, at);
    return { t: 'call', fn, args };
  }
}

/** Parses a $filter expression; throws FilterSyntaxError with the position of the fault. */
export function parseFilter(src: string): Expr {
  if (src.length > 2000) throw new FilterSyntaxError('expression longer than 2000 characters', 2000);
  return new Parser(lex(src)).parseAll();
}

/** Parses one $orderby item's expression (a property path or a function of one). */
export function parseExpression(src: string): Expr {
  return parseFilter(src);
}
