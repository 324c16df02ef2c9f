/**
 * The system under test: the whole civicstream pipeline (App) in its own process,
 * started from the same config loader as `civicstream start`, with the bench fleet
 * registry and a fresh data directory.
 *
 * Alert latency hook (bench only): alerts are published on T4 by the pipeline and only
 * pipeline-side code may read `alerts/#` (ACL B10); we do not add a principal that may.
 * Instead this process captures its own aedes instance when App creates it and
 * subscribes in-process with `aedes.subscribe('alerts/#')` — the same mqemitter
 * delivery a subscribed client gets, minus its socket write. Arrival is stamped with
 * the wall clock (performance.timeOrigin + now), comparable with the generator's
 * send stamp on the same machine.
 */
import { Aedes } from 'aedes';
import pino from 'pino';
import { App } from '../../app/app.ts';
import { loadConfig } from '../../app/config.ts';
import type { AlertArrival, PipelineTargetOptions, TargetCommand, TargetMessage } from '../protocol.ts';
import { startSampler, wallNow } from './sampler.ts';

const send = (m: TargetMessage): void => void process.send?.(m);

async function main(o: PipelineTargetOptions): Promise<void> {
  const t0 = Date.now();
  let broker: Aedes | undefined;
  const create = Aedes.createBroker.bind(Aedes);
  Aedes.createBroker = async (opts) => (broker = await create(opts));

  const config = loadConfig({}, {
    dataDir: o.dataDir,
    registry: o.registryFile,
    'mqtt.port': 0,
    'http.port': 0,
    // No public WebSocket listener: the bench never reads it, and a fixed port would collide with a running pipeline.
    'mqtt.publicWsPort': -1,
    // Rate limits are device-fairness policy, not capacity: the bench drives each gateway far above
    // a real LoRaWAN server's rate. Raised here so "acknowledged" never includes RATE_LIMITED drops.
    'mqtt.gatewayRatePerSecond': 1_000_000,
    'mqtt.gatewayBurst': 1_000_000,
    'journal.fsync': o.fsync,
    'simulate.enabled': false,
    'log.level': 'warn',
  });
  const app = new App(config, pino({ level: 'warn' }, pino.destination(2)));
  const info = await app.start();
  const alerts: AlertArrival[] = [];
  broker?.subscribe(
    'alerts/#',
    (packet, cb) => {
      const at = wallNow();
      // T4 alerts/{kind}/{district}/{sensorId}/{ruleId} (AL4); the sensor-level summary carries no "change".
      if (packet.payload.length > 0 && packet.payload.includes('"change":"opened"')) alerts.push({ sensorId: packet.topic.split('/')[3] ?? '', atMs: at });
      cb();
    },
    () => undefined,
  );
  send({ type: 'ready', mqttPort: info.mqttPort, startupMs: Date.now() - t0 });
  const sampler = startSampler(o.sampleMs, () => ({ journaled: app.journal.lastSeq, stored: app.writer.committedSeq, checkpoint: app.journal.checkpointed }), send);

  process.on('message', (c: TargetCommand) => {
    if (c.type === 'settle') sampler.settle();
    if (c.type === 'stop') {
      sampler.stop();
      void (async () => {
        await app.stop();
        // The harness counts the store from its file once this process has exited.
        // process.exit (not a natural exit) so a --cpu-prof profile is always written.
        process.send?.({ type: 'stopped', stored: 0, deadLetters: {}, alerts } satisfies TargetMessage, () => process.exit(0));
      })();
    }
  });
}

process.once('disconnect', () => process.exit(0));
process.once('message', (m: { type: 'start'; options: PipelineTargetOptions }) => {
  main(m.options).catch((err: Error) => {
    process.stderr.write(`pipeline target: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
});
