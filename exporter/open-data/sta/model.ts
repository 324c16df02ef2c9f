import { kindOf, KIND_NAMES, toTaipeiIso, type FieldSpec, type Reading, type Sensor, type SensorKind } from '../../../domain/index.ts';
import type { OdContext } from '../context.ts';
import { datasetId } from '../datasets.ts';
import { flagLabel } from '../present.ts';
import { flagNames } from '../../../domain/index.ts';
import { FilterEvalError, MANY, NAV, type ManyFn, type Navigable, type NavFn } from './filter-eval.ts';
import { DatastreamSpans } from './spans.ts';

export const SETS = ['Things', 'Locations', 'HistoricalLocations', 'Datastreams', 'Sensors', 'ObservedProperties', 'Observations', 'FeaturesOfInterest'] as const;
export type SetName = (typeof SETS)[number];

/** Navigation properties per entity set (STA 1.1 §8.2, Figure 2): target set and cardinality. */
export const NAVS: Readonly<Record<SetName, Readonly<Record<string, { target: SetName; many: boolean }>>>> = {
  Things: { Locations: { target: 'Locations', many: true }, HistoricalLocations: { target: 'HistoricalLocations', many: true }, Datastreams: { target: 'Datastreams', many: true } },
  Locations: { Things: { target: 'Things', many: true }, HistoricalLocations: { target: 'HistoricalLocations', many: true } },
  HistoricalLocations: { Thing: { target: 'Things', many: false }, Locations: { target: 'Locations', many: true } },
  Datastreams: { Thing: { target: 'Things', many: false }, Sensor: { target: 'Sensors', many: false }, ObservedProperty: { target: 'ObservedProperties', many: false }, Observations: { target: 'Observations', many: true } },
  Sensors: { Datastreams: { target: 'Datastreams', many: true } },
  ObservedProperties: { Datastreams: { target: 'Datastreams', many: true } },
  Observations: { Datastream: { target: 'Datastreams', many: false }, FeatureOfInterest: { target: 'FeaturesOfInterest', many: false } },
  FeaturesOfInterest: { Observations: { target: 'Observations', many: true } },
};

/** Where an entity comes from: kept beside it (a symbol, never serialised) for navigation. */
export const META = Symbol('meta');
export interface Meta {
  readonly set: SetName;
  readonly sensor?: Sensor;
  readonly kind?: SensorKind;
  readonly field?: FieldSpec;
}
export type Entity = Navigable & { '@iot.id': string; [META]: Meta };

const MEASUREMENT = 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement';
const CATEGORY = 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CategoryObservation';

/** An Observation's own properties for one field of a reading (undefined when the reading lacks the field): HTTP and MQTT (OD-S10) share them. */
export function observationProps(r: Reading, field: string): Record<string, unknown> | undefined {
  const v = r.values[field];
  if (v === undefined) return undefined;
  const t = toTaipeiIso(r.ts);
  return { phenomenonTime: t, resultTime: t, result: v, resultQuality: flagNames(r.flags).map(flagLabel) };
}

/**
 * The STA entity graph over the registry (issue 5 §3): a Thing per sensor with Civil IoT
 * Taiwan style properties (city, township, authority, stationID), one Location /
 * HistoricalLocation / FeatureOfInterest per Thing at its public (possibly coarsened)
 * point, a Datastream per (sensor, declared field), a Sensor per kind (the procedure), an
 * ObservedProperty per (kind, field). Observations are readings, built on demand.
 */
export class Graph {
  /** When the registry was loaded into this process: HistoricalLocation.time (the registry keeps no install date). */
  private readonly since: string;

  /** OD-S9: phenomenonTime/resultTime of Datastreams; refreshed per request for what it shows (render.ts ensureSpans). */
  readonly spans: DatastreamSpans;
  /**
   * Datastream phenomenonTime/resultTime as a live accessor reading `spans`, so an entity built
   * before its request refreshed the spans still shows (and filters on) the refreshed value.
   * One descriptor for every Datastream: `this` is the entity, no closure per entity.
   */
  private readonly timeProp: PropertyDescriptor;

  constructor(private readonly ctx: OdContext) {
    this.since = toTaipeiIso(ctx.now());
    const spans = (this.spans = new DatastreamSpans(ctx.store));
    this.timeProp = { enumerable: true, get(this: Entity) { return spans.interval(this[META].sensor!.id, this[META].field!.name); } };
  }

  /** To-one navigation for $filter paths (Observation/Datastream/Thing/…), shared by every entity of this graph. */
  private readonly nav: NavFn = (self, name) => {
    const e = self as Entity;
    const def = NAVS[e[META].set][name];
    if (!def || def.many) return undefined;
    return this.related(e, name) as Entity | undefined;
  };

