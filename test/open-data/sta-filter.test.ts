import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, timeBounds, truthy, type Navigable } from '../../exporter/open-data/sta/filter-eval.ts';
import { parseFilter } from '../../exporter/open-data/sta/filter-parser.ts';

const obs: Navigable = { result: 25, phenomenonTime: '2026-11-22T11:30:00.000+08:00', name: '中壢區 測站', properties: { city: '桃園市' } };
const t = (f: string) => truthy(evaluate(parseFilter(f), obs, Date.parse('2026-11-22T12:00:00+08:00')));

describe('STA $filter parser and evaluator', () => {
  it('precedence: and binds tighter than or, not tighter than and, mul tighter than add', () => {
    assert.equal(t('result eq 1 or result eq 25 and result gt 0'), true);
    assert.equal(t('(result eq 1 or result eq 25) and result gt 30'), false);
    // OData 4.0 Part 2 §5.1.1.1: `not` is unary, above comparisons, so it needs parentheses around one.
    assert.equal(t('not (result gt 30) and result lt 26'), true);
    assert.equal(t('not (result gt 20 and result lt 30)'), false);
    assert.equal(t('result add 5 mul 2 eq 35'), true);
    assert.equal(t('(result add 5) mul 2 eq 60'), true);
    assert.equal(t('result sub 5 div 5 eq 24'), true);
    assert.equal(t('result mod 7 eq 4'), true);
  });
  it('comparison on date-times compares instants across offsets', () => {
    assert.equal(t('phenomenonTime gt 2026-11-22T03:29:59Z'), true);
    assert.equal(t('phenomenonTime lt 2026-11-22T03:30:00Z'), false);
    assert.equal(t('phenomenonTime eq 2026-11-22T11:30:00+08:00'), true);
  });
  it('string and date functions', () => {
    assert.equal(t("substringof('中壢', name)"), true);
    assert.equal(t("startswith(name, '中壢區')"), true);
    assert.equal(t("endswith(name, '站') and length(name) eq 6"), true);
    assert.equal(t("tolower('ABC') eq 'abc' and indexof(name, '測站') eq 4"), true);
    assert.equal(t("properties/city eq '桃園市'"), true);
    assert.equal(t('year(phenomenonTime) eq 2026 and month(phenomenonTime) eq 11 and day(phenomenonTime) eq 22 and hour(phenomenonTime) eq 11 and minute(phenomenonTime) eq 30'), true);
    assert.equal(t('phenomenonTime lt now()'), true);
    assert.equal(t("concat(name, 'x') eq '中壢區 測站x'"), true);
    assert.equal(t('round(result div 10) eq 3 and floor(2.7) eq 2 and ceiling(2.1) eq 3'), true);
  });
  it('null semantics: a missing property compares false except eq null', () => {
    assert.equal(t('missing gt 1'), false);
    assert.equal(t('missing eq null'), true);
    assert.equal(t('result ne null'), true);
  });
  it("string literals with doubled quotes", () => {
    assert.equal(truthy(evaluate(parseFilter("name eq 'it''s'"), { name: "it's" }, 0)), true);
  });
  it('syntax errors name a position', () => {
    assert.throws(() => parseFilter('result gt'), /position/);
    assert.throws(() => parseFilter("name eq 'open"), /unterminated/);
    assert.throws(() => parseFilter('result gt 1 2'), /end of expression/);
    assert.throws(() => parseFilter("st_relate(location, geography'POINT(1 2)', 'T********')"), /unsupported function/);
    assert.throws(() => parseFilter("geo.intersects(location, geography'POLYGON((1 2, 3')"), /WKT/);
    assert.throws(() => parseFilter('length(a, b)'), /argument/);
  });
  it('time bounds come only from top-level conjuncts', () => {
    const a = Date.parse('2026-11-22T00:00:00+08:00');
    const b = Date.parse('2026-11-22T06:00:00+08:00');
    assert.deepEqual(timeBounds(parseFilter('phenomenonTime ge 2026-11-22T00:00:00+08:00 and phenomenonTime lt 2026-11-22T06:00:00+08:00 and result gt 3')), { from: a, to: b });
    assert.deepEqual(timeBounds(parseFilter('2026-11-22T06:00:00+08:00 gt phenomenonTime')), { to: b });
    assert.deepEqual(timeBounds(parseFilter('phenomenonTime ge 2026-11-22T00:00:00+08:00 or result gt 3')), {});
  });
});
