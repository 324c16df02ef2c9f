import type { Logger } from 'pino';
import type { BrokerRejection } from './contract.ts';
import type { BrokerMetrics } from './metrics.ts';

/** A broker-level refusal: counted by reason, logged, handed to `onRejected` (which must not break the broker). */
export function createReject(onRejected: (r: BrokerRejection) => void, metrics: BrokerMetrics, log: Logger): (r: BrokerRejection) => void {
  return (r) => {
    metrics.rejected.inc({ reason: r.reason });
    log.debug({ reason: r.reason, topic: r.topic, clientId: r.clientId }, r.message);
    try {
      onRejected(r);
    } catch (err) {
      log.error({ err }, 'onRejected handler threw');
    }
  };
}
