import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { KIND_NAMES } from '../../domain/index.ts';
import { AGG_MEASUREMENT, M_ALERTS, M_DEAD_LETTERS, M_PIPELINE, M_SENSOR_META, measurementOf } from '../../storage/index.ts';

/**
 * Shared pieces of every civicstream dashboard: the datasource, the InfluxQL target
 * shape, template variables, alert annotations and colour bands. Queries follow the
 * InfluxDB schema in ARCHITECTURE.md (database `civicstream`, RPs raw/agg_1m/agg_1h).
 */

/** Must equal the uid in provisioning/datasources/influxdb.yaml (checked by test/dashboards/compose.test.ts). */
export const DATASOURCE_UID = 'civic-influx';
export const DATASOURCE: common.DataSourceRef = { type: 'influxdb', uid: DATASOURCE_UID };

/** The InfluxDB schema's names come from the storage stage, which writes them (one measurement per kind). */
export { AGG_MEASUREMENT, M_ALERTS, M_DEAD_LETTERS, M_PIPELINE, M_SENSOR_META, measurementOf };

/** Regex source over every reading measurement, derived from the kind list so a fifth kind needs no edit here. */
export const READINGS_FROM = `/^(${KIND_NAMES.map(measurementOf).join('|')})$/`;

/** Built-in Grafana variables: never declared in `templating`, substituted by Grafana (or the integration test). */
export const BUILTIN_VARIABLES = ['timeFilter', '__interval', '__interval_ms', '__from', '__to'] as const;

/** Tag filters on template variables. `=~ /^$v$/` lets "All" (allValue `.*`) and multi-select work. */
export const byDistrict = `"district" =~ /^$district$/`;
export const byKind = `"kind" =~ /^$kind$/`;
export const bySensor = `"sensor_id" =~ /^$sensor$/`;

/** A raw InfluxQL target as Grafana's InfluxDB datasource stores it (the SDK has no InfluxDB query builder). */
export interface InfluxQLQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
  [extra: string]: unknown;
}

export interface TargetOptions {
  refId?: string;
  format?: 'time_series' | 'table';
  /** Legend pattern, e.g. `$tag_sensor_id`. */
  alias?: string;
  extra?: Record<string, unknown>;
}

export class InfluxQLTarget implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly query: string,
    private readonly opts: TargetOptions = {},
  ) {}

  build(): InfluxQLQuery {
    const q: InfluxQLQuery = {
      refId: this.opts.refId ?? 'A',
      datasource: DATASOURCE,
      query: this.query,
      rawQuery: true,
      resultFormat: this.opts.format ?? 'time_series',
      _implementsDataqueryVariant: () => undefined,
      ...this.opts.extra,
    };
    if (this.opts.alias !== undefined) q.alias = this.opts.alias;
    return q;
  }
}

export function influx(query: string, opts: TargetOptions = {}): InfluxQLTarget {
  return new InfluxQLTarget(query, opts);
}

