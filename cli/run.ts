import type { Command } from 'commander';
import { App } from '../app/app.ts';
import { ConfigError, loadConfig, registryPath } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { seedRegistry } from '../app/seed.ts';
import { Registry } from '../registry/index.ts';
import { createSimulation, loadCredentials, playScenario } from '../simulators/index.ts';
import { SCENARIOS, buildScenario, scenarioStart, type ScenarioName } from '../alerts/index.ts';

function configOrExit(overrides: Record<string, unknown> = {}) {
  try {
    return loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`civicstream: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** `civicstream start` and `civicstream simulate`. */
export function registerRunCommands(program: Command): void {
  program
    .command('start')
    .description('啟動整條管線 run broker, ingest, analytics, store, HTTP API (and simulators unless CIVIC_SIMULATE=off)')
    .action(async () => {
      const config = configOrExit();
      const logger = createLogger(config.log.level);
      const app = new App(config, logger);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        app.stop().then(
          () => process.exit(0),
          (err: Error) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // Reload alert rules without a restart; a file that fails validation keeps the old rules.
      process.on('SIGHUP', () => app.reloadTls()); // issue 12: certificates, client CA and CRL
      process.on('SIGHUP', () => void app.reloadRules('SIGHUP').catch((err: Error) => logger.error({ err }, 'rule reload refused; the old rules stay in force')));
      try {
        const info = await app.start();
        process.stdout.write(`civicstream: MQTT mqtt://${config.bind}:${info.mqttPort}  HTTP ${info.url}  (docs ${info.url}/docs)\n`);
      } catch (err) {
        // OD-P5: a busy port is a configuration problem; say which setting, without a stack.
        const busy = (err as { code?: string; setting?: string }).code === 'PORT_IN_USE';
        if (busy) process.stderr.write(`civicstream: ${(err as Error).message}\n`);
        logger.fatal(busy ? { code: 'PORT_IN_USE', setting: (err as { setting?: string }).setting, msg: (err as Error).message } : { err }, 'start failed');
        await app.stop().catch(() => undefined);
        process.exit(1);
      }
    });

  program
    .command('simulate')
    .description('以模擬感測器發布資料 publish simulated sensor data to a running broker')
    .option('--url <url>', 'broker URL (default mqtt://<bind>:<CIVIC_MQTT_PORT>)')
    .option('--sensors <n>', 'fleet size: first N sensors with credentials', Number)
    .option('--speed <x>', 'simulated seconds per real second', Number)
    .option('--duration <s>', 'stop after this many real seconds', Number)
    .option('--seed <n>', 'random seed (reproducible runs)', Number)
    .option('--qos <0|1>', 'MQTT QoS', Number)
    .option('--malformed-rate <r>', 'share of messages sent malformed', Number)
    .option('--spike-rate <r>', 'share of readings with a spike', Number)
    .option('--silent <n>', 'sensors that stay silent', Number)
    .option('--stuck <n>', 'sensors that repeat one value', Number)
    .option('--scenario <name>', `play a scripted alert scenario: ${SCENARIOS.join(' | ')} (default speed 60)`)
    .action(async (o: { scenario?: string; url?: string; sensors?: number; speed?: number; duration?: number; seed?: number; qos?: number; malformedRate?: number; spikeRate?: number; silent?: number; stuck?: number }) => {
      const config = configOrExit();
      const logger = createLogger(config.log.level);
      const file = registryPath(config);
      await seedRegistry(file, config.dataDir, logger);
      const registry = await Registry.load(file);
      const credentials = await loadCredentials(config.dataDir);
      const s = config.simulate;
      if (o.scenario !== undefined) {
        if (!(SCENARIOS as readonly string[]).includes(o.scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}`);
        const sc = buildScenario(o.scenario as ScenarioName, [...registry.sensors()]);
        // The script ends no later than now, so every device time is accepted as is (P5).
        const now = Date.now();
        let startMs = sc.startLocalHour === undefined ? now - sc.durationMs : scenarioStart(sc, now);
        while (startMs + sc.durationMs > now) startMs -= 86_400_000;
        process.stdout.write(`${sc.description['zh-TW']} / ${sc.description.en}\nexpected alerts: ${sc.expect.join(', ')}\n`);
        const result = await playScenario({ mqttUrl: o.url ?? `mqtt://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${config.mqtt.port}`, registry, credentials, readings: sc.readings, startMs, speed: o.speed ?? 60, logger });
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const ids = [...registry.sensors()].filter((x) => (x.gateway ? credentials.gateways[x.gateway] : credentials.sensors[x.id])).map((x) => x.id);
      const speed = o.speed ?? s.speed;
      // Faster than real time, a run ends at "now" (a backfill) so device times stay within the ingest skew (P5).
      const startTime = speed > 1 && o.duration ? Date.now() - o.duration * speed * 1000 : undefined;
      if (speed > 1 && !o.duration) logger.warn('speed > 1 without --duration: simulated time runs ahead of the clock and readings will be flagged CLOCK_SKEW');
      const sim = createSimulation({
        mqttUrl: o.url ?? `mqtt://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${config.mqtt.port}`,
        registry,
        credentials,
        ...(o.sensors ? { sensorIds: ids.slice(0, o.sensors) } : {}),
        speed,
        ...(startTime !== undefined ? { startTime } : {}),
        ...(o.duration ? { durationSeconds: o.duration } : {}),
        seed: o.seed ?? s.seed,
        qos: (o.qos ?? s.qos) === 0 ? 0 : 1,
        faults: { malformedRate: o.malformedRate ?? s.malformedRate, spikeRate: o.spikeRate ?? s.spikeRate, silentSensors: o.silent ?? s.silentSensors, stuckSensors: o.stuck ?? s.stuckSensors },
        logger,
      });
      const stop = async () => {
        await sim.stop();
        process.stdout.write(`${JSON.stringify(sim.stats)}\n`);
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      await sim.start();
      await sim.finished;
      await stop();
    });
}
