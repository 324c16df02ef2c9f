import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { SEVERITY_COLOURS, alertAnnotations, byDistrict, bySensor, districtVariable, influx, legend, newDashboard, reduce, tagVariable, thresholds, M_SENSOR_META, measurementOf } from './shared.ts';

/**
 * 水位 Water level: river stations against their own warning lines (三級/二級/一級警戒,
 * level 1 the most severe), the rise rate that drives time-to-threshold, and road flood depth.
 */

const MEASUREMENT = `"${measurementOf('water-level')}"`;
const byStation = `"sensor_id" =~ /^$station$/`;

/**
 * Road flood sensors: agencies disagree on when a road counts as flooded (6 cm vs 10 cm,
 * MISSION "Facts from the field"); the per-sensor threshold lives in the registry and the
 * alerts, the panel draws both conventions for orientation.
 */
const FLOOD_LINES_CM: ReadonlyArray<readonly [number, string]> = [
  [6, SEVERITY_COLOURS.warning],
  [10, SEVERITY_COLOURS.critical],
];

function levelAgainstWarningLines(): timeseries.PanelBuilder {
  const level = influx(`SELECT mean("currentLevel") AS "level" FROM ${MEASUREMENT} WHERE $timeFilter AND ${byStation} GROUP BY time($__interval) fill(none)`, {
    refId: 'A',
    alias: '水位 Level',
  });
  // Warning levels are registry data the app copies into sensor_meta; read without a time
  // filter because they are written at start-up, not with every reading. Grafana turns the
  // lowest threshold step into the -Infinity base and draws no line for it, so a `base` step
  // far below level 3 goes first and all three warning lines stay visible.
  const lines = influx(
    `SELECT last("warning_level3") - 1000000 AS "base", last("warning_level3") AS "warning_level3", last("warning_level2") AS "warning_level2", ` +
      `last("warning_level1") AS "warning_level1" FROM "${M_SENSOR_META}" WHERE ${byStation}`,
    { refId: 'B', format: 'table' },
  );
  const line = (fieldName: string, color: string) => ({ fieldName, handlerKey: 'threshold1', handlerArguments: { threshold: { color } } });
  return new timeseries.PanelBuilder()
    .title('水位與警戒線 Level against warning lines · $station')
    .description(
      '每站一圖；黃／橘／紅線為三級／二級／一級警戒水位（來自登錄資料）。One panel per river station; yellow, orange and red lines are ' +
        'warning levels 3, 2 and 1 (level 1 the most severe) from the registry, via sensor_meta.',
    )
    .span(8)
    .height(8)
    .repeat('station')
    .repeatDirection('h')
    .maxPerRow(3)
    .withTarget(level)
    .withTarget(lines)
    // Turns query B's single row into threshold lines on query A's series.
    .withTransformation({
      id: 'configFromData',
      options: {
        configRefId: 'B',
        applyTo: { id: 'byFrameRefID', options: 'A' },
        mappings: [
          line('base', 'green'),
          line('warning_level3', SEVERITY_COLOURS.advisory),
          line('warning_level2', SEVERITY_COLOURS.warning),
          line('warning_level1', SEVERITY_COLOURS.critical),
        ],
      },
    })
    .unit('lengthm')
    .thresholds(thresholds([[null, 'green']]))
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
    .legend(legend(['lastNotNull', 'max']));
}

function riseRate(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('水位上升率 Rise rate')
    .description('DERIVATIVE of the interval mean, metres per hour; positive = rising. 正值表示上漲（公尺／小時）。')
    .span(12)
    .height(8)
    .interval('1m')
    .withTarget(
      influx(
        `SELECT derivative(mean("currentLevel"), 1h) AS "rise_m_per_h" FROM ${MEASUREMENT} WHERE $timeFilter AND ${byDistrict} AND ${byStation} GROUP BY time($__interval), "sensor_id" fill(none)`,
        { alias: '$tag_sensor_id' },
      ),
    )
    .unit('suffix: m/h')
    .axisCenteredZero(true)
    .legend(legend(['lastNotNull', 'max']));
}

function floodDepth(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('道路淹水深度 Road flood depth')
    .description('區間最大值（公分）；虛線為 6 cm 與 10 cm 兩種淹水定義。Interval maximum in cm; dashed lines at the 6 cm and 10 cm conventions.')
    .span(12)
    .height(8)
    .withTarget(
      influx(
        `SELECT max("floodDepth") AS "flood_cm" FROM ${MEASUREMENT} WHERE $timeFilter AND ${byDistrict} AND ${bySensor} GROUP BY time($__interval), "sensor_id" fill(none)`,
        { alias: '$tag_sensor_id' },
      ),
    )
    .unit('suffix: cm')
    .min(0)
    .thresholds(thresholds([[null, 'green'], ...FLOOD_LINES_CM]))
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
    .legend(legend(['lastNotNull', 'max']));
}

function latestFloodDepth(): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title('最新淹水深度 Latest flood depth')
    .description('各道路感測器最新一筆。Latest reading per road flood sensor.')
    .span(12)
    .height(8)
    .withTarget(
      influx(`SELECT last("floodDepth") AS "flood_cm" FROM ${MEASUREMENT} WHERE $timeFilter AND ${byDistrict} AND ${bySensor} GROUP BY "sensor_id"`, {
        alias: '$tag_sensor_id',
      }),
    )
    .reduceOptions(reduce(['lastNotNull']))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .unit('suffix: cm')
    .min(0)
    .thresholds(thresholds([[null, 'green'], ...FLOOD_LINES_CM]));
}

export function waterLevelDashboard(): dashboard.Dashboard {
  return newDashboard('civic-water-level', '水位 Water level', '河川水位對照警戒線、上升率、道路淹水。River levels against warning lines, rise rate, road flooding.', ['water-level'])
    .withVariable(districtVariable(MEASUREMENT))
    .withVariable(tagVariable('sensor', '感測器 Sensor', 'sensor_id', MEASUREMENT, [byDistrict]))
    .withVariable(tagVariable('station', '河川站 River station', 'sensor_id', `"${M_SENSOR_META}"`, [`"kind" = 'water-level'`, `"station" = 'river'`, byDistrict]))
    .annotations(alertAnnotations('/^water-level$/'))
    .withPanel(levelAgainstWarningLines())
    .withPanel(riseRate())
    .withPanel(floodDepth())
    .withPanel(latestFloodDepth())
    .build();
}
