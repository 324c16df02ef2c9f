import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as geomap from '@grafana/grafana-foundation-sdk/geomap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { kindOf, KIND_NAMES } from '../../domain/index.ts';
import {
  READINGS_FROM, SEVERITY_COLOURS, alertAnnotations, byDistrict, byKind, bySensor, columns, districtVariable, hideFields,
  influx, kindVariable, legend, measurementOf, newDashboard, reduce, tagVariable, thresholds, M_SENSOR_META, M_ALERTS } from './shared.ts';

/**
 * 城市總覽 City overview: every sensor on a map coloured by liveness, the open alerts,
 * and data freshness per feed (ANCHORS "where none of them is good" #1 and #7).
 */

/**
 * A sensor counts as silent when it sent nothing in the last 3 × the longest default
 * reporting interval among the kinds (3 × 600 s for water level = 30 min). Three missed
 * reports, not one, so a single late message does not paint the map red.
 */
const SILENT_WINDOW_S = 3 * Math.max(...KIND_NAMES.map((k) => kindOf(k).defaultIntervalSeconds));

function sensorMap(): geomap.PanelBuilder {
  const meta = influx(
    `SELECT last("lat") AS "lat", last("lon") AS "lon", last("name_zh") AS "name_zh", last("name_en") AS "name_en", last("interval_s") AS "interval_s" ` +
      `FROM "${M_SENSOR_META}" WHERE ${byDistrict} AND ${byKind} GROUP BY "sensor_id", "kind", "district"`,
    { refId: 'A', format: 'table' },
  );
  // Counted up to the end of the dashboard range (${__to}), so a past range shows the state then.
  const recent = influx(
    `SELECT count("seq") AS "readings" FROM ${READINGS_FROM} ` +
      `WHERE time > \${__to}ms - ${SILENT_WINDOW_S}s AND time <= \${__to}ms AND ${byDistrict} AND ${byKind} GROUP BY "sensor_id"`,
    { refId: 'B', format: 'table' },
  );
  const markers = new common.MapLayerOptionsBuilder()
    .type('markers')
    .name('感測器 Sensors')
    .tooltip(true)
    .location(new common.FrameGeometrySourceBuilder().mode(common.FrameGeometrySourceMode.Coords).latitude('lat').longitude('lon'))
    .config({
      showLegend: true,
      style: {
        color: { field: 'readings', fixed: 'red' },
        size: { fixed: 6 },
        opacity: 0.85,
        symbol: { mode: 'fixed', fixed: 'img/icons/marker/circle.svg' },
      },
    });
  return new geomap.PanelBuilder()
    .title('感測器地圖 Sensor map')
    .description(
      `顏色 = 即時狀態：綠色為最近 ${SILENT_WINDOW_S / 60} 分鐘內有資料，紅色為無訊號（至時間範圍終點）。` +
        `Colour = liveness: green when the sensor reported within the last ${SILENT_WINDOW_S / 60} min of the range, red when silent. ` +
        'Positions come from the sensor_meta measurement the app writes at start-up.',
    )
    .span(14)
    .height(14)
    .withTarget(meta)
    .withTarget(recent)
    // Outer join: sensors with no recent reading keep their position and get readings = null (silent).
    .withTransformation({ id: 'joinByField', options: { byField: 'sensor_id', mode: 'outer' } })
    .view(new geomap.MapViewConfigBuilder().id('fit').lat(24.99).lon(121.3).zoom(11))
    .controls(new geomap.ControlsOptionsBuilder().showZoom(true).mouseWheelZoom(true).showScale(true))
    .basemap(new common.MapLayerOptionsBuilder().type('default').name('底圖 Basemap'))
    .layers([markers])
    .tooltip(new geomap.TooltipOptionsBuilder().mode(geomap.TooltipMode.Details))
    .overrideByName('readings', [
      { id: 'displayName', value: '近期讀數 Recent readings' },
      { id: 'color', value: { mode: 'thresholds' } },
      { id: 'thresholds', value: thresholds([[null, 'red'], [1, 'green']]).build() },
      { id: 'mappings', value: [{ type: 'special', options: { match: 'null', result: { text: '無訊號 Silent', color: 'red' } } }] },
    ]);
}

