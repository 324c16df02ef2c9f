import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { openEnv, type Env } from './fixture.ts';

/** Raw HTTP GET (fetch would decompress transparently and hide Content-Encoding). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('open-data HTTP behaviour over real HTTP', () => {
  let env: Env;
  let limited: Env;
  before(async () => {
    env = await openEnv({}, true, true);
    limited = await openEnv({ http: { rateLimit: { max: 3, windowMs: 60_000 } } }, false);
  });
  after(async () => {
    await env.close();
    await limited.close();
  });

  it('CORS: any origin may read; preflight allows GET', async () => {
    const res = await env.get('/open-data/v1/feeds/air-quality/latest', { headers: { origin: 'https://map.example.org' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const pre = await env.get('/sta/v1.1/Things', { method: 'OPTIONS', headers: { origin: 'https://map.example.org', 'access-control-request-method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /GET/);
  });

  it('ETag and Last-Modified give 304 Not Modified; Cache-Control per endpoint', async () => {
    const first = await env.get('/open-data/v1/feeds/air-quality/latest');
    const etag = first.headers.get('etag');
    assert.ok(etag);
    assert.equal(first.headers.get('cache-control'), 'public, max-age=15');
    const again = await env.get('/open-data/v1/feeds/air-quality/latest', { headers: { 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    const lm = first.headers.get('last-modified');
    assert.equal(lm, new Date(Date.parse('2026-11-22T11:59:00.250+08:00') - 250).toUTCString());
    const since = await env.get('/open-data/v1/feeds/air-quality/latest', { headers: { 'if-modified-since': lm! } });
    assert.equal(since.status, 304);
    const older = await env.get('/open-data/v1/feeds/air-quality/latest', { headers: { 'if-modified-since': new Date(Date.parse(lm!) - 60_000).toUTCString() } });
    assert.equal(older.status, 200);
    const catalogue = await env.get('/open-data/v1/datasets');
    assert.equal(catalogue.headers.get('cache-control'), 'public, max-age=300');
    const past = await env.get('/open-data/v1/feeds/air-quality/readings?sensor=aq-zl-001&from=2026-11-21T00:00:00%2B08:00&to=2026-11-21T06:00:00%2B08:00');
    assert.equal(past.headers.get('cache-control'), 'public, max-age=3600');
  });

  it('gzip and br compression when asked', async () => {
    for (const enc of ['gzip', 'br']) {
      const res = await rawGet(`${env.url}/sta/v1.1/Datastreams`, { 'accept-encoding': enc });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], enc);
    }
    const plain = await rawGet(`${env.url}/sta/v1.1/Datastreams`, {});
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(JSON.parse(plain.body.toString('utf8')).value.length > 0);
  });

  it('per-client rate limit: 429 with Retry-After and a coded body', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await limited.get('/open-data/v1/datasets')).status, 200);
    const res = await limited.get('/open-data/v1/datasets');
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    const body = await res.json() as any;
    assert.equal(body.error.code, 'RATE_LIMITED');
  });

  it('the OpenAPI document at /docs/json covers every public open-data endpoint', async () => {
    const doc = await (await env.get('/docs/json')).json() as any;
    const paths = Object.keys(doc.paths);
    for (const p of ['/open-data/v1/feeds/{kind}/latest', '/open-data/v1/feeds/{kind}/readings', '/open-data/v1/feeds/{kind}/aggregates', '/open-data/v1/feeds/{kind}/live',
      '/open-data/v1/datasets', '/open-data/v1/datasets/{id}', '/open-data/v1/catalog.jsonld', '/open-data/v1/schemas/{name}', '/open-data/v1/alerts/atom.xml',
      '/open-data/v1/alerts/cap/{file}', '/open-data/v1/bulk', '/open-data/v1/bulk/{file}', '/sta/v1.1', '/sta/v1.1/{*}']) {
      assert.ok(paths.includes(p), `${p} missing from OpenAPI (has ${paths.join(', ')})`);
    }
    assert.ok(doc.paths['/open-data/v1/feeds/{kind}/readings'].get.parameters.some((x: any) => x.name === 'sensor'));
  });
});
