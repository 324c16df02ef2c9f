import type { Command } from 'commander';
import { KINDS, isSensorKind } from '../domain/index.ts';
import { Registry, hashSecret, newSecret, type SensorDocT } from '../registry/index.ts';
import { loadConfig, registryPath } from '../app/config.ts';
import { seedRegistry } from '../app/seed.ts';
import { createLogger } from '../app/logger.ts';

async function openRegistry(): Promise<Registry> {
  const config = loadConfig();
  const file = registryPath(config);
  await seedRegistry(file, config.dataDir, createLogger(config.log.level));
  return Registry.load(file);
}

function printSecret(id: string, secret: string): void {
  process.stdout.write(`${id}\n密鑰 secret (只顯示這一次 shown only once): ${secret}\n`);
}

/** `civicstream sensors list|add|rotate-secret` and `civicstream gateways add|rotate-secret`. */
export function registerSensorCommands(program: Command): void {
  const sensors = program.command('sensors').description('管理感測器登錄 manage the sensor registry');
  sensors
    .command('list')
    .description('列出感測器 list sensors (never shows secrets)')
    .option('--kind <kind>', 'filter by kind')
    .option('--district <code>', 'filter by district code')
    .option('--json', 'print JSON')
    .action(async (o: { kind?: string; district?: string; json?: boolean }) => {
      const registry = await openRegistry();
      const rows = [...registry.sensors()].filter((s) => (!o.kind || s.kind === o.kind) && (!o.district || s.district.code === o.district));
      if (o.json) {
        process.stdout.write(JSON.stringify(rows.map(({ secretHash: _s, ...rest }) => rest), null, 2) + '\n');
        return;
      }
      for (const s of rows) process.stdout.write(`${s.id}\t${s.kind}\t${s.district.name['zh-TW']}\t${s.name['zh-TW']} / ${s.name.en}${s.gateway ? `\tvia ${s.gateway}` : ''}\n`);
      process.stdout.write(`${rows.length} sensors\n`);
    });
  sensors
    .command('add')
    .description('新增感測器並顯示其密鑰一次 add a sensor and print its secret once')
    .requiredOption('--id <id>', 'sensor id ([A-Za-z0-9._-], ≤ 64)')
    .requiredOption('--kind <kind>', `one of ${Object.keys(KINDS).join(', ')}`)
    .requiredOption('--name-zh <name>', '中文名稱')
    .requiredOption('--name-en <name>', 'English name')
    .requiredOption('--district <code>', 'district code from the registry')
    .requiredOption('--lat <deg>', 'WGS84 latitude', Number)
    .requiredOption('--lon <deg>', 'WGS84 longitude', Number)
    .requiredOption('--params <json>', 'kind parameters as JSON, e.g. \'{"capacity":120}\'')
    .option('--interval <seconds>', 'expected reporting interval', Number)
    .option('--gateway <id>', 'publish through this gateway (no own secret)')
    .option('--tags <list>', 'comma-separated tags')
    .action(async (o: { id: string; kind: string; nameZh: string; nameEn: string; district: string; lat: number; lon: number; params: string; interval?: number; gateway?: string; tags?: string }) => {
      if (!isSensorKind(o.kind)) throw new Error(`--kind must be one of ${Object.keys(KINDS).join(', ')}`);
      const registry = await openRegistry();
      const doc = await registry.document();
      const entry: SensorDocT = {
        id: o.id,
        kind: o.kind,
        name: { 'zh-TW': o.nameZh, en: o.nameEn },
        district: o.district,
        location: { lat: o.lat, lon: o.lon },
        params: JSON.parse(o.params) as Record<string, unknown>,
        ...(o.interval ? { intervalSeconds: o.interval } : {}),
        ...(o.tags ? { tags: o.tags.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
        ...(o.gateway ? { gateway: o.gateway } : {}),
      };
      const secret = o.gateway ? undefined : newSecret();
      if (secret) entry.secretHash = await hashSecret(secret);
      doc.sensors.push(entry);
      await Registry.save(registry.file, doc);
      if (secret) printSecret(o.id, secret);
      else process.stdout.write(`${o.id} added; it publishes through gateway ${o.gateway}\n`);
    });
  sensors
    .command('rotate-secret <id>')
    .description('更換感測器密鑰 replace a sensor secret (the old one stops working at its next connect)')
    .action(async (id: string) => {
      const registry = await openRegistry();
      const doc = await registry.document();
      const entry = doc.sensors.find((s) => s.id === id);
      if (!entry) throw new Error(`no sensor ${id} in ${registry.file}`);
      const secret = newSecret();
      entry.secretHash = await hashSecret(secret);
      await Registry.save(registry.file, doc);
      printSecret(id, secret);
    });

  const gateways = program.command('gateways').description('管理閘道 manage gateway principals (LoRaWAN network servers, vendor bridges)');
  gateways
    .command('add')
    .requiredOption('--id <id>', 'gateway id')
    .requiredOption('--name-zh <name>', '中文名稱')
    .requiredOption('--name-en <name>', 'English name')
    .action(async (o: { id: string; nameZh: string; nameEn: string }) => {
      const registry = await openRegistry();
      const doc = await registry.document();
      const secret = newSecret();
      (doc.gateways ??= []).push({ id: o.id, name: { 'zh-TW': o.nameZh, en: o.nameEn }, secretHash: await hashSecret(secret) });
      await Registry.save(registry.file, doc);
      printSecret(o.id, secret);
    });
  gateways.command('rotate-secret <id>').action(async (id: string) => {
    const registry = await openRegistry();
    const doc = await registry.document();
    const entry = doc.gateways?.find((g) => g.id === id);
    if (!entry) throw new Error(`no gateway ${id} in ${registry.file}`);
    const secret = newSecret();
    entry.secretHash = await hashSecret(secret);
    await Registry.save(registry.file, doc);
    printSecret(id, secret);
  });
}
