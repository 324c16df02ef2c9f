import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { alertAnnotations, byDistrict, bySensor, columns, districtVariable, hideFields, influx, legend, newDashboard, reduce, tagVariable, thresholds, measurementOf } from './shared.ts';

/** 智慧路燈 Smart streetlights: failures, power draw and burning hours (FIWARE Streetlight fields). */

const MEASUREMENT = `"${measurementOf('streetlight')}"`;

/**
 * A lamp counts as burning while it draws more than this (W): controllers and drivers draw
 * a few watts when the lamp is off, so "any draw" would count every hour as burning.
 */
const STANDBY_W = 5;

/** Latest status per light within the range; the building block of the fault panels. */
const latestPerLight = (where: string) =>
  `SELECT last("status") AS "status", last("powerState") AS "powerState", last("powerConsumption") AS "powerConsumption" ` +
  `FROM ${MEASUREMENT} WHERE $timeFilter AND ${where} GROUP BY "sensor_id", "district"`;

function bigNumber(title: string, description: string, query: string, colour: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .span(8)
    .height(5)
    .withTarget(influx(query))
    .reduceOptions(reduce(['lastNotNull']))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .noValue('0')
    .thresholds(thresholds([[null, colour]]));
}

function faultsOverTime(): timeseries.PanelBuilder {
  // Inner: one point per light and interval when it reported a non-ok status; outer: how many lights.
  const query =
    `SELECT count("s") AS "faulty_lights" FROM (SELECT last("status") AS "s" FROM ${MEASUREMENT} ` +
    `WHERE $timeFilter AND ${byDistrict} AND ${bySensor} AND "status" != 'ok' GROUP BY time($__interval), "sensor_id") ` +
    `WHERE $timeFilter GROUP BY time($__interval) fill(0)`;
  return new timeseries.PanelBuilder()
    .title('故障路燈數 Lights reporting a fault')
    .description('每個區間內回報非 ok 狀態的路燈數。Lights with a non-ok status report in each interval.')
    .span(12)
    .height(8)
    .withTarget(influx(query, { alias: '故障 Faulty' }))
    .min(0)
    .decimals(0)
    .legend(legend(['lastNotNull', 'max']));
}

function powerDraw(): timeseries.PanelBuilder {
  // Sum of per-light interval means: a plain mean over all readings would weight lights by report count.
  const query =
    `SELECT sum("p") AS "power_w" FROM (SELECT mean("powerConsumption") AS "p" FROM ${MEASUREMENT} ` +
    `WHERE $timeFilter AND ${byDistrict} AND ${bySensor} GROUP BY time($__interval), "sensor_id") WHERE $timeFilter GROUP BY time($__interval) fill(none)`;
  return new timeseries.PanelBuilder()
    .title('總耗電功率 Total power draw')
    .description('所選路燈的耗電總和。Sum of the selected lights\u2019 mean draw per interval.')
    .span(12)
    .height(8)
    .withTarget(influx(query, { alias: '功率 Power' }))
    .unit('watt')
    .min(0)
    .legend(legend(['lastNotNull', 'max', 'mean']));
}

function faultList(): table.PanelBuilder {
  const query =
    `SELECT "status" AS "status", "powerState" AS "powerState", "powerConsumption" AS "powerConsumption" ` +
    `FROM (${latestPerLight(`${byDistrict} AND ${bySensor}`)}) WHERE "status" != 'ok' GROUP BY "sensor_id", "district"`;
  return new table.PanelBuilder()
    .title('故障清單 Faulty lights')
    .description('最新狀態不是 ok 的路燈。Lights whose latest status is not ok.')
    .span(12)
    .height(9)
    .withTarget(influx(query, { format: 'table' }))
    .withTransformation(hideFields('Time'))
    .overrides(
      columns({
        sensor_id: { title: '路燈 Light' },
        district: { title: '行政區 District' },
        status: { title: '狀態 Status' },
        powerState: { title: '電源 Power state' },
        powerConsumption: { title: '功率 Power', unit: 'watt' },
      }),
    );
}

function burningHours(): table.PanelBuilder {
  // ceil((P − standby) / 1e6) is 1 while P > STANDBY_W and 0 otherwise (P ≤ 5,000 W by the kind's
  // schema); INTEGRAL of that indicator is the lit time, independent of each light's report interval.
  const query =
    `SELECT integral("lit", 1h) AS "burning_h" FROM (SELECT ceil(("powerConsumption" - ${STANDBY_W}) / 1000000) AS "lit" ` +
    `FROM ${MEASUREMENT} WHERE $timeFilter AND ${byDistrict} AND ${bySensor}) GROUP BY "sensor_id"`;
  return new table.PanelBuilder()
    .title('燃點時數 Burning hours')
    .description(`時間範圍內耗電超過 ${STANDBY_W} W 的時數。Hours in the range with a draw above ${STANDBY_W} W (standby excluded).`)
    .span(12)
    .height(9)
    .withTarget(influx(query, { format: 'table' }))
    .withTransformation(hideFields('Time'))
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('燃點時數 Burning hours').desc(true)])
    .overrides(columns({ sensor_id: { title: '路燈 Light' }, burning_h: { title: '燃點時數 Burning hours', unit: 'h' } }));
}

export function streetlightDashboard(): dashboard.Dashboard {
  const scope = `${byDistrict} AND ${bySensor}`;
  return newDashboard('civic-streetlight', '智慧路燈 Smart streetlights', '故障、耗電與燃點時數。Failures, power draw and burning hours.', ['streetlight'])
    .withVariable(districtVariable(MEASUREMENT))
    .withVariable(tagVariable('sensor', '路燈 Light', 'sensor_id', MEASUREMENT, [byDistrict]))
    .annotations(alertAnnotations('/^streetlight$/'))
    .withPanel(
      bigNumber(
        '故障中 Faulty now',
        '最新狀態不是 ok 的路燈數。Lights whose latest status is not ok.',
        `SELECT count("status") AS "faulty" FROM (${latestPerLight(scope)}) WHERE "status" != 'ok'`,
        'red',
      ),
    )
    .withPanel(
      bigNumber(
        '點亮中 Lit now',
        '最新電源狀態為 on 或 low 的路燈數。Lights whose latest power state is on or low.',
        `SELECT count("powerState") AS "lit" FROM (${latestPerLight(scope)}) WHERE "powerState" = 'on' OR "powerState" = 'low'`,
        'yellow',
      ),
    )
    .withPanel(
      bigNumber(
        '目前總功率 Power draw now',
        '各路燈最新功率總和。Sum of each light\u2019s latest draw.',
        `SELECT sum("powerConsumption") AS "power_w" FROM (${latestPerLight(scope)})`,
        'blue',
      ).unit('watt'),
    )
    .withPanel(faultsOverTime())
    .withPanel(powerDraw())
    .withPanel(faultList())
    .withPanel(burningHours())
    .build();
}
