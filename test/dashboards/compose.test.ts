import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { OUTPUT_DIR, renderDashboards } from '../../dashboards/generate.ts';
import { DATASOURCE_UID } from '../../dashboards/src/shared.ts';
import { ENV_OVERRIDES } from '../../app/config-schema.ts';

// docker-compose.yml cannot run here (no Docker), so its consistency with the generated
// provisioning is checked statically: mounts exist, uids and URLs agree, env names are real.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const services = compose.services;
const datasources = (parse(read('dashboards/provisioning/datasources/influxdb.yaml')) as { datasources: Array<Record<string, any>> }).datasources;
const providers = (parse(read('dashboards/provisioning/dashboards/provider.yaml')) as { providers: Array<Record<string, any>> }).providers;

/** host path → container path for the bind mounts of a service. */
function binds(s: Service): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of s.volumes ?? []) {
    const [host, container, mode] = v.split(':');
    if (host?.startsWith('.')) {
      assert.equal(mode, 'ro', `${v}: provisioning must be mounted read-only`);
      out.set(resolve(ROOT, host), container as string);
    }
  }
  return out;
}

test('compose runs influxdb 1.8, grafana and civicstream built from the Dockerfile', () => {
  assert.deepEqual(Object.keys(services).sort(), ['civicstream', 'grafana', 'influxdb']);
  assert.match(services.influxdb?.image ?? '', /^influxdb:1\.8/);
  assert.match(services.grafana?.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/, 'pin the Grafana version the dashboards were written for');
  assert.equal(services.civicstream?.build?.dockerfile, 'Dockerfile');
  assert.ok(existsSync(join(ROOT, 'Dockerfile')));
  assert.match(read('Dockerfile'), /npm ci[\s\S]*CMD \["npx", "tsx", "cli\/main\.ts", "start"\]/);
});

test('grafana mounts existing provisioning folders where the provider looks', () => {
  const mounts = binds(services.grafana as Service);
  const dsDir = resolve(ROOT, 'dashboards/provisioning/datasources');
  const dashDir = resolve(OUTPUT_DIR);
  for (const host of mounts.keys()) assert.ok(existsSync(host) && statSync(host).isDirectory(), `${host} must exist`);
  assert.equal(mounts.get(dsDir), '/etc/grafana/provisioning/datasources');
  const dashMount = mounts.get(dashDir);
  assert.equal(dashMount, '/etc/grafana/provisioning/dashboards');
  assert.equal(providers.length, 1);
  assert.equal(providers[0]?.options?.path, dashMount, 'provider path must be where the JSON is mounted');
  const home = services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
  assert.ok(home.startsWith(`${dashMount}/`));
  assert.ok(posix.basename(home) in renderDashboards(), `home dashboard ${home} is not generated`);
});

test('datasource uid, type, URL and database agree with the dashboards and compose', () => {
  assert.equal(datasources.length, 1);
  const ds = datasources[0] as Record<string, any>;
  assert.equal(ds.uid, DATASOURCE_UID);
  assert.equal(ds.type, 'influxdb');
  assert.equal(ds.jsonData?.version, 'InfluxQL');
  assert.equal(ds.url, services.civicstream?.environment?.CIVIC_INFLUX_URL);
  assert.equal(new URL(String(ds.url)).hostname, 'influxdb', 'URL must name the compose service');
  assert.equal(ds.jsonData?.dbName, services.civicstream?.environment?.CIVIC_INFLUX_DB);
  assert.equal(ds.jsonData?.dbName, services.influxdb?.environment?.INFLUXDB_DB);
  const uids = new Set<string>();
  for (const text of Object.values(renderDashboards())) for (const m of text.matchAll(/"uid": "([^"]+)"/g)) uids.add(m[1] as string);
  for (const uid of uids) assert.ok(uid === DATASOURCE_UID || uid.startsWith('civic-'), `unexpected uid ${uid}`);
  assert.ok(uids.has(DATASOURCE_UID));
});

test('civicstream gets the InfluxDB settings through real CIVIC_* variables', () => {
  const env = services.civicstream?.environment ?? {};
  assert.equal(env.CIVIC_STORE, 'influxdb');
  assert.equal(env.CIVIC_BIND, '0.0.0.0');
  for (const name of Object.keys(env)) assert.ok(name in ENV_OVERRIDES, `${name} is not a config override (app/config-schema.ts)`);
  const published = (services.civicstream?.ports ?? []).map((p) => p.split(':')[1]);
  assert.deepEqual(published.sort(), [env.CIVIC_MQTT_PORT, env.CIVIC_HTTP_PORT].sort());
});
