import type { Logger } from 'pino';
import type { Accepted, Listener, ListenerTls } from './listener.ts';
import type { BrokerOptions } from './options.ts';
import { listenTcp, listenTls } from './tcp-listener.ts';
import { listenWebSocket } from './websocket-listener.ts';

export interface BrokerPorts {
  /** Plain TCP port; absent when plain TCP is off (port -1). */
  port?: number;
  tlsPort?: number;
  deviceWsPort?: number;
  /** The public WebSocket listener's port when one is configured. */
  wsPort?: number;
}

export interface OpenListeners {
  readonly all: Listener[];
  /** Those serving TLS (MQTT over TLS, WSS): SIGHUP re-applies the certificates to them (B37). */
  readonly tls: Listener[];
  readonly ports: BrokerPorts;
}

/**
 * B37/B13: the listeners the options ask for, in order: plain TCP, MQTT over TLS, the device
 * WebSocket (WSS with TLS), the public WebSocket (its connections marked public). A listener
 * that cannot bind closes the ones already bound and rejects (a busy port, OD-P5).
 */
export async function openListeners(opts: BrokerOptions, tls: ListenerTls | undefined, accept: (a: Accepted, isPublic: boolean) => void, log: Logger): Promise<OpenListeners> {
  const opened: OpenListeners = { all: [], tls: [], ports: {} };
  const device = (a: Accepted): void => accept(a, false);
  try {
    if (opts.port >= 0) {
      const l = await listenTcp(opts.host, opts.port, device);
      opened.all.push(l);
      opened.ports.port = l.port;
      log.info({ host: opts.host, port: l.port }, 'MQTT broker listening');
    }
    if (opts.tls && tls) {
      const l = await listenTls(opts.tls.host, opts.tls.port, tls, device);
      opened.all.push(l);
      opened.tls.push(l);
      opened.ports.tlsPort = l.port;
      log.info({ host: opts.tls.host, port: l.port, mutualTls: tls.requestCert }, 'MQTT over TLS listening');
    }
    if (opts.deviceWebSocket) {
      const d = opts.deviceWebSocket;
      const l = await listenWebSocket({ host: d.host, port: d.port, path: d.path, maxPayload: opts.limits.maxPacketBytes, ...(tls ? { tls } : {}) }, device);
      opened.all.push(l);
      if (tls) opened.tls.push(l);
      opened.ports.deviceWsPort = l.port;
      log.info({ host: d.host, port: l.port, path: d.path, tls: tls !== undefined }, 'device MQTT-over-WebSocket listening');
    }
    if (opts.publicWebSocket) {
      const pw = opts.publicWebSocket;
      const l = await listenWebSocket({ host: pw.host, port: pw.port, path: pw.path, maxPayload: opts.limits.maxPacketBytes }, (a) => accept(a, true));
      opened.all.push(l);
      opened.ports.wsPort = l.port;
      log.info({ host: pw.host, port: l.port, path: pw.path }, 'public MQTT-over-WebSocket listening');
    }
  } catch (err) {
    await Promise.all(opened.all.map((l) => l.close()));
    throw err;
  }
  return opened;
}
