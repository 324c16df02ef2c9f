import path from 'node:path';
import type { Command } from 'commander';
import { Registry as MetricsRegistry } from 'prom-client';
import { DEFAULT_RULES } from '../app/app.ts';
import { loadConfig, registryPath } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { createStores } from '../app/stores.ts';
import { Registry } from '../registry/index.ts';
import { registerAlertCommands } from './alert-commands.ts';
import { callServer, runningServer } from './server.ts';

/** `civicstream staff add|list|revoke` and `civicstream rules check|backtest`. */
export function registerAlertCliCommands(program: Command): void {
  registerAlertCommands(program, {
    stateDir: () => path.join(loadConfig().dataDir, 'alerts'),
    ruleFiles: () => {
      const files = loadConfig().alerts.ruleFiles;
      return files.length ? files : [DEFAULT_RULES];
    },
    openStore: async () => {
      const { store } = createStores(loadConfig(), createLogger('silent'), new MetricsRegistry());
      await store.open();
      return store;
    },
    sensors: async () => [...(await Registry.load(registryPath(loadConfig()))).sensors()],
    aqiTableFile: () => loadConfig().alerts.aqiTableFile,
    server: async () => {
      const s = await runningServer(loadConfig().dataDir);
      return s ? { call: <T>(method: string, p: string, body?: unknown) => callServer<T>(s, method, p, body) } : undefined;
    },
  });
}