/** A tag-value variable: multi-select, "All" as `.*`, refreshed on load. */
export function tagVariable(name: string, label: string, key: string, from: string, where: string[] = []): dashboard.QueryVariableBuilder {
  const cond = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  const query = `SHOW TAG VALUES FROM ${from} WITH KEY = "${key}"${cond}`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

export const districtVariable = (from: string) => tagVariable('district', '行政區 District', 'district', from);
export const kindVariable = (from: string) => tagVariable('kind', '類型 Kind', 'kind', from);

/**
 * Alert events (measurement `alert_events`, RP raw) as two annotation layers: raised
 * (opened/updated) and resolved. `kindRegex` narrows a per-kind dashboard to its own alerts.
 */
export function alertAnnotations(kindRegex: string): dashboard.AnnotationQueryBuilder[] {
  const layer = (name: string, colour: string, typeCond: string) => {
    const query =
      `SELECT "message_zh" AS "text", "message_en" AS "message_en", "severity" AS "severity", "type" AS "type", "subject" AS "subject", "rule_id" AS "rule_id" ` +
      `FROM "${M_ALERTS}" WHERE $timeFilter AND ${byDistrict} AND "kind" =~ ${kindRegex} AND ${typeCond}`;
    // Grafana's InfluxQL annotation editor keeps the query and column mapping on the target.
    const target = influx(query, {
      refId: 'Anno',
      format: 'table',
      extra: { fromAnnotations: true, textEditor: true, textColumn: 'text', tagsColumn: 'severity,type,subject,rule_id,message_en' },
    });
    return new dashboard.AnnotationQueryBuilder().name(name).datasource(DATASOURCE).enable(true).iconColor(colour).target(target);
  };
  return [
    layer('警報發布 Alerts raised', SEVERITY_COLOURS.critical, `"type" != 'resolved'`),
    layer('警報解除 Alerts resolved', 'green', `"type" = 'resolved'`),
  ];
}

export const SEVERITY_COLOURS = { advisory: 'yellow', warning: 'orange', critical: 'red' } as const;

/** Threshold steps from [value, colour] pairs; the first value is the base (null). */
export function thresholds(steps: ReadonlyArray<readonly [number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/**
 * MOENV AQI bands (good … hazardous) as PM2.5 concentration breakpoints in µg/m³, by the
 * date each table took effect. The mission says the table is data with a version, not code:
 * add a row here when MOENV revises it. Colours follow the six band names MOENV uses
 * (green, yellow, orange, red, purple, maroon).
 * 2016-12-01: the original AQI table. 2025-01-01: tightened thresholds (good ≤ 12.4).
 */
export const AQI_BAND_COLOURS = ['#00E800', '#FFFF00', '#FF7E00', '#FF0000', '#8F3F97', '#7E0023'] as const;
export const AQI_BAND_NAMES = ['良好 Good', '普通 Moderate', '對敏感族群不健康 Unhealthy for sensitive groups', '對所有族群不健康 Unhealthy', '非常不健康 Very unhealthy', '危害 Hazardous'] as const;
export const MOENV_PM25_BREAKPOINTS: Readonly<Record<string, readonly number[]>> = {
  // Lower bounds of bands 2..6 (band 1 starts at 0).
  '2016-12-01': [15.5, 35.5, 54.5, 150.5, 250.5],
  '2025-01-01': [12.5, 30.5, 50.5, 125.5, 225.5],
};
export const AQI_TABLE_VERSION = '2025-01-01';

export function pm25Bands(version: string = AQI_TABLE_VERSION): dashboard.ThresholdsConfigBuilder {
  const lows = MOENV_PM25_BREAKPOINTS[version];
  if (lows === undefined) throw new Error(`unknown MOENV table version ${version}`);
  return thresholds([[null, AQI_BAND_COLOURS[0]], ...lows.map((v, i) => [v, AQI_BAND_COLOURS[i + 1] ?? 'red'] as const)]);
}

/** Human-readable band list for panel descriptions (zh-TW first, English second). */
export function pm25BandText(version: string = AQI_TABLE_VERSION): string {
  const lows = MOENV_PM25_BREAKPOINTS[version] ?? [];
  const edges = [0, ...lows];
  return edges
    .map((lo, i) => `${AQI_BAND_NAMES[i]}: ${lo}${i + 1 < edges.length ? `–${((edges[i + 1] ?? 0) - 0.1).toFixed(1)}` : '+'}`)
    .join('; ');
}

/** Legend as a table with last/max, shown at the bottom. */
export function legend(calcs: string[] = ['lastNotNull', 'max']): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(calcs);
}

export function reduce(calcs: string[], fields = ''): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().values(false).calcs(calcs).fields(fields);
}

/**
 * Common dashboard frame: Taipei time zone (MISSION: users see +08:00), last 6 h,
 * 1-minute refresh, shared crosshair, links to the other civicstream dashboards.
 */
export function newDashboard(uid: string, title: string, description: string, tags: string[]): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['civicstream', ...tags])
    .timezone('Asia/Taipei')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('儀表板 Dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['civicstream'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}

/** Field overrides giving table columns zh-TW/English titles and optional units. */
export function columns(spec: Record<string, { title: string; unit?: string }>): Array<{ matcher: dashboard.MatcherConfig; properties: dashboard.DynamicConfigValue[] }> {
  return Object.entries(spec).map(([name, { title, unit }]) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'displayName', value: title }, ...(unit !== undefined ? [{ id: 'unit', value: unit }] : [])],
  }));
}

/** Hide fields (e.g. the epoch-0 `Time` of aggregate-only queries) in tables. */
export function hideFields(...names: string[]): dashboard.DataTransformerConfig {
  return { id: 'organize', options: { excludeByName: Object.fromEntries(names.map((n) => [n, true])) } };
}
