import { SETS } from './model.ts';
import { StaRequestError } from './observations.ts';

/** One resource path segment: `Things`, `Things('id')`, `Things(42)`, `name`, `$value`. */
export interface Segment {
  readonly name: string;
  readonly id?: string;
}

/**
 * Parses the resource path after /sta/v1.1/ (STA 1.1 §9.2: entity sets, entities by id,
 * navigation properties, properties and $value). Ids are string literals in quotes ('' escapes
 * a quote) or bare integers.
 */
export function parsePath(path: string): Segment[] {
  const segs: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    const m = /^([A-Za-z$@][A-Za-z0-9_.$@]*)/.exec(path.slice(i));
    if (!m) throw new StaRequestError(`invalid resource path at "${path.slice(i)}"`, 404);
    i += m[1]!.length;
    let id: string | undefined;
    if (path[i] === '(') {
      if (path[i + 1] === "'") {
        let j = i + 2;
        let v = '';
        for (;;) {
          if (j >= path.length) throw new StaRequestError('unterminated id literal', 400);
          if (path[j] === "'") {
            if (path[j + 1] === "'") { v += "'"; j += 2; continue; }
            break;
          }
          v += path[j++];
        }
        if (path[j + 1] !== ')') throw new StaRequestError('expected ) after id', 400);
        id = v;
        i = j + 2;
      } else {
        const n = /^\((\d{1,18})\)/.exec(path.slice(i));
        if (!n) throw new StaRequestError('an id is a quoted string or an integer', 400);
        id = n[1]!;
        i += n[0].length;
      }
    }
    segs.push(id === undefined ? { name: m[1]! } : { name: m[1]!, id });
    if (i < path.length) {
      if (path[i] !== '/') throw new StaRequestError(`unexpected "${path[i]}" in resource path`, 404);
      i++;
    }
  }
  if (segs.length === 0 || !(SETS as readonly string[]).includes(segs[0]!.name)) throw new StaRequestError(`unknown entity set "${segs[0]?.name ?? ''}"`, 404);
  return segs;
}

/** `Things('a b')` as it appears in links: quotes doubled, then percent-encoded as a path segment. */
export function idSegment(set: string, id: string): string {
  // ':' is legal in a path segment (RFC 3986 pchar) and appears in our ids: keep it readable.
  return `${set}('${encodeURIComponent(id.replace(/'/g, "''")).replace(/%3A/g, ':')}')`;
}
