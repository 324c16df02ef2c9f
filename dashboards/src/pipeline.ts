import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { columns, influx, legend, newDashboard, reduce, tagVariable, thresholds, M_DEAD_LETTERS, M_PIPELINE } from './shared.ts';

/**
 * 管線健康 Pipeline health: what operators watch to prove "no silent loss" — ingest rate,
 * rejects by reason (dead letters), journal lag, InfluxDB write latency and the disk backlog.
 */

const byReason = `"reason" =~ /^$reason$/`;

function series(title: string, description: string, query: string, unit: string, span = 12): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .span(span)
    .height(8)
    .withTarget(influx(query))
    .unit(unit)
    .min(0)
    .legend(legend(['lastNotNull', 'max', 'mean']));
}

function now(title: string, query: string, unit: string, steps: ReadonlyArray<readonly [number | null, string]>): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .span(6)
    .height(4)
    .withTarget(influx(query))
    .reduceOptions(reduce(['lastNotNull']))
    .graphMode(common.BigValueGraphMode.Area)
    .unit(unit)
    .thresholds(thresholds(steps));
}

function rejectsByReason(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('拒收原因 Rejects by reason')
    .description('死信數，依 ingest 錯誤代碼分類（domain/types.ts RejectReason）。Dead letters per interval by reject code.')
    .span(12)
    .height(8)
    .withTarget(
      influx(`SELECT count("payload_bytes") AS "rejects" FROM "${M_DEAD_LETTERS}" WHERE $timeFilter AND ${byReason} GROUP BY time($__interval), "reason" fill(0)`, {
        alias: '$tag_reason',
      }),
    )
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    .min(0)
    .legend(legend(['sum']));
}

function latestDeadLetters(): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('最近死信 Latest dead letters')
    .description('最新 100 筆，含伺服器訊息與原始內容（已截斷）。Newest 100, with the reason message and the (cut) raw payload.')
    .span(24)
    .height(9)
    .withTarget(
      influx(
        `SELECT "reason" AS "reason", "message" AS "message", "topic" AS "topic", "client_id" AS "client_id", "sensor_id" AS "sensor_id", ` +
          `"payload_bytes" AS "payload_bytes", "payload" AS "payload" FROM "${M_DEAD_LETTERS}" WHERE $timeFilter AND ${byReason} ORDER BY time DESC LIMIT 100`,
        { format: 'table' },
      ),
    )
    .overrides(
      columns({
        Time: { title: '時間 Time', unit: 'dateTimeAsIso' },
        reason: { title: '原因 Reason' },
        message: { title: '訊息 Message' },
        topic: { title: '主題 Topic' },
        client_id: { title: '用戶端 Client' },
        sensor_id: { title: '感測器 Sensor' },
        payload_bytes: { title: '大小 Size', unit: 'bytes' },
        payload: { title: '內容 Payload' },
      }),
    );
}

export function pipelineDashboard(): dashboard.Dashboard {
  return newDashboard('civic-pipeline', '管線健康 Pipeline health', '接收、拒收、日誌與 InfluxDB 寫入。Ingest, rejects, journal and InfluxDB writes.', ['pipeline'])
    .withVariable(tagVariable('reason', '拒收原因 Reject reason', 'reason', `"${M_DEAD_LETTERS}"`))
    .withPanel(now('目前接收速率 Ingest rate now', `SELECT last("ingest_rate") AS "ingest_rate" FROM "${M_PIPELINE}" WHERE $timeFilter`, 'cps', [[null, 'green']]))
    .withPanel(now('範圍內拒收數 Rejects in range', `SELECT count("payload_bytes") AS "rejects" FROM "${M_DEAD_LETTERS}" WHERE $timeFilter AND ${byReason} GROUP BY time($__interval) fill(0)`, 'short', [[null, 'green'], [1, 'orange']]).reduceOptions(reduce(['sum'])))
    .withPanel(now('目前寫入積壓 Store backlog now', `SELECT last("store_backlog") AS "store_backlog" FROM "${M_PIPELINE}" WHERE $timeFilter`, 'short', [[null, 'green'], [1, 'orange'], [100000, 'red']]))
    .withPanel(now('平均寫入延遲 Mean write latency', `SELECT mean("influx_write_ms") AS "influx_write_ms" FROM "${M_PIPELINE}" WHERE $timeFilter`, 'ms', [[null, 'green'], [500, 'orange'], [2000, 'red']]))
    .withPanel(series('接收速率 Ingest rate', '每秒接受的讀數。Readings accepted per second.', `SELECT mean("ingest_rate") AS "ingest_rate" FROM "${M_PIPELINE}" WHERE $timeFilter GROUP BY time($__interval) fill(null)`, 'cps'))
    .withPanel(rejectsByReason())
    .withPanel(
      series(
        '日誌延遲 Journal lag',
        '日誌已寫入但下游尚未處理的量（應用程式回報的 journal_lag）。How far downstream consumers trail the journal, as the app reports journal_lag.',
        `SELECT max("journal_lag") AS "journal_lag" FROM "${M_PIPELINE}" WHERE $timeFilter GROUP BY time($__interval) fill(null)`,
        'short',
        8,
      ),
    )
    .withPanel(
      series(
        'InfluxDB 寫入延遲 Write latency',
        '每批寫入耗時（平均與最大）。Time per batch write, mean and max.',
        `SELECT mean("influx_write_ms") AS "mean_ms", max("influx_write_ms") AS "max_ms" FROM "${M_PIPELINE}" WHERE $timeFilter GROUP BY time($__interval) fill(null)`,
        'ms',
        8,
      ),
    )
    .withPanel(
      series(
        'InfluxDB 待寫積壓 Store backlog',
        '資料庫停機或變慢時暫存於磁碟、等待重送的筆數；應回到 0。Lines spooled to disk while InfluxDB is down or slow; must drain to 0.',
        `SELECT max("store_backlog") AS "store_backlog" FROM "${M_PIPELINE}" WHERE $timeFilter GROUP BY time($__interval) fill(null)`,
        'short',
        8,
      ),
    )
    .withPanel(latestDeadLetters())
    .build();
}
