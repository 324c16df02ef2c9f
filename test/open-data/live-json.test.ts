import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { kindOf, flagNames, toTaipeiIso, type Reading } from '../../domain/index.ts';
import { liveJson } from '../../exporter/open-data/live.ts';
import { flagLabel } from '../../exporter/open-data/present.ts';
import { Privacy } from '../../exporter/open-data/privacy.ts';
import { unitsOf } from '../../exporter/present.ts';
import { Registry } from '../../registry/index.ts';

const registry = Registry.parse(readFileSync(new URL('../../config/registry.demo.yaml', import.meta.url), 'utf8'), 'demo');
const sensors = [...registry.sensors()];
const ctx = { registry, privacy: new Privacy({}) };

/** The cached-prefix serialisation must equal serialising the whole object, field for field. */
describe('live JSON (SSE and public MQTT payload)', () => {
  it('equals the plain object serialisation for any reading', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sensors), fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), fc.integer({ min: 0, max: 127 }), fc.double({ min: 0, max: 500, noNaN: true }), (s, ts, flags, v) => {
        const field = kindOf(s.kind).fields.find((f) => f.type === 'number')!.name;
        const r: Reading = { seq: 1, sensorId: s.id, kind: s.kind, district: s.district.code, ts, receivedAt: ts, flags, values: { [field]: v } };
        const loc = ctx.privacy.location(s);
        const expected = JSON.stringify({
          sensorId: s.id, kind: r.kind, district: s.district.code, name: s.name['zh-TW'], nameEn: s.name.en,
          location: { lat: loc.lat, lon: loc.lon }, time: toTaipeiIso(r.ts), epochMs: r.ts, values: r.values, units: unitsOf(r.kind),
          flags: flagNames(r.flags).map(flagLabel),
        });
        assert.equal(liveJson(ctx, r), expected);
      }),
      { numRuns: 500 },
    );
  });
});