  /** To-many navigation for any()/all(); Observations are read from the store per request and are not offered there. */
  private readonly many: ManyFn = (self, name) => {
    const e = self as Entity;
    const def = NAVS[e[META].set][name];
    if (!def || !def.many) return undefined;
    if (def.target === 'Observations') throw new FilterEvalError(`any()/all() over ${name} is not supported: filter Observations directly`);
    return this.related(e, name) as Entity[] | undefined;
  };

  /** Symbol keys are skipped by Object.entries and JSON.stringify, so META/NAV never reach a response. */
  private mk(set: SetName, id: string, props: Record<string, unknown>, meta: Omit<Meta, 'set'>): Entity {
    const e = { '@iot.id': id, ...props } as Entity;
    e[META] = { set, ...meta };
    e[NAV] = this.nav;
    e[MANY] = this.many;
    return e;
  }

  thing(s: Sensor): Entity {
    return this.mk('Things', s.id, {
      name: s.name['zh-TW'],
      description: `${s.name.en} (${kindOf(s.kind).label.en})`,
      properties: {
        city: this.ctx.publisher.city['zh-TW'], cityEn: this.ctx.publisher.city.en,
        township: s.district.name['zh-TW'], townshipEn: s.district.name.en, townshipCode: s.district.code,
        authority: this.ctx.publisher.agency['zh-TW'], stationID: s.id, kind: s.kind, nameEn: s.name.en,
        intervalSeconds: s.intervalSeconds, locationCoarsened: this.ctx.privacy.isCoarsened(s),
      },
    }, { sensor: s });
  }

  private point(s: Sensor) {
    const p = this.ctx.privacy.location(s);
    return { type: 'Point', coordinates: [p.lon, p.lat] };
  }

  location(s: Sensor): Entity {
    return this.mk('Locations', s.id, { name: s.name['zh-TW'], description: `${s.district.name['zh-TW']} / ${s.district.name.en}`, encodingType: 'application/geo+json', location: this.point(s) }, { sensor: s });
  }

  historicalLocation(s: Sensor): Entity {
    return this.mk('HistoricalLocations', s.id, { time: this.since }, { sensor: s });
  }

  feature(s: Sensor): Entity {
    return this.mk('FeaturesOfInterest', s.id, { name: s.name['zh-TW'], description: `${s.name.en}`, encodingType: 'application/geo+json', feature: this.point(s) }, { sensor: s });
  }

  sensorOf(kind: SensorKind): Entity {
    const d = kindOf(kind);
    return this.mk('Sensors', kind, {
      name: d.label['zh-TW'], description: `${d.label.en} sensors (FIWARE ${d.fiwareType})`,
      encodingType: 'text/html', metadata: `${this.ctx.baseUrl}/open-data/v1/datasets/${datasetId(kind)}`,
    }, { kind });
  }

  observedProperty(kind: SensorKind, f: FieldSpec): Entity {
    return this.mk('ObservedProperties', `${kind}:${f.name}`, {
      name: f.label['zh-TW'], description: f.label.en, definition: `urn:civicstream:observed-property:${kindOf(kind).fiwareType}:${f.name}`,
      properties: { field: f.name, fiwareType: kindOf(kind).fiwareType },
    }, { kind, field: f });
  }

  datastream(s: Sensor, f: FieldSpec): Entity {
    const unit = f.unit;
    const e = this.mk('Datastreams', `${s.id}:${f.name}`, {
      name: `${s.name['zh-TW']} ${f.label['zh-TW']}`,
      description: `${s.name.en} — ${f.label.en}`,
      unitOfMeasurement: unit ? { name: unit, symbol: unit, definition: `http://unitsofmeasure.org/ucum.html#${encodeURIComponent(unit)}` } : { name: null, symbol: null, definition: null },
      observationType: f.type === 'number' ? MEASUREMENT : CATEGORY,
      // A fixed sensor observes at its (public) point (STA 1.1 §8.2.4 observedArea).
      observedArea: this.point(s),
    }, { sensor: s, field: f });
    // OD-S9 (STA 1.1 §8.2.4): the interval of the sensor's readings, "first/latest" in +08:00;
    // undefined (so absent from the JSON) while it has none. resultTime = phenomenonTime here.
    Object.defineProperty(e, 'phenomenonTime', this.timeProp);
    Object.defineProperty(e, 'resultTime', this.timeProp);
    e.properties = { field: f.name, kind: s.kind };
    return e;
  }

