/**
 * Alert latency under background load: publish of a triggering reading → the alert on
 * MQTT at a staff subscriber, p50/p99, while background sensors publish at a fixed rate.
 *
 *   node --import tsx test/alerts/bench/latency.ts [backgroundSensors=2000] [backgroundRatePerSec=2000] [samples=200]
 *
 * Uses the alerts harness (test/alerts/harness.ts): aedes with the staff ACL, the alert
 * engine (a probe flood rule plus threshold/freshness/stuck rules on every background sensor), state store with fsync, e-mail/webhook routing off.
 * It does NOT include the app's ingest path (validation, journal group commit): add the
 * ingest latency measured by the pipeline benchmarks to compare with `npm start`.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { addStaff } from '../../../alerts/staff-tokens.ts';
import { ZHONGLI, roadFloodSensor } from '../../analytics/fixtures.ts';
import { LOAD_GATEWAY, SENSOR_SECRET, startHarness } from '../harness.ts';

const [bgN = 2000, rate = 2000, samples = 200] = process.argv.slice(2).map(Number);
const sensors = Array.from({ length: bgN + 1 }, (_, i) => roadFloodSensor(`rf-${i}`, ZHONGLI, 10));
const probe = sensors[0]!;
const dir = await mkdtemp(path.join(tmpdir(), 'civic-alerts-bench-'));
const rulesFile = path.join(dir, 'rules.yaml');
// The default flood rule waits for 2 readings and 15 clear minutes; the probe needs an
// immediate open/clear, so it gets its own rule next to the default health rules.
await writeFile(rulesFile, `version: 1
flap: { maxTransitions: 100000, windowMinutes: 1 }
rules:
  - id: bench.flood
    type: threshold
    name: { zh-TW: 淹水, en: Flooding }
    target: { ids: [${probe.id}] }
    field: floodDepth
    levels: [{ severity: critical, above: { param: floodThresholdCm }, label: { zh-TW: 淹水, en: Flooding } }]
  - { id: water.road.flood, type: threshold, name: { zh-TW: 淹水, en: Flood }, field: floodDepth, levels: [{ severity: warning, above: { param: floodThresholdCm }, label: { zh-TW: 淹水, en: Flood } }], for: { count: 2 } }
  - { id: health.silent, type: freshness, name: { zh-TW: 無資料, en: Silent }, factor: 3, severity: warning, label: { zh-TW: 無資料, en: Silent } }
  - { id: water.road.stuck, type: stuck, name: { zh-TW: 凍結, en: Stuck }, field: floodDepth, count: 100, severity: advisory, label: { zh-TW: 凍結, en: Stuck } }
`);
const h = await startHarness({ sensors, rulesFile, contactsYaml: () => 'contacts: []\nsubscriptions: []\n', dataDir: dir, tickMs: 1000 });
const token = (await addStaff(h.alerts.store, 'bench', 'viewer', Date.now())).token;
const connect = (u: string, p: string) => new Promise<MqttClient>((res, rej) => {
  const c = mqtt.connect(h.mqttUrl, { username: u, password: p, clientId: `${u}-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  c.once('connect', () => res(c));
  c.once('error', rej);
});
const staff = await connect('bench', token);
const topic = `alerts/water-level/${ZHONGLI.code}/${probe.id}`;
let resolveNext: ((t: number) => void) | undefined;
staff.on('message', (t, p) => {
  if (t === topic && p.length > 0) resolveNext?.(performance.now());
});
await staff.subscribeAsync(topic, { qos: 1 });
const dev = await connect(probe.id, SENSOR_SECRET);

// Background load: 4 gateway connections, QoS 1, depths below the flood threshold.
const gws = await Promise.all([1, 2, 3, 4].map(() => connect(LOAD_GATEWAY, SENSOR_SECRET)));
let sent = 0;
let k = 0;
const perTick = Math.max(1, Math.round(rate / 100));
const load = setInterval(() => {
  for (let i = 0; i < perTick; i++) {
    const s = sensors[1 + (k++ % bgN)]!;
    gws[k % gws.length]!.publish(`sensors/water-level/${s.id}/telemetry`, JSON.stringify({ floodDepth: k % 5 }), { qos: 1 });
    sent++;
  }
}, 10);
await new Promise((r) => setTimeout(r, 2000)); // warm-up
const lat: number[] = [];
for (let i = 0; i < samples; i++) {
  const got = new Promise<number>((r) => (resolveNext = r));
  const t0 = performance.now();
  dev.publish(`sensors/water-level/${probe.id}/telemetry`, JSON.stringify({ floodDepth: 40 }), { qos: 1 });
  lat.push((await got) - t0);
  await dev.publishAsync(`sensors/water-level/${probe.id}/telemetry`, JSON.stringify({ floodDepth: 0 }), { qos: 1 });
  await new Promise((r) => setTimeout(r, 20));
}
clearInterval(load);
const sorted = [...lat].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1);
console.log(JSON.stringify({ backgroundSensors: bgN, backgroundRatePerSec: rate, backgroundSent: sent, samples: lat.length, p50Ms: Number(q(0.5)), p99Ms: Number(q(0.99)), maxMs: Number(sorted[sorted.length - 1]!.toFixed(1)) }));
for (const c of [staff, dev, ...gws]) c.end(true);
await h.stop();
