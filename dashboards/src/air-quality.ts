import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  AQI_TABLE_VERSION, alertAnnotations, byDistrict, bySensor, districtVariable, influx, legend, newDashboard, pm25BandText, pm25Bands,
  reduce, tagVariable, AGG_MEASUREMENT, measurementOf } from './shared.ts';

/**
 * 空氣品質 Air quality. The district panel shows the PM2.5 concentration indicator MOENV
 * feeds into the AQI — 0.5 × (12-hour mean) + 0.5 × (4-hour mean) of hourly means — against
 * the PM2.5 breakpoints of the six AQI bands. It is not the full AQI (the maximum of all
 * pollutant sub-indices): InfluxQL cannot do the piecewise-linear conversion, and the bands
 * coincide with the AQI bands by construction of the breakpoint table.
 */

const MEASUREMENT = `"${measurementOf('air-quality')}"`;
const UG_M3 = 'conμgm3';

function pm25MovingByDistrict(): timeseries.PanelBuilder {
  // Hourly district means come from the agg_1h tier (one point per district and hour), so the
  // panel costs the same for 10 or 10,000 sensors. 12 h before the range start feed the window.
  const query =
    `SELECT 0.5 * moving_average(mean("mean"), 12) + 0.5 * moving_average(mean("mean"), 4) AS "pm25_moving" ` +
    `FROM "${AGG_MEASUREMENT['1h']}"."${AGG_MEASUREMENT['1h']}" WHERE time >= \${__from}ms - 12h AND time <= \${__to}ms ` +
    `AND "scope" = 'district' AND "kind" = 'air-quality' AND "field" = 'pm25' AND "key" =~ /^$district$/ ` +
    `GROUP BY time(1h), "key" fill(none)`;
  return new timeseries.PanelBuilder()
    .title('PM2.5 移動平均與 AQI 色階（各區）PM2.5 moving average against AQI bands by district')
    .description(
      '指標 = 0.5 × 前 12 小時平均 + 0.5 × 前 4 小時平均（小時平均來自 agg_1h），對照環境部 AQI 各等級的 PM2.5 濃度門檻' +
        `（${AQI_TABLE_VERSION} 版）。這是 PM2.5 指標，不是綜合 AQI。` +
        'Indicator = 0.5 × 12-hour mean + 0.5 × 4-hour mean of hourly means (agg_1h), shown against the MOENV PM2.5 ' +
        `breakpoints of the AQI bands (table of ${AQI_TABLE_VERSION}); it is the PM2.5 indicator, not the composite AQI. ` +
        `Bands (µg/m³): ${pm25BandText()}. Time = start of the last hour in the window; hours without data are skipped, ` +
        'so MOENV minimum valid-hour counts are not enforced here.',
    )
    .span(24)
    .height(9)
    .withTarget(influx(query, { alias: '$tag_key' }))
    .unit(UG_M3)
    .min(0)
    .thresholds(pm25Bands())
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea))
    .legend(legend(['lastNotNull', 'max']));
}

function pm25LatestHour(): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title('各區最近一小時 PM2.5 Latest-hour PM2.5 by district')
    .description(`時間範圍終點前一小時的平均，依 AQI 色階著色。Mean over the hour before the range end, coloured by the AQI bands (${pm25BandText()}).`)
    .span(8)
    .height(9)
    .withTarget(
      influx(`SELECT mean("pm25") AS "pm25" FROM ${MEASUREMENT} WHERE time > \${__to}ms - 1h AND time <= \${__to}ms AND ${byDistrict} GROUP BY "district"`, {
        alias: '$tag_district',
      }),
    )
    .reduceOptions(reduce(['lastNotNull']))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .unit(UG_M3)
    .min(0)
    .thresholds(pm25Bands());
}

function perSensor(field: 'pm25' | 'pm10', title: string, bands: boolean): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .span(bands ? 16 : 12)
    .height(9)
    .withTarget(
      influx(`SELECT mean("${field}") AS "${field}" FROM ${MEASUREMENT} WHERE $timeFilter AND ${byDistrict} AND ${bySensor} GROUP BY time($__interval), "sensor_id" fill(none)`, {
        alias: '$tag_sensor_id',
      }),
    )
    .unit(UG_M3)
    .min(0)
    .legend(legend(['mean', 'max']));
  if (!bands) return panel.description('即時濃度（未做移動平均）。Raw concentration per sensor, no moving average.');
  return panel
    .description(`即時濃度，虛線為 AQI 等級門檻（${pm25BandText()}）。Raw concentration per sensor; dashed lines are the band floors.`)
    .thresholds(pm25Bands())
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
}

function gases(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('臭氧、二氧化氮、二氧化硫 O3, NO2, SO2')
    .description('所選感測器的平均（ppb）。Mean over the selected sensors, ppb.')
    .span(12)
    .height(9)
    .withTarget(
      influx(
        `SELECT mean("o3") AS "o3", mean("no2") AS "no2", mean("so2") AS "so2" FROM ${MEASUREMENT} WHERE $timeFilter AND ${byDistrict} AND ${bySensor} GROUP BY time($__interval) fill(none)`,
      ),
    )
    .unit('ppb')
    .min(0)
    .legend(legend(['mean', 'max']));
}

export function airQualityDashboard(): dashboard.Dashboard {
  return newDashboard('civic-air-quality', '空氣品質 Air quality', 'PM2.5 對照 AQI 色階、各感測器濃度。PM2.5 against the AQI bands, concentrations per sensor.', ['air-quality'])
    .withVariable(districtVariable(MEASUREMENT))
    .withVariable(tagVariable('sensor', '感測器 Sensor', 'sensor_id', MEASUREMENT, [byDistrict]))
    .annotations(alertAnnotations('/^air-quality$/'))
    .withPanel(pm25MovingByDistrict())
    .withPanel(pm25LatestHour())
    .withPanel(perSensor('pm25', 'PM2.5 各感測器 PM2.5 per sensor', true))
    .withPanel(perSensor('pm10', 'PM10 各感測器 PM10 per sensor', false))
    .withPanel(gases())
    .build();
}