  observation(s: Sensor, f: FieldSpec, r: Reading): Entity | undefined {
    const props = observationProps(r, f.name);
    return props && this.mk('Observations', `${s.id}:${f.name}:${r.ts}`, props, { sensor: s, field: f });
  }

  private sorted: Sensor[] | undefined;

  /** Sensors in id order (stable $skip paging); sorted once, the registry is read-only after load. */
  sensors(): readonly Sensor[] {
    this.sorted ??= [...this.ctx.registry.sensors()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.sorted;
  }

  /** Every entity of a (non-Observation) set. */
  *list(set: Exclude<SetName, 'Observations'>): Generator<Entity> {
    switch (set) {
      case 'Things': for (const s of this.sensors()) yield this.thing(s); return;
      case 'Locations': for (const s of this.sensors()) yield this.location(s); return;
      case 'HistoricalLocations': for (const s of this.sensors()) yield this.historicalLocation(s); return;
      case 'FeaturesOfInterest': for (const s of this.sensors()) yield this.feature(s); return;
      case 'Datastreams': for (const s of this.sensors()) for (const f of kindOf(s.kind).fields) yield this.datastream(s, f); return;
      case 'Sensors': for (const k of KIND_NAMES) yield this.sensorOf(k); return;
      case 'ObservedProperties': for (const k of KIND_NAMES) for (const f of kindOf(k).fields) yield this.observedProperty(k, f); return;
    }
  }

  /** One entity by id, without scanning (ids encode sensor / kind / field). Observations: see observations.ts. */
  get(set: Exclude<SetName, 'Observations'>, id: string): Entity | undefined {
    const [a = '', b] = splitId(id);
    switch (set) {
      case 'Things': case 'Locations': case 'HistoricalLocations': case 'FeaturesOfInterest': {
        const s = this.ctx.registry.sensor(id);
        if (!s) return undefined;
        return set === 'Things' ? this.thing(s) : set === 'Locations' ? this.location(s) : set === 'HistoricalLocations' ? this.historicalLocation(s) : this.feature(s);
      }
      case 'Sensors': return (KIND_NAMES as string[]).includes(id) ? this.sensorOf(id as SensorKind) : undefined;
      case 'ObservedProperties': {
        if (!b || !(KIND_NAMES as string[]).includes(a)) return undefined;
        const f = kindOf(a as SensorKind).fields.find((x) => x.name === b);
        return f ? this.observedProperty(a as SensorKind, f) : undefined;
      }
      case 'Datastreams': {
        const s = b ? this.ctx.registry.sensor(a) : undefined;
        const f = s ? kindOf(s.kind).fields.find((x) => x.name === b) : undefined;
        return s && f ? this.datastream(s, f) : undefined;
      }
    }
  }

  /** Datastreams reachable from an entity, for Observations navigation. */
  datastreamsOf(e: Entity): Entity[] {
    const m = e[META];
    if (m.set === 'Datastreams') return [e];
    if (m.set === 'FeaturesOfInterest' && m.sensor) return kindOf(m.sensor.kind).fields.map((f) => this.datastream(m.sensor!, f));
    return [];
  }

  /** Non-observation navigation: a single entity or a list. */
  related(e: Entity, nav: string): Entity | Entity[] | undefined {
    const m = e[META];
    const s = m.sensor;
    switch (`${m.set}/${nav}`) {
      case 'Things/Locations': case 'HistoricalLocations/Locations': return [this.location(s!)];
      case 'Things/HistoricalLocations': case 'Locations/HistoricalLocations': return [this.historicalLocation(s!)];
      case 'Things/Datastreams': return kindOf(s!.kind).fields.map((f) => this.datastream(s!, f));
      case 'Locations/Things': return [this.thing(s!)];
      case 'HistoricalLocations/Thing': case 'Datastreams/Thing': return this.thing(s!);
      case 'Datastreams/Sensor': return this.sensorOf(s!.kind);
      case 'Datastreams/ObservedProperty': return this.observedProperty(s!.kind, m.field!);
      case 'Sensors/Datastreams': return [...this.sensors()].filter((x) => x.kind === m.kind).flatMap((x) => kindOf(x.kind).fields.map((f) => this.datastream(x, f)));
      case 'ObservedProperties/Datastreams': return [...this.sensors()].filter((x) => x.kind === m.kind).map((x) => this.datastream(x, m.field!));
      case 'Observations/Datastream': return this.datastream(s!, m.field!);
      case 'Observations/FeatureOfInterest': return this.feature(s!);
      default: return undefined;
    }
  }
}

/** Ids are `sensor:field` / `kind:field` / `sensor:field:ts`; sensor ids never contain ':' (domain T6). */
export function splitId(id: string): string[] {
  return id.split(':');
}
