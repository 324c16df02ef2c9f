import type { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { Acceptor } from './acceptor.ts';
import type { PublicWebSocketOptions } from './options.ts';

/**
 * B43: public readers' granted subscriptions, unsubscribes and ended connections, reported to
 * `publicWebSocket.onSubscriptions` so a publisher can publish only what someone reads.
 */
export function reportPublicSubscriptions(aedes: Aedes, acceptor: Pick<Acceptor, 'isPublicConnection'>, onSubs: NonNullable<PublicWebSocketOptions['onSubscriptions']>, log: Logger): void {
  const tell = (e: Parameters<typeof onSubs>[0]): void => {
    try {
      onSubs(e);
    } catch (err) {
      log.error({ err }, 'onSubscriptions handler threw');
    }
  };
  aedes.on('subscribe', (subs, client) => {
    if (!client || !acceptor.isPublicConnection(client)) return;
    // aedes marks a refused filter with granted QoS 0x80 (MQTT 3.1.1 §3.9.3).
    const filters = subs.filter((x) => (x.qos as number) !== 128).map((x) => x.topic);
    if (filters.length) tell({ type: 'subscribe', reader: client, filters });
  });
  aedes.on('unsubscribe', (filters, client) => {
    if (client && acceptor.isPublicConnection(client)) tell({ type: 'unsubscribe', reader: client, filters });
  });
  aedes.on('clientDisconnect', (client) => {
    if (acceptor.isPublicConnection(client)) tell({ type: 'gone', reader: client });
  });
}
