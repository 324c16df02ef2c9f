import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { addStaff } from '../../alerts/index.ts';
import { connect, eventually, publish, startApp } from '../support/app.ts';

type Item = { sensorId: string; kind: string; values: Record<string, unknown>; flags: string[] };
type DeadLetterItem = { reason: string; topic: string; sensorId?: string; payload: string; message: string };

/** Runs a command without blocking the event loop (the broker under test lives in this process). */
function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe('end to end: MQTT → ingest → analytics → DuckDB → HTTP API', () => {
  let env: Awaited<ReturnType<typeof startApp>>;
  const clients: MqttClient[] = [];
  const now = () => new Date().toISOString();
  const direct = { 'air-quality': 'aq-zhongli-road-01', 'water-level': 'wl-laojie-zhongli', streetlight: 'sl-zhongli-zhonghua-01', parking: 'pk-zhongli-station-front' } as const;

  before(async () => {
    env = await startApp({ 'analytics.allowedLatenessSeconds': 0 });
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await env.stop();
  });

  const sensorClient = async (id: string) => {
    const c = await connect(env.mqttUrl, id, env.credentials.sensors[id] as string);
    clients.push(c);
    return c;
  };

  it('stores valid readings of all four kinds and serves them as latest, by kind, and as CSV', async () => {
    const payloads: Record<keyof typeof direct, object> = {
      'air-quality': { dateObserved: now(), pm25: 18.2, pm10: 33 },
      'water-level': { dateObserved: now(), currentLevel: 1.42 },
      streetlight: { dateObserved: now(), powerState: 'on', status: 'ok', powerConsumption: 96.5 },
      parking: { dateObserved: now(), availableSpotNumber: 41 },
    };
    for (const [kind, id] of Object.entries(direct) as Array<[keyof typeof direct, string]>) {
      const c = await sensorClient(id);
      await publish(c, `sensors/${kind}/${id}/telemetry`, JSON.stringify(payloads[kind]));
    }
    const latest = await eventually(async () => {
      const body = await env.json<{ items: Item[] }>('/api/v1/latest');
      return Object.values(direct).every((id) => body.items.some((i) => i.sensorId === id)) && body;
    }, 'readings of all four kinds in /api/v1/latest');
    const byId = new Map(latest.items.map((i) => [i.sensorId, i]));
    assert.equal(byId.get(direct['air-quality'])?.values.pm25, 18.2);
    assert.equal(byId.get(direct['water-level'])?.values.currentLevel, 1.42);
    assert.equal(byId.get(direct.streetlight)?.values.powerState, 'on');
    assert.equal(byId.get(direct.parking)?.values.occupiedSpotNumber, (byId.get(direct.parking)?.values.totalSpotNumber as number) - 41);
    assert.ok(byId.get(direct.parking)?.flags.includes('ESTIMATED'));

    const parking = await env.json<{ items: Item[] }>('/api/v1/latest?kind=parking');
    assert.ok(parking.items.length >= 1 && parking.items.every((i) => i.kind === 'parking'));

    const csv = await env.get(`/api/v1/sensors/${direct['air-quality']}/readings?format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const [header, row] = csv.text.trim().split(/\r?\n/);
    assert.match(header ?? '', /pm25 \(ug\/m3\)/);
    assert.match(row ?? '', /18\.2/);
  });

  it('accepts SenML and converts units', async () => {
    const id = 'aq-zhongli-ind-01';
    const c = await sensorClient(id);
    await publish(c, `sensors/air-quality/${id}/telemetry`, JSON.stringify([{ bn: `urn:dev:${id}:`, n: 'pm25', u: 'mg/m3', v: 0.0251 }, { n: 'pm10', u: 'ug/m3', v: 40 }]));
    const item = await eventually(async () => (await env.json<{ items: Item[] }>('/api/v1/latest?kind=air-quality')).items.find((i) => i.sensorId === id), 'SenML reading');
    assert.ok(Math.abs((item.values.pm25 as number) - 25.1) < 1e-9);
    assert.equal(item.values.pm10, 40);
  });

  it('dead-letters malformed payloads with reason and raw payload, counts them, and tells the sensor on its rejections topic', async () => {
    const id = 'aq-taoyuan-road-01';
    const c = await sensorClient(id);
    const notices: Array<{ code: string }> = [];
    await new Promise<void>((resolve, reject) => c.subscribe(`sensors/air-quality/${id}/rejections`, { qos: 0 }, (err) => (err ? reject(err) : resolve())));
    c.on('message', (_t, p) => notices.push(JSON.parse(p.toString()) as { code: string }));
    await publish(c, `sensors/air-quality/${id}/telemetry`, '{"pm25": 12,');
    await publish(c, `sensors/air-quality/${id}/telemetry`, JSON.stringify({ pm25: 'a lot' }));
    await publish(c, `sensors/air-quality/${id}/telemetry`, JSON.stringify({ pm25: 5, dateObserved: '1999-01-01T00:00:00+08:00' }));
    const letters = await eventually(async () => {
      const body = await env.staffJson<{ items: DeadLetterItem[] }>(`/api/v1/dead-letters?sensor=${id}`);
      return body.items.length >= 3 && body.items;
    }, 'three dead letters');
    const reasons = letters.map((d) => d.reason).sort();
    assert.deepEqual(reasons, ['BAD_JSON', 'SCHEMA', 'TIMESTAMP_RANGE']);
    assert.ok(letters.some((d) => d.payload === '{"pm25": 12,'), 'raw payload kept');
    const counts = await env.staffJson<{ counts: Record<string, number> }>('/api/v1/dead-letters/counts');
    assert.ok((counts.counts.BAD_JSON ?? 0) >= 1 && (counts.counts.SCHEMA ?? 0) >= 1);
    await eventually(async () => notices.length >= 3, 'rejection notices on T3');
    assert.deepEqual(notices.map((n) => n.code).sort(), ['BAD_JSON', 'SCHEMA', 'TIMESTAMP_RANGE']);
    const metrics = await env.get('/metrics');
    assert.match(metrics.text, /civic_ingest_rejected_total\{reason="BAD_JSON"\} [1-9]/);
  });

  it('gateways publish for their sensors; an unknown sensor behind a gateway is dead-lettered', async () => {
    const gw = 'gw-lora-taoyuan-01';
    const c = await connect(env.mqttUrl, gw, env.credentials.gateways[gw] as string);
    clients.push(c);
    await publish(c, 'sensors/water-level/fl-zhongli-xinsheng/telemetry', JSON.stringify({ dateObserved: now(), floodDepth: 2 }));
    await publish(c, 'sensors/water-level/fl-not-registered/telemetry', JSON.stringify({ floodDepth: 2 }));
    await eventually(async () => (await env.json<{ items: Item[] }>('/api/v1/latest?kind=water-level')).items.find((i) => i.sensorId === 'fl-zhongli-xinsheng'), 'gateway reading');
    await eventually(async () => (await env.staffJson<{ items: DeadLetterItem[] }>('/api/v1/dead-letters?reason=UNKNOWN_SENSOR')).items.length > 0, 'UNKNOWN_SENSOR dead letter');
  });

  it('opens a flood alert after two readings above the threshold and resolves it after 15 minutes below the clearing level', async () => {
    const gw = 'gw-lora-taoyuan-01';
    const c = await connect(env.mqttUrl, gw, env.credentials.gateways[gw] as string);
    clients.push(c);
    const topic = 'sensors/water-level/fl-taoyuan-zhongshan/telemetry';
    const t0 = Date.now() - 40 * 60_000; // event time drives the rule: a recent past sequence
    const send = (minutes: number, floodDepth: number) => publish(c, topic, JSON.stringify({ dateObserved: t0 + minutes * 60_000, floodDepth }));
    type A = { subject: string; ruleId: string; state: string; severity: string };
    const find = async (state: string) => (await env.json<{ items: A[] }>(`/api/v1/alerts?state=${state}`)).items.find((a) => a.subject === 'fl-taoyuan-zhongshan' && a.ruleId === 'water.road.flood');
    // B14: a staff member reads alerts over MQTT with an API token (stored as a hash).
    const { token } = await addStaff(env.app.alerts.store, 'duty-officer', 'viewer', Date.now());
    const staff = await connect(env.mqttUrl, 'duty-officer', token);
    clients.push(staff);
    await staff.subscribeAsync('alerts/#', { qos: 1 });
    await assert.rejects(staff.subscribeAsync('sensors/#'), 'staff may not read raw sensor topics');
    const alertMsg = new Promise<Record<string, unknown>>((resolve) =>
      staff.on('message', (t, p) => t === 'alerts/water-level/68000010/fl-taoyuan-zhongshan/water.road.flood' && p.length > 0 && resolve(JSON.parse(p.toString()) as Record<string, unknown>)),
    );
    await send(0, 35);
    await send(1, 36); // "for: count 2": the second reading in a row opens it
    const onMqtt = await alertMsg;
    assert.match(JSON.stringify(onMqtt), /critical/);
    const open = await eventually(() => find('open'), 'open flood alert');
    assert.equal(open.severity, 'critical'); // 35 cm ≥ 3 × the 10 cm threshold
    await send(5, 0);
    await send(12, 0);
    // Wait until that reading is stored (and so evaluated) before checking the alert is still open.
    await eventually(async () => (await env.json<{ items: Array<{ tsMs: number }> }>(`/api/v1/sensors/fl-taoyuan-zhongshan/readings?from=${new Date(t0).toISOString()}`)).items.some((r) => r.tsMs === t0 + 12 * 60_000), 'reading at +12 min stored');
    await env.app.runTick();
    assert.equal(await find('resolved'), undefined, 'not resolved before the 15-minute clearing period');
    assert.ok(await find('open'), 'still open during the clearing period');
    await send(21, 0);
    await eventually(() => find('resolved'), 'resolved flood alert');
  });

  it('stores readings behind the watermark flagged LATE and re-aggregates their window from the stored readings (LA3)', async () => {
    const id = 'aq-bade-road-01';
    const c = await sensorClient(id);
    const base = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
    for (const [i, pm25] of [10, 20, 30].entries()) await publish(c, `sensors/air-quality/${id}/telemetry`, JSON.stringify({ dateObserved: base + i * 1000, pm25 }));
    const stored = await eventually(async () => {
      const body = await env.json<{ items: Array<{ flags: string[] }> }>(`/api/v1/sensors/${id}/readings?from=${new Date(base).toISOString()}`);
      return body.items.length === 3 && body.items;
    }, 'late readings stored');
    assert.ok(stored.every((r) => r.flags.includes('LATE')));
    const agg = await eventually(async () => {
      await env.app.runTick();
      const aggs = await env.json<{ items: Array<{ field: string; count: number; mean: number; complete: boolean }> }>(`/api/v1/aggregates?scope=sensor&period=1m&key=${id}&from=${new Date(base).toISOString()}`);
      return aggs.items.find((a) => a.field === 'pm25');
    }, 'the late readings\' 1-minute aggregate');
    assert.equal(agg.count, 3, 'LA3: every late reading counted once');
    assert.equal(agg.mean, 20);
    assert.equal(agg.complete, true);
  });

  it('closes 1-minute sensor and district aggregates when the watermark passes the window', { timeout: 120_000 }, async () => {
    const id = 'aq-guishan-road-01';
    const c = await sensorClient(id);
    const sent: Array<{ ts: number; pm25: number }> = [];
    for (const pm25 of [11, 22, 33]) {
      const ts = Date.now();
      sent.push({ ts, pm25 });
      await publish(c, `sensors/air-quality/${id}/telemetry`, JSON.stringify({ dateObserved: ts, pm25 }));
    }
    const window = Math.floor((sent[0] as { ts: number }).ts / 60_000) * 60_000;
    const inWindow = sent.filter((s) => s.ts < window + 60_000).map((s) => s.pm25);
    type Agg = { key: string; field: string; count: number; mean: number; min: number; max: number; start: string };
    // With allowedLatenessSeconds = 0 the window closes at its end: at most a minute away.
    const agg = await eventually(async () => {
      const body = await env.json<{ items: Agg[] }>(`/api/v1/aggregates?scope=sensor&period=1m&key=${id}&field=pm25&from=${new Date(window).toISOString()}&to=${new Date(window + 60_000).toISOString()}`);
      return body.items[0];
    }, 'closed 1-minute aggregate', 75_000);
    assert.equal(agg.count, inWindow.length);
    assert.equal(agg.min, Math.min(...inWindow));
    assert.equal(agg.max, Math.max(...inWindow));
    assert.ok(Math.abs(agg.mean - inWindow.reduce((a, b) => a + b, 0) / inWindow.length) < 1e-9);
    const district = await env.json<{ items: Agg[] }>(`/api/v1/aggregates?scope=district&period=1m&key=68000070&field=pm25&from=${new Date(window).toISOString()}&to=${new Date(window + 60_000).toISOString()}`);
    assert.ok((district.items[0]?.count ?? 0) >= inWindow.length, 'district aggregate includes the sensor');
  });

  it('refuses mosquitto_pub without credentials and accepts it with a registered sensor secret', async () => {
    const id = 'aq-luzhu-road-01';
    const port = String(env.info.mqttPort);
    const anon = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', `sensors/air-quality/${id}/telemetry`, '-m', '{"pm25":1}', '-q', '1']);
    // mosquitto_pub exits with the CONNACK return code: 5 = not authorised (MQTT 3.1.1 §3.2.2.3).
    assert.equal(anon.status, 5, `anonymous publish must be refused: ${anon.stdout}${anon.stderr}`);
    const wrong = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', id, '-P', 'not-the-secret', '-t', `sensors/air-quality/${id}/telemetry`, '-m', '{"pm25":1}', '-q', '1']);
    assert.equal(wrong.status, 4, `wrong secret must be refused with 4 (bad user name or password): ${wrong.stdout}${wrong.stderr}`);
    const ok = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', id, '-P', env.credentials.sensors[id] as string, '-i', `${id}-mosq`, '-t', `sensors/air-quality/${id}/telemetry`, '-m', JSON.stringify({ dateObserved: now(), pm25: 7.7 }), '-q', '1']);
    assert.equal(ok.status, 0, ok.stderr);
    const item = await eventually(async () => (await env.json<{ items: Item[] }>('/api/v1/latest?kind=air-quality')).items.find((i) => i.sensorId === id), 'mosquitto_pub reading');
    assert.equal(item.values.pm25, 7.7);
  });

  it('B13: anonymous WebSocket readers get public/… readings and nothing else', async () => {
    const mqtt = (await import('mqtt')).default;
    const reader = await mqtt.connectAsync(`ws://127.0.0.1:${env.info.wsPort}/mqtt`, { reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(reader);
    await reader.subscribeAsync('public/#');
    // mqtt.js rejects a subscription the broker refused with SUBACK 0x80 (MQTT 3.1.1 §3.9.3).
    for (const filter of ['sensors/#', '$SYS/#', 'alerts/#', '#']) await assert.rejects(reader.subscribeAsync(filter), filter);
    const got = new Promise<{ topic: string; body: Record<string, unknown> }>((resolve) => reader.on('message', (topic, p) => topic.endsWith('/aq-pingzhen-road-01') && resolve({ topic, body: JSON.parse(p.toString()) as Record<string, unknown> })));
    const c = await sensorClient('aq-pingzhen-road-01');
    await publish(c, 'sensors/air-quality/aq-pingzhen-road-01/telemetry', JSON.stringify({ dateObserved: now(), pm25: 9.5 }));
    const msg = await got;
    assert.equal(msg.topic, 'public/air-quality/aq-pingzhen-road-01');
    assert.match(JSON.stringify(msg.body), /9\.5/);
    // Anonymous readers publish nothing: the connection is closed.
    const closed = new Promise<void>((resolve) => reader.once('close', () => resolve()));
    reader.publish('public/air-quality/aq-pingzhen-road-01', '{"pm25":999}', { qos: 1 });
    await closed;
  });

  it('reports broker, journal and store in /healthz and the OpenAPI document at /docs', async () => {
    const health = await env.json<{ status: string; components: Record<string, { ok: boolean }> }>('/healthz');
    assert.equal(health.status, 'ok');
    for (const c of ['broker', 'journal', 'store']) assert.equal(health.components[c]?.ok, true, c);
    const doc = await env.json<{ paths: Record<string, unknown> }>('/docs/json');
    for (const p of ['/api/v1/latest', '/api/v1/sensors', '/api/v1/alerts', '/healthz']) assert.ok(p in doc.paths, p);
  });
});
