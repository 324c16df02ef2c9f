import type { Expr } from './filter-parser.ts';
import { NAVS, type SetName } from './model.ts';
import { StaRequestError } from './observations.ts';
import type { QueryOptions } from './options.ts';

/** The properties each entity set serves (STA 1.1 §8.2 as we serve it). */
const PROPS: Readonly<Record<SetName, ReadonlySet<string>>> = {
  Things: new Set(['@iot.id', '@iot.selfLink', 'name', 'description', 'properties']),
  Locations: new Set(['@iot.id', '@iot.selfLink', 'name', 'description', 'encodingType', 'location', 'properties']),
  HistoricalLocations: new Set(['@iot.id', '@iot.selfLink', 'time']),
  Datastreams: new Set(['@iot.id', '@iot.selfLink', 'name', 'description', 'unitOfMeasurement', 'observationType', 'observedArea', 'phenomenonTime', 'resultTime', 'properties']),
  Sensors: new Set(['@iot.id', '@iot.selfLink', 'name', 'description', 'encodingType', 'metadata', 'properties']),
  ObservedProperties: new Set(['@iot.id', '@iot.selfLink', 'name', 'definition', 'description', 'properties']),
  Observations: new Set(['@iot.id', '@iot.selfLink', 'phenomenonTime', 'resultTime', 'result', 'resultQuality', 'validTime', 'parameters']),
  FeaturesOfInterest: new Set(['@iot.id', '@iot.selfLink', 'name', 'description', 'encodingType', 'feature', 'properties']),
};
/** Properties holding free JSON: any sub-path below them is the client's business. */
const OPEN = new Set(['properties', 'unitOfMeasurement', 'location', 'feature', 'parameters', 'result', 'observedArea', 'resultQuality']);

/** What a request's expressions touch, for work the route does before evaluating them. */
export interface OptionUse {
  /** OD-S9: some $filter/$orderby reads a Datastream's phenomenonTime or resultTime (directly, via a path or in a lambda). */
  datastreamTimes: boolean;
}

const DATASTREAM_TIMES = new Set(['phenomenonTime', 'resultTime']);

function checkPath(set: SetName, path: readonly string[], vars: ReadonlyMap<string, SetName>, whole: string, use: OptionUse): void {
  let cur = set;
  let segs = path;
  const bound = vars.get(path[0]!);
  if (bound) { cur = bound; segs = path.slice(1); }
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const nav = NAVS[cur][seg];
    if (nav && !nav.many) { cur = nav.target; continue; }
    if (PROPS[cur].has(seg)) {
      if (cur === 'Datastreams' && DATASTREAM_TIMES.has(seg)) use.datastreamTimes = true;
      if (i < segs.length - 1 && !OPEN.has(seg)) throw new StaRequestError(`"${whole}": ${cur}/${seg} has no sub-properties`);
      return;
    }
    // OD-S4: an unknown property is a 400 naming it, not an empty result (FROST does the same).
    throw new StaRequestError(`"${whole}": ${cur} has no property or to-one navigation "${seg}"; properties: ${[...PROPS[cur]].join(', ')}`);
  }
}

function checkExpr(set: SetName, e: Expr, vars: ReadonlyMap<string, SetName>, use: OptionUse): void {
  switch (e.t) {
    case 'path': return checkPath(set, e.p, vars, e.p.join('/'), use);
    case 'not': return checkExpr(set, e.e, vars, use);
    case 'bin': checkExpr(set, e.l, vars, use); return checkExpr(set, e.r, vars, use);
    case 'call': for (const a of e.args) checkExpr(set, a, vars, use); return;
    case 'lambda': {
      // Walk the path to the collection: to-one hops, then one to-many navigation.
      let cur = vars.get(e.p[0]!) ?? set;
      const segs = vars.has(e.p[0]!) ? e.p.slice(1) : e.p;
      for (let i = 0; i < segs.length; i++) {
        const nav = NAVS[cur][segs[i]!];
        if (!nav || (nav.many && i < segs.length - 1)) throw new StaRequestError(`"${e.p.join('/')}/${e.op}": ${cur} has no navigation "${segs[i]}"`);
        cur = nav.target;
      }
      if (!NAVS[vars.get(e.p[0]!) ?? set][segs[0]!]) throw new StaRequestError(`"${e.p.join('/')}" is not a navigation property`);
      if (e.body && e.v) checkExpr(set, e.body, new Map([...vars, [e.v, cur]]), use);
      return;
    }
    default: return;
  }
}

/** OD-S4: every property named in $filter/$orderby (and in nested $expand options) exists on its set. */
export function checkOptions(set: SetName, o: QueryOptions, use: OptionUse = { datastreamTimes: false }): OptionUse {
  if (o.filter) checkExpr(set, o.filter, new Map(), use);
  for (const ob of o.orderby) checkExpr(set, ob.expr, new Map(), use);
  for (const ex of o.expand) {
    const def = NAVS[set][ex.nav];
    if (!def) throw new StaRequestError(`$expand: ${set} has no navigation property "${ex.nav}"`);
    checkOptions(def.target, ex.options, use);
  }
  return use;
}
