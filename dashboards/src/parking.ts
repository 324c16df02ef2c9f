import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { alertAnnotations, byDistrict, bySensor, districtVariable, influx, legend, newDashboard, reduce, tagVariable, thresholds, measurementOf } from './shared.ts';

/** 停車場 Parking: occupancy and free spaces per lot (FIWARE OffStreetParking fields). */

const MEASUREMENT = `"${measurementOf('parking')}"`;
const scope = `${byDistrict} AND ${bySensor}`;

/**
 * Occupancy colours: 95 % is the registry's default "nearly full" ratio (domain/kinds/parking.ts
 * nearlyFullRatio); 85 % is where drivers already start circling.
 */
const OCCUPANCY_BANDS = thresholds([
  [null, 'green'],
  [85, 'yellow'],
  [95, 'orange'],
  [100, 'red'],
]);

/** Latest counts per lot within the range. */
const latestPerLot =
  `SELECT last("availableSpotNumber") AS "free", last("occupiedSpotNumber") AS "occupied", last("totalSpotNumber") AS "total" ` +
  `FROM ${MEASUREMENT} WHERE $timeFilter AND ${scope} GROUP BY "sensor_id"`;

function bigNumber(title: string, description: string, query: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .span(8)
    .height(5)
    .withTarget(influx(query))
    .reduceOptions(reduce(['lastNotNull']))
    .graphMode(common.BigValueGraphMode.None)
    .noValue('0');
}

function occupancy(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('佔用率 Occupancy per lot')
    .description('已停車位 ÷ 總車位。Occupied ÷ total spaces; a line pinned at 100 % or flat for hours is worth a look.')
    .span(12)
    .height(9)
    .withTarget(
      influx(
        `SELECT mean("occupiedSpotNumber") / mean("totalSpotNumber") * 100 AS "occupancy_pct" FROM ${MEASUREMENT} WHERE $timeFilter AND ${scope} GROUP BY time($__interval), "sensor_id" fill(none)`,
        { alias: '$tag_sensor_id' },
      ),
    )
    .unit('percent')
    .min(0)
    .max(100)
    .thresholds(OCCUPANCY_BANDS)
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
    .legend(legend(['lastNotNull', 'max']));
}

function freeNow(): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title('剩餘車位 Free spaces now')
    .description('各停車場最新一筆剩餘車位。Latest available spaces per lot.')
    .span(12)
    .height(9)
    .withTarget(
      influx(`SELECT last("availableSpotNumber") AS "free" FROM ${MEASUREMENT} WHERE $timeFilter AND ${scope} GROUP BY "sensor_id"`, { alias: '$tag_sensor_id' }),
    )
    .reduceOptions(reduce(['lastNotNull']))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .min(0)
    .decimals(0)
    .thresholds(thresholds([[null, 'red'], [1, 'orange'], [20, 'green']]));
}

function freeOverTime(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('剩餘車位趨勢 Free spaces over time')
    .span(24)
    .height(8)
    .withTarget(
      influx(
        `SELECT last("availableSpotNumber") AS "free" FROM ${MEASUREMENT} WHERE $timeFilter AND ${scope} GROUP BY time($__interval), "sensor_id" fill(none)`,
        { alias: '$tag_sensor_id' },
      ),
    )
    .min(0)
    .decimals(0)
    .legend(legend(['lastNotNull', 'min']));
}

export function parkingDashboard(): dashboard.Dashboard {
  return newDashboard('civic-parking', '停車場 Parking', '各停車場佔用率與剩餘車位。Occupancy and free spaces per lot.', ['parking'])
    .withVariable(districtVariable(MEASUREMENT))
    .withVariable(tagVariable('sensor', '停車場 Lot', 'sensor_id', MEASUREMENT, [byDistrict]))
    .annotations(alertAnnotations('/^parking$/'))
    .withPanel(bigNumber('剩餘車位合計 Free spaces, total', '所選停車場最新剩餘車位總和。Sum of the latest free spaces.', `SELECT sum("free") AS "free" FROM (${latestPerLot})`).decimals(0))
    .withPanel(
      bigNumber('整體佔用率 Overall occupancy', '已停 ÷ 總車位（最新）。Latest occupied ÷ total over the selected lots.', `SELECT sum("occupied") / sum("total") * 100 AS "occupancy_pct" FROM (${latestPerLot})`)
        .unit('percent')
        .thresholds(OCCUPANCY_BANDS),
    )
    .withPanel(
      bigNumber('已滿停車場 Full lots', '最新剩餘車位為 0 的停車場數。Lots whose latest free count is 0.', `SELECT count("free") AS "full_lots" FROM (${latestPerLot}) WHERE "free" <= 0`)
        .thresholds(thresholds([[null, 'green'], [1, 'red']])),
    )
    .withPanel(occupancy())
    .withPanel(freeNow())
    .withPanel(freeOverTime())
    .build();
}
