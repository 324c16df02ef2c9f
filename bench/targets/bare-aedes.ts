/**
 * Baseline (a): a bare aedes broker with no pipeline — default hooks (anyone may
 * connect and publish), no journal, no store — on the same TCP setup as ours
 * (TCP_NODELAY, rule B12). It PUBACKs as soon as aedes handles a publish, so it is the
 * upper bound the pipeline can approach on the same QoS 1 load. Also the broker the
 * Node-RED baseline subscribes to.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { TargetCommand, TargetMessage } from '../protocol.ts';
import { startSampler } from './sampler.ts';

const send = (m: TargetMessage): void => void process.send?.(m);

async function main(sampleMs: number): Promise<void> {
  const t0 = Date.now();
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, (socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  send({ type: 'ready', mqttPort: port, startupMs: Date.now() - t0 });
  const sampler = startSampler(sampleMs, () => ({}), send);
  process.on('message', (c: TargetCommand) => {
    if (c.type === 'settle') sampler.settle();
    if (c.type === 'stop') {
      sampler.stop();
      broker.close(() => {
        server.close();
        process.send?.({ type: 'stopped', stored: 0, deadLetters: {}, alerts: [] } satisfies TargetMessage, () => process.exit(0));
      });
    }
  });
}

process.once('disconnect', () => process.exit(0));
process.once('message', (m: { type: 'start'; sampleMs: number }) => {
  main(m.sampleMs).catch((err: Error) => {
    process.stderr.write(`bare aedes target: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
});
