import path from 'node:path';
import type { Command } from 'commander';
import { Registry as MetricsRegistry } from 'prom-client';
import { loadConfig, registryPath } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { createStores } from '../app/stores.ts';
import { openData } from '../exporter/index.ts';
import { Registry } from '../registry/index.ts';
import { callServer, runningServer } from './server.ts';

/** `civicstream export --date YYYY-MM-DD`: the daily bulk files, on demand. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('產生某日的開放資料批次檔 write the daily bulk files (CSV.gz, Parquet, SHA-256) for one Taipei day')
    .requiredOption('--date <YYYY-MM-DD>', 'Taipei calendar day')
    .option('--dir <path>', 'output directory (default <dataDir>/open-data)')
    .action(async (o: { date: string; dir?: string }) => {
      const config = loadConfig();
      // RG3: while the pipeline runs it owns the DuckDB file; it writes the files with its own store.
      const server = await runningServer(config.dataDir);
      if (server) {
        if (o.dir) throw new Error('--dir cannot be used while the server runs: it writes into <dataDir>/open-data');
        const r = await callServer<{ files: unknown[] }>(server, 'POST', '/export', { date: o.date });
        for (const f of r.files) process.stdout.write(`${JSON.stringify(f)}\n`);
        return;
      }
      const logger = createLogger(config.log.level);
      const registry = await Registry.load(registryPath(config));
      const { store } = createStores(config, logger, new MetricsRegistry());
      try {
        await store.open();
      } catch (err) {
        // DuckDB allows one writing process per file: a running pipeline makes its own dumps (daily job).
        throw new Error(`cannot open the store (${(err as Error).message}); while the pipeline runs, its daily job writes these files`);
      }
      try {
        const files = await openData.exportDay({ store, registry, dir: o.dir ?? path.join(config.dataDir, 'open-data'), date: o.date, logger, bom: config.openData.bulkCsvBom, ...(config.http.publicBaseUrl ? { baseUrl: config.http.publicBaseUrl } : {}) });
        for (const f of files) process.stdout.write(`${JSON.stringify(f)}\n`);
      } finally {
        await store.close();
      }
    });
}
