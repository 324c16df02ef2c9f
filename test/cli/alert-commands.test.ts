import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { AlertStateStore, verifyToken } from '../../alerts/index.ts';
import { registerAlertCommands } from '../../cli/alert-commands.ts';
import { DuckDbStore } from '../../storage/index.ts';
import { MIN, T0, reading, riverSensor } from '../analytics/fixtures.ts';
import { toTaipeiIso } from '../../domain/index.ts';

describe('CLI: staff add, rules check, rules backtest (real DuckDB)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('staff add prints a working token once; rules backtest reads stored readings', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'civic-alerts-cli-'));
    dirs.push(dir);
    const river = riverSensor('wl-cli');
    const dbFile = path.join(dir, 'civic.duckdb');
    const seed = new DuckDbStore({ path: dbFile, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
    await seed.open();
    const levels = [1, 2.5, 2.6, 2.7, 1, 1];
    await seed.writeReadings(levels.map((v, i) => reading(river, T0 + i * 10 * MIN, { currentLevel: v }, i + 1)));
    await seed.close();

    let printed = '';
    const program = new Command().exitOverride();
    registerAlertCommands(program, {
      stateDir: () => path.join(dir, 'alerts'),
      ruleFiles: () => ['config/rules.default.yaml'],
      openStore: async () => {
        const s = new DuckDbStore({ path: dbFile, logger: pino({ level: 'silent' }), metrics: new MetricsRegistry() });
        await s.open();
        return s;
      },
      sensors: async () => [river],
      out: (s) => void (printed += s),
    });
    await program.parseAsync(['staff', 'add', '--name', 'lin', '--role', 'operator'], { from: 'user' });
    const token = /token .*: (cs_\S+)/.exec(printed)?.[1];
    assert.ok(token, printed);
    const store = await AlertStateStore.open(path.join(dir, 'alerts'));
    assert.equal(verifyToken(store, token)?.role, 'operator');
    await store.close();

    printed = '';
    await program.parseAsync(['rules', 'check'], { from: 'user' });
    assert.match(printed, /\d+ rules OK/);
    // AQ6: the AQI table's provenance per breakpoint row (shared/standards/moenv-aqi-2025.md).
    assert.match(printed, /pm25 0–12\.4 → AQI 0–50: corroborated/);
    assert.match(printed, /pm25 30\.5–50\.4 → AQI 101–150: not-corroborated/);
    assert.match(printed, /pm10 31–75 → AQI 51–100: corroborated/);

    printed = '';
    await program.parseAsync(['rules', 'backtest', '--rule', 'water.river.warning', '--from', toTaipeiIso(T0), '--to', toTaipeiIso(T0 + 60 * MIN)], { from: 'user' });
    // default rule: advisory at level 3 (2 m) for 2 readings, clears 20 min below 1.9 m.
    assert.match(printed, /rule water\.river\.warning: 1 alert\(s\) from 6 reading\(s\)/);
    assert.match(printed, /wl-cli\s+advisory/);
  });
});
