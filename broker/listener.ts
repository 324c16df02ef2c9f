import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions, TLSSocket } from 'node:tls';

/**
 * What every broker listener (B12, B37) has in common: it hands each accepted connection
 * to `accept` as a Duplex plus what the broker needs to know about it; the broker does the
 * rest (guard, aedes, bookkeeping). The transports are in tcp-listener.ts (plain TCP, TLS)
 * and websocket-listener.ts (WS, WSS).
 */
export interface Accepted {
  readonly stream: Duplex;
  readonly remoteAddress: string | undefined;
  /** The TLS socket under it, when the connection is TLS (for mTLS identity, B38). */
  readonly tls?: TLSSocket;
}

export interface Listener {
  readonly port: number;
  /** Re-applies TLS material (SIGHUP, B37/B38); no-op for plain listeners. */
  setSecureContext(opts: SecureContextOptions): void;
  /** Stops accepting and destroys what this listener still holds. */
  close(): Promise<void>;
}

/** TLS material as readTlsOptions returns it (tls.ts). */
export type ListenerTls = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };

/** Binds `server`; resolves with the port bound (for port 0), rejects on a busy port. */
export function bindServer(server: Server | HttpServer | HttpsServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

export const closeServer = (server: Server | HttpServer | HttpsServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