function openAlerts(): table.PanelBuilder {
  // Latest event per (subject, rule): the inner query turns the `severity` tag into a field so
  // last() picks the severity of the latest event (alerts escalate); the outer one drops resolved.
  const latest =
    `SELECT last("state") AS "state", last("sev") AS "severity", last("message_zh") AS "message_zh", last("message_en") AS "message_en", ` +
    `last("value") AS "value", last("threshold") AS "threshold", last("opened_at") AS "opened_at" ` +
    `FROM (SELECT "state", "severity" AS "sev", "message_zh", "message_en", "value", "threshold", "opened_at" FROM "${M_ALERTS}" ` +
    `WHERE time > now() - 30d AND ${byDistrict} AND ${byKind}) GROUP BY "subject", "rule_id", "kind", "district"`;
  const query =
    `SELECT "severity" AS "severity", "state" AS "state", "message_zh" AS "message_zh", "message_en" AS "message_en", "value" AS "value", ` +
    `"threshold" AS "threshold", "opened_at" AS "opened_at" FROM (${latest}) WHERE "state" != 'resolved' GROUP BY "subject", "rule_id", "kind", "district"`;
  return new table.PanelBuilder()
    .title('未結警報 Open alerts')
    .description('每個對象與規則最新的警報事件，排除已解除者（回溯 30 天，raw 保存期）。Latest event per subject and rule, resolved ones removed (30-day look-back, the raw retention).')
    .span(10)
    .height(14)
    .withTarget(influx(query, { format: 'table' }))
    .withTransformation(hideFields('Time'))
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('開始 Opened').desc(true)])
    .overrides(
      columns({
        subject: { title: '對象 Subject' },
        rule_id: { title: '規則 Rule' },
        kind: { title: '類型 Kind' },
        district: { title: '行政區 District' },
        state: { title: '狀態 State' },
        message_zh: { title: '訊息 Message' },
        message_en: { title: 'Message (en)' },
        value: { title: '數值 Value' },
        threshold: { title: '門檻 Threshold' },
        opened_at: { title: '開始 Opened', unit: 'dateTimeAsIso' },
      }),
    )
    .overrideByName('severity', [
      { id: 'displayName', value: '嚴重度 Severity' },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
      {
        id: 'mappings',
        value: [
          {
            type: 'value',
            options: {
              advisory: { text: '注意 advisory', color: SEVERITY_COLOURS.advisory, index: 0 },
              warning: { text: '警告 warning', color: SEVERITY_COLOURS.warning, index: 1 },
              critical: { text: '嚴重 critical', color: SEVERITY_COLOURS.critical, index: 2 },
            },
          },
        ],
      },
    ]);
}

/** "3 minutes ago" per feed: the stat shows the Time of the newest reading. */
function freshness(): stat.PanelBuilder[] {
  return KIND_NAMES.map((kind) =>
    new stat.PanelBuilder()
      .title(`${kindOf(kind).label['zh-TW']} ${kindOf(kind).label.en} · 最新資料 Last reading`)
      .description(`預期每 ${kindOf(kind).defaultIntervalSeconds} 秒一筆 Expected every ${kindOf(kind).defaultIntervalSeconds} s (kind default).`)
      .span(6)
      .height(4)
      .withTarget(influx(`SELECT last("seq") AS "seq" FROM "${measurementOf(kind)}" WHERE $timeFilter AND ${byDistrict}`))
      .reduceOptions(reduce(['lastNotNull'], '/^Time$/'))
      .unit('dateTimeFromNow')
      .noValue('無資料 No data')
      .colorMode(common.BigValueColorMode.None)
      .graphMode(common.BigValueGraphMode.None),
  );
}

function readingsPerMinute(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('每分鐘讀數 Readings per minute by feed')
    .description('掉到零表示整個資料源中斷。A drop to zero means the whole feed stopped.')
    .span(12)
    .height(8)
    .withTarget(
      influx(
        `SELECT count("seq") * 60000 / $__interval_ms AS "per_minute" FROM ${READINGS_FROM} WHERE $timeFilter AND ${byDistrict} AND ${byKind} GROUP BY time($__interval), "kind" fill(0)`,
        { alias: '$tag_kind' },
      ),
    )
    .unit('short')
    .min(0)
    .legend(legend(['lastNotNull', 'min']));
}

function lastReportPerSensor(): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('各感測器最後回報 Last report per sensor')
    .description('最久未回報者在最上方。Oldest first: silent and stuck sensors surface at the top.')
    .span(12)
    .height(8)
    .withTarget(
      influx(
        `SELECT last("seq") AS "seq" FROM ${READINGS_FROM} WHERE $timeFilter AND ${byDistrict} AND ${byKind} AND ${bySensor} GROUP BY "sensor_id", "kind", "district"`,
        { format: 'table' },
      ),
    )
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('最後回報 Last report').desc(false)])
    .overrides(
      columns({
        Time: { title: '最後回報 Last report', unit: 'dateTimeAsIso' },
        sensor_id: { title: '感測器 Sensor' },
        kind: { title: '類型 Kind' },
        district: { title: '行政區 District' },
        seq: { title: '序號 Seq' },
      }),
    );
}

export function overviewDashboard(): dashboard.Dashboard {
  const builder = newDashboard('civic-overview', '城市總覽 City overview', '感測器、警報與資料新鮮度。Sensors, alerts and data freshness.', ['overview'])
    .withVariable(districtVariable(READINGS_FROM))
    .withVariable(kindVariable(READINGS_FROM))
    .withVariable(tagVariable('sensor', '感測器 Sensor', 'sensor_id', READINGS_FROM, [byDistrict, byKind]))
    .annotations(alertAnnotations('/^$kind$/'))
    .withPanel(sensorMap())
    .withPanel(openAlerts());
  for (const p of freshness()) builder.withPanel(p);
  return builder.withPanel(readingsPerMinute()).withPanel(lastReportPerSensor()).build();
}
