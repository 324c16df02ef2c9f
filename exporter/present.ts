import {
  kindOf,
  flagNames,
  toTaipeiIso,
  type Aggregate,
  type Alert,
  type FieldValue,
  type Reading,
  type Sensor,
  type SensorKind,
  type SensorStatus,
} from '../domain/index.ts';

/**
 * Domain objects → public JSON. Every view is built field by field from an allow-list:
 * a Sensor carries secretHash and gateway, which must never leave the process, so nothing
 * here spreads a domain object. Times become ISO 8601 with +08:00 (MISSION: exported
 * timestamps carry an offset) next to epoch ms for programs.
 */

const unitsCache = new Map<SensorKind, Readonly<Record<string, string>>>();

/** Unit of every field of a kind that has one; computed once per kind, not per reading. */
export function unitsOf(kind: SensorKind): Readonly<Record<string, string>> {
  let units = unitsCache.get(kind);
  if (!units) {
    const u: Record<string, string> = {};
    for (const f of kindOf(kind).fields) if (f.unit !== undefined) u[f.name] = f.unit;
    units = Object.freeze(u);
    unitsCache.set(kind, units);
  }
  return units;
}

function districtView(s: Sensor) {
  return { code: s.district.code, name: s.district.name };
}

function statusView(st: SensorStatus) {
  return {
    ts: toTaipeiIso(st.ts),
    ...(st.online !== undefined ? { online: st.online } : {}),
    ...(st.batteryLevel !== undefined ? { batteryLevel: st.batteryLevel } : {}),
    ...(st.firmwareVersion !== undefined ? { firmwareVersion: st.firmwareVersion } : {}),
  };
}

export function sensorView(s: Sensor, status?: SensorStatus) {
  return {
    id: s.id,
    kind: s.kind,
    name: s.name,
    district: districtView(s),
    location: { lat: s.location.lat, lon: s.location.lon },
    intervalSeconds: s.intervalSeconds,
    params: s.params,
    tags: s.tags,
    ...(status ? { status: statusView(status) } : {}),
  };
}

/** The short identity repeated in readings and latest answers. */
export function sensorRef(s: Sensor) {
  return { id: s.id, kind: s.kind, name: s.name, district: districtView(s) };
}

export function readingItem(r: Reading) {
  return { ts: toTaipeiIso(r.ts), tsMs: r.ts, values: r.values as Record<string, FieldValue>, flags: flagNames(r.flags) };
}

export function latestItem(r: Reading, s: Sensor, stale: boolean) {
  return {
    sensorId: s.id,
    sensorName: s.name,
    kind: s.kind,
    district: districtView(s),
    ts: toTaipeiIso(r.ts),
    tsMs: r.ts,
    values: r.values as Record<string, FieldValue>,
    units: unitsOf(s.kind),
    flags: flagNames(r.flags),
    stale,
  };
}

/** The unit of one field of a kind, if it has one. */
export function unitOf(kind: SensorKind, field: string): string | undefined {
  return unitsOf(kind)[field];
}

/**
 * The window part of an aggregate, shared by the API's aggregates and the open-data feeds
 * (whose 1-day windows are rolled up from hourly ones at query time).
 */
export function aggregateWindow(a: Omit<Aggregate, 'period'> & { readonly period: Aggregate['period'] | '1d' }) {
  const unit = unitOf(a.kind, a.field);
  return {
    period: a.period,
    start: toTaipeiIso(a.start),
    startMs: a.start,
    field: a.field,
    ...(unit !== undefined ? { unit } : {}),
    count: a.count,
    // LA6: false while the window was open when emitted (shutdown flush), or for a day not yet ended.
    complete: a.partial !== true,
    mean: a.mean,
    min: a.min,
    max: a.max,
    last: a.last,
  };
}

export function aggregateItem(a: Aggregate, name: Sensor['name'] | undefined) {
  return {
    scope: a.scope,
    key: a.key,
    ...(name ? { name } : {}),
    kind: a.kind,
    district: a.district,
    ...aggregateWindow(a),
  };
}

export function alertItem(a: Alert) {
  const unit = unitOf(a.kind, a.field);
  return {
    id: a.id,
    ruleId: a.ruleId,
    subject: a.subject,
    kind: a.kind,
    district: a.district,
    severity: a.severity,
    state: a.state,
    openedAt: toTaipeiIso(a.openedAt),
    updatedAt: toTaipeiIso(a.updatedAt),
    ...(a.resolvedAt !== undefined ? { resolvedAt: toTaipeiIso(a.resolvedAt) } : {}),
    field: a.field,
    value: a.value,
    threshold: a.threshold,
    ...(unit !== undefined ? { unit } : {}),
    message: a.message,
  };
}
