import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { InfluxStore } from '../../storage/index.ts';

/**
 * The native v2 write path (issue 4 §2). No InfluxDB 2.x/3.x can run here (Debian ships 1.6.7,
 * which predates /api/v2/write), so this checks the request our client sends against a real
 * HTTP server that records it: endpoint, org/bucket/precision, token, gzip line protocol.
 */
describe('InfluxDB v2 write request', () => {
  it('POSTs gzip line protocol to /api/v2/write with org, tier bucket, ms precision and a Token header', async () => {
    const writes: Array<{ url: URL; headers: IncomingMessage['headers']; body: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/api/v2/write') {
          writes.push({ url, headers: req.headers, body: gunzipSync(Buffer.concat(chunks)).toString('utf8') });
          res.writeHead(204).end();
        } else if (url.pathname === '/query') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'civic-v2-'));
    const store = new InfluxStore({
      url: `http://127.0.0.1:${port}`, api: 'v2', database: 'civicstream', org: 'taoyuan', token: 'tok-123',
      retention: { raw: '30d', agg1m: '365d', agg1h: 'INF' }, spoolDir, maxBatchLines: 5000, flushMs: 50,
      logger: pino({ level: 'silent' }), metrics: new MetricsRegistry(),
    });
    try {
      await store.open();
      await store.writeReadings([{ seq: 7, sensorId: 'aq-1', kind: 'air-quality', district: '68000020', ts: 1_795_300_000_000, receivedAt: 1_795_300_000_100, flags: 0, values: { pm25: 12.5 } }]);
      const w = writes.find((x) => x.body.startsWith('air_quality,'));
      assert.ok(w, `a readings write arrived: ${writes.map((x) => x.body.slice(0, 40)).join(' | ')}`);
      assert.equal(w.url.searchParams.get('org'), 'taoyuan');
      assert.equal(w.url.searchParams.get('bucket'), 'civicstream/raw');
      assert.equal(w.url.searchParams.get('precision'), 'ms');
      assert.equal(w.headers.authorization, 'Token tok-123');
      assert.equal(w.headers['content-encoding'], 'gzip');
      assert.match(w.body, /^air_quality,district=68000020,kind=air-quality,sensor_id=aq-1 .*pm25=12\.5.* 1795300000000$/m);
    } finally {
      await store.close();
      server.close();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
