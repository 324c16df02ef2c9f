import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseRules } from '../../alerts/index.ts';

/** The README's rule reference must stay a valid rule file (docs that cannot drift). */
describe('README alert rule example', () => {
  it('parses and has one rule of every type', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const at = readme.indexOf('Example rules, one per type');
    const start = readme.indexOf('```yaml', at) + '```yaml'.length;
    const yaml = readme.slice(start, readme.indexOf('```', start));
    const set = parseRules([{ file: 'README.md', text: yaml }]);
    const types = new Set(set.rules.map((r: { type: string }) => r.type));
    for (const t of ['threshold', 'rate-of-change', 'out-of-range', 'stuck', 'freshness', 'offline', 'composite', 'aqi']) assert.ok(types.has(t), t);
  });
});
