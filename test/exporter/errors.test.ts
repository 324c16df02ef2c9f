import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { Registry } from '../../registry/index.ts';
import { DuckDbStore } from '../../storage/duckdb/index.ts';
import { DEFAULT_LIMITS, type ApiContext } from '../../exporter/context.ts';
import { API_ERRORS, ApiError, type ApiErrorCode } from '../../exporter/errors.ts';
import { decodeIdCursor, decodeTsCursor, encodeIdCursor, encodeTsCursor, parseList, parseTimeParam, resolveRange } from '../../exporter/query.ts';
import { parseCsv } from './csv-parse.ts';
import { NOW, REGISTRY_YAML } from './fixture.ts';

const ARGS = { parameter: 'p', value: 'v', detail: 'd', allowed: ['a', 'b'], maxDays: 31, days: 40, kind: 'parking', route: 'GET /x' };

test('every catalogue entry has an error status and renders in zh-TW and English', () => {
  const codes = Object.keys(API_ERRORS) as ApiErrorCode[];
  assert.ok(codes.length >= 10);
  for (const code of codes) {
    assert.match(code, /^[A-Z][A-Z_]+$/);
    const e = new ApiError(code, ARGS);
    assert.ok(e.statusCode >= 400 && e.statusCode < 600, code);
    const body = e.body();
    assert.equal(body.error.code, code);
    assert.ok(body.error.message.length > 10, `${code} en`);
    assert.ok(body.error['zh-TW'].length > 4, `${code} zh-TW`);
    assert.match(body.error['zh-TW'], /[\u4e00-\u9fff]/, `${code} zh-TW has Chinese text`);
    assert.doesNotMatch(body.error.message, /undefined/, code);
    assert.equal(body.error.parameter, 'p');
  }
});

test('parameter is omitted from the body when the error has none', () => {
  assert.equal('parameter' in new ApiError('INTERNAL').body().error, false);
});

test('ts and id cursors round-trip and reject each other and tampering', () => {
  for (const ts of [0, NOW, -5, 8_640_000_000_000]) assert.equal(decodeTsCursor(encodeTsCursor(ts)), ts);
  assert.equal(decodeIdCursor(encodeIdCursor('aq-zl-001')), 'aq-zl-001');
  const bad = [encodeIdCursor('aq-zl-001'), 'not-a-cursor', '', Buffer.from('t1.12x').toString('base64url'), Buffer.from('t1.').toString('base64url')];
  for (const c of bad) assert.throws(() => decodeTsCursor(c), (e: unknown) => e instanceof ApiError && e.code === 'BAD_CURSOR', c);
  assert.throws(() => decodeIdCursor(encodeTsCursor(5)), (e: unknown) => e instanceof ApiError && e.code === 'BAD_CURSOR');
  assert.throws(() => decodeIdCursor(Buffer.from('s1.a/b').toString('base64url')), /cursor/);
});

test('time parameters need an offset; an unencoded + (decoded to a space) is accepted', () => {
  assert.equal(parseTimeParam('from', '2026-11-22T08:00:00+08:00'), Date.parse('2026-11-22T00:00:00Z'));
  assert.equal(parseTimeParam('from', '2026-11-22T08:00:00 08:00'), Date.parse('2026-11-22T00:00:00Z'));
  assert.equal(parseTimeParam('to', '2026-11-22T00:00:00Z'), Date.parse('2026-11-22T00:00:00Z'));
  for (const v of ['2026-11-22T08:00:00', '2026-11-22', 'yesterday', '1795319940000']) {
    assert.throws(() => parseTimeParam('from', v), (e: unknown) => e instanceof ApiError && e.code === 'BAD_TIME' && e.args.parameter === 'from', v);
  }
});

test('resolveRange applies defaults and bounds', () => {
  // resolveRange never touches the store; an unopened adapter fills the context.
  const store = new DuckDbStore({ path: ':memory:', logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
  const ctx: ApiContext = { store, registry: Registry.parse(REGISTRY_YAML, 'r.yaml'), limits: DEFAULT_LIMITS, baseUrl: '', now: () => NOW };
  assert.deepEqual(resolveRange(ctx, undefined, undefined), { from: NOW - 24 * 3_600_000, to: NOW });
  const to = '2026-11-10T00:00:00+08:00';
  assert.deepEqual(resolveRange(ctx, undefined, to), { from: Date.parse(to) - 24 * 3_600_000, to: Date.parse(to) });
  const err = (code: ApiErrorCode) => (e: unknown) => e instanceof ApiError && e.code === code;
  assert.throws(() => resolveRange(ctx, to, to), err('BAD_RANGE'));
  assert.throws(() => resolveRange(ctx, '2026-10-01T00:00:00+08:00', to), err('RANGE_TOO_LARGE'));
  assert.doesNotThrow(() => resolveRange(ctx, '2026-10-10T00:00:00+08:00', to)); // exactly 31 days
});

test('parseList dedupes and names the bad item', () => {
  assert.deepEqual(parseList('state', 'open, resolved,open', ['open', 'acknowledged', 'resolved']), ['open', 'resolved']);
  assert.equal(parseList('state', undefined, ['open']), undefined);
  assert.throws(() => parseList('state', 'open,closed', ['open', 'resolved']), /"closed" is not one of open, resolved/);
});

test('the test CSV reader handles RFC 4180 quoting and rejects malformed input', () => {
  assert.deepEqual(parseCsv('a,"b,1","say ""hi"""\r\n"x\r\ny",,z\r\n'), [['a', 'b,1', 'say "hi"'], ['x\r\ny', '', 'z']]);
  assert.deepEqual(parseCsv('a,b\nc,d'), [['a', 'b'], ['c', 'd']]);
  assert.throws(() => parseCsv('a,b"c\r\n'));
  assert.throws(() => parseCsv('"abc'));
});
