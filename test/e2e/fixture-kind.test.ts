/**
 * A kind is one file (KD1–KD3, issue 15): a sensor kind defined only in the test folder
 * (test/support/kinds/water-quality.ts) runs through the whole pipeline with nothing else in
 * the tree knowing its name: a real MQTT client publishes → the reading is stored and served
 * by the API → the open-data feed and the catalogue list the kind → the kind's own default
 * rule (RL5) opens an alert, whose public CAP message takes the description's category.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { isSensorKind, registerKind } from '../../domain/index.ts';
import { hashSecret, newSecret } from '../../registry/index.ts';
import { waterQuality } from '../support/kinds/water-quality.ts';

// KD2: registered before any stage module loads (they derive their per-kind tables then).
registerKind(waterQuality);
const { connect, eventually, publish, startApp } = await import('../support/app.ts');

const ID = 'wq-shimen-intake';
const KIND = waterQuality.kind;

async function registryWith(dir: string, secret: string): Promise<void> {
  const registry = {
    districts: [{ code: '68000030', name: { 'zh-TW': '大溪區', en: 'Daxi District' } }],
    sensors: [
      {
        id: ID,
        kind: KIND,
        name: { 'zh-TW': '石門水庫 取水口 水質站', en: 'Shimen Reservoir intake water quality' },
        district: '68000030',
        location: { lat: 24.8106, lon: 121.2456 },
        params: { intake: 'reservoir', turbidityLimitNtu: 500 },
        tags: [],
        secretHash: await hashSecret(secret),
      },
    ],
  };
  writeFileSync(path.join(dir, 'registry.yaml'), JSON.stringify(registry, null, 2)); // JSON is YAML
  mkdirSync(path.join(dir, 'simulator'));
  writeFileSync(path.join(dir, 'simulator', 'credentials.json'), JSON.stringify({ sensors: { [ID]: secret }, gateways: {} }));
}

describe('a kind that exists only in test/ runs end to end (KD1–KD3)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-kind-'));
  const secret = newSecret();
  let env: Awaited<ReturnType<typeof startApp>>;
  let client: MqttClient;

  before(async () => {
    assert.ok(isSensorKind(KIND), 'the fixture kind is registered');
    await registryWith(dataDir, secret);
    env = await startApp({ dataDir });
    client = await connect(env.mqttUrl, ID, secret);
  });
  after(async () => {
    client?.end(true);
    await env?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('MQTT in → stored and served by the API, in canonical units', async () => {
    await publish(client, `sensors/${KIND}/${ID}/telemetry`, JSON.stringify({ dateObserved: new Date().toISOString(), pH: 7.4, turbidity: 12 }));
    type Item = { kind?: string; values: Record<string, number> };
    const body = await eventually(async () => {
      const b = await env.json<{ items: Item[] }>(`/api/v1/sensors/${ID}/readings`);
      return b.items.length > 0 && b;
    }, 'the water-quality reading in the API');
    assert.deepEqual(body.items[0]!.values, { pH: 7.4, turbidity: 12 });
    const latest = await env.json<{ items: Array<Item & { sensorId: string }> }>(`/api/v1/latest?kind=${KIND}`);
    assert.deepEqual(latest.items.map((i) => [i.sensorId, i.kind]), [[ID, KIND]]);
  });

  it('open data: the kind\'s latest feed carries the reading and its units; the catalogue lists its dataset', async () => {
    const res = await env.get(`/open-data/v1/feeds/${KIND}/latest`);
    assert.equal(res.status, 200, res.text);
    const feed = JSON.parse(res.text) as { units: Record<string, string>; items: Array<{ sensor: { id: string }; values: Record<string, number> }> };
    assert.deepEqual(feed.units, { pH: '[pH]', turbidity: 'NTU' });
    const mine = feed.items.find((i) => i.sensor.id === ID);
    assert.equal(mine?.values.turbidity, 12);
    const catalogue = JSON.parse((await env.get('/open-data/v1/datasets')).text) as { datasets: Array<{ id: string; category: string; title: { en: string } }> };
    const ds = catalogue.datasets.find((d) => d.id === `civicstream-${KIND}`);
    assert.ok(ds, `datasets: ${catalogue.datasets.map((d) => d.id).join(', ')}`);
    assert.equal(ds.category, '生活安全及品質');
    assert.equal(ds.title.en, 'Water quality sensor data');
    // The console learns kinds (label, order, primary fields) from here (console/src/kinds.ts).
    assert.deepEqual((ds as unknown as { kind: unknown }).kind, { name: KIND, label: waterQuality.label, order: 10, primaryFields: ['pH', 'turbidity'] });
  });

  it('the kind\'s own rule fires: a staff token sees the alert; its public CAP message has the kind\'s category and event code', async () => {
    await publish(client, `sensors/${KIND}/${ID}/telemetry`, JSON.stringify({ dateObserved: new Date(Date.now() + 1000).toISOString(), pH: 7.1, turbidity: 850 }));
    type Alert = { ruleId: string; subject: string; kind: string; severity: string; state: string };
    const alert = await eventually(async () => {
      const b = await env.staffJson<{ items: Alert[] }>('/api/v1/alerts?state=open');
      return b.items.find((a) => a.ruleId === 'water-quality.turbidity' && a.subject === ID);
    }, 'the turbidity alert');
    assert.equal(alert.kind, KIND);
    assert.equal(alert.severity, 'warning');
    const anonymous = await fetch(`${env.info.url}/api/v1/alerts`);
    assert.equal(anonymous.status, 401, 'the alert list needs a staff token');

    const atom = await eventually(async () => {
      const r = await env.get('/open-data/v1/alerts/atom.xml');
      return r.text.includes('<entry>') && r.text;
    }, 'the alert in the public Atom feed');
    const capPath = /\/open-data\/v1\/alerts\/cap\/[^"<\s]+/.exec(atom)?.[0];
    assert.ok(capPath, atom);
    const cap = (await env.get(capPath)).text;
    assert.match(cap, /<category>Health<\/category>/);
    assert.match(cap, /<valueName>civicstream:event<\/valueName>\s*<value>water-quality<\/value>/);
    assert.match(cap, /自來水可能短暫混濁/);
  });
});
