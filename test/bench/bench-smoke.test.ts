import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchOptions, runBench, toMarkdown } from '../../bench/index.ts';

// Runs the real harness in smoke mode: pipeline, load generator, bare aedes and Mosquitto as
// separate processes over real TCP, DuckDB counted from its file after stop.
test('bench smoke: every scenario reports, and acknowledged == stored', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'civic-bench-test-'));
  try {
    const lines: string[] = [];
    const o = await benchOptions({ smoke: true, benchDir: path.join(dir, 'cache'), workDir: path.join(dir, 'work'), log: (l) => lines.push(l) });
    const report = await runBench(o);

    assert.equal(report.mode, 'smoke');
    assert.ok(report.machine.cores >= 1 && report.machine.cpuModel.length > 0 && report.machine.node.startsWith('v'));
    assert.deepEqual(report.errors, []);
    const { city, max, alert, burst } = report.scenarios;
    assert.ok(city && max && alert && burst, 'all four scenarios ran');
    for (const p of [city.pipeline, max.pipeline, alert.pipeline, burst.pipeline]) {
      assert.ok(p.acknowledged > 0);
      assert.equal(p.stored, p.acknowledged, 'acknowledged == stored (counted in the DuckDB file)');
      assert.ok(p.endToEndRate > 0 && p.cpuSecondsPer100k > 0 && p.peakRss > 0 && p.steadyRss > 0);
    }
    assert.equal(max.pipeline.acknowledged, o.maxReadings);
    assert.ok((max.baselines.aedes?.rate ?? 0) > 0 && (max.ratios.aedes ?? 0) > 0);
    // The C broker's run: its own process sampled from /proc (a few MiB, not the wrapper's ~50 MiB heap).
    const mq = max.baselines.mosquitto;
    assert.ok(mq && mq.rate > 0 && mq.complete && (max.ratios.mosquitto ?? 0) > 0, 'the Mosquitto baseline acknowledged its load');
    assert.ok(mq.peakRss > 0 && mq.peakRss < 64 * 2 ** 20, `Mosquitto peak RSS ${mq.peakRss} B is the broker's, not the Node wrapper's`);
    assert.ok(mq.cpuSecondsPer100k > 0, 'the broker process CPU was sampled');
    assert.ok(alert.latency.count > 0 && alert.latency.missing === 0 && alert.latency.early === 0, 'every probe alert arrived on T4, after its triggering reading');
    assert.ok(alert.latency.p50Ms > 0 && alert.latency.p99Ms >= alert.latency.p50Ms && alert.latency.maxMs >= alert.latency.p99Ms);
    assert.ok(burst.burstAckedRate > burst.baseRate, 'the burst raised the rate');
    assert.equal(report.noLoss, true);
    assert.equal(report.targets.find((t) => t.id === 'no-loss')?.met, true);

    const md = toMarkdown(report);
    assert.match(md, /\| 情境 Scenario \|/);
    assert.match(md, /bare aedes broker/);
    assert.match(md, /Mosquitto 2 broker/);
    assert.match(md, new RegExp(report.machine.node.replace(/\./g, '\\.')));
    assert.deepEqual(JSON.parse(JSON.stringify(report)).targets.length, report.targets.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
