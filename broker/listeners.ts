import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';

/**
 * The broker's listeners (B12, B37): plain TCP, TLS, and MQTT over WebSocket (WS or WSS).
 * Each hands every accepted connection to `accept` as a Duplex plus what the broker
 * needs to know about it; the broker does the rest (guard, aedes, bookkeeping).
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

function listen(server: Server | HttpServer | HttpsServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

const closeServer = (server: Server | HttpServer | HttpsServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** Plain TCP (B12: TCP_NODELAY on every socket). */
export async function listenTcp(host: string, port: number, accept: (a: Accepted) => void): Promise<Listener> {
  const server = createServer({ noDelay: true }, (socket: Socket) => accept({ stream: socket, remoteAddress: socket.remoteAddress }));
  const bound = await listen(server, host, port);
  return { port: bound, setSecureContext: () => undefined, close: () => closeServer(server) };
}

/** MQTT over TLS 1.2+ (B37). */
export async function listenTls(host: string, port: number, tls: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }, accept: (a: Accepted) => void): Promise<Listener> {
  const server = createTlsServer({ ...tls, noDelay: true } as Parameters<typeof createTlsServer>[0], (socket: TLSSocket) => {
    socket.setNoDelay(true);
    accept({ stream: socket, remoteAddress: socket.remoteAddress, tls: socket });
  });
  // A failed handshake is the peer's problem; without a listener it would be an unhandled 'error'.
  server.on('tlsClientError', () => undefined);
  const bound = await listen(server, host, port);
  return { port: bound, setSecureContext: (o) => server.setSecureContext(o), close: () => closeServer(server) };
}

/** MQTT over WebSocket (subprotocol `mqtt`), over HTTPS when `tls` is given (WSS). */
export async function listenWebSocket(o: { host: string; port: number; path: string; maxPayload: number; tls?: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } }, accept: (a: Accepted) => void): Promise<Listener> {
  const onRequest = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => void res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  const http = o.tls ? createHttpsServer({ ...o.tls }, onRequest) : createHttpServer(onRequest);
  // maxPayload bounds one WebSocket message like maxPacketBytes bounds a TCP packet (B8).
  const wss = new WebSocketServer({ server: http, path: o.path, maxPayload: o.maxPayload });
  // ws re-emits the HTTP server's errors; a busy port is reported by the listen promise (OD-P5), not as an uncaught 'error'.
  wss.on('error', () => undefined);
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => stream.destroy());
    const socket = req.socket as TLSSocket;
    accept({ stream, remoteAddress: req.socket.remoteAddress, ...(o.tls ? { tls: socket } : {}) });
  });
  if (o.tls) http.on('tlsClientError', () => undefined);
  const bound = await listen(http, o.host, o.port);
  return {
    port: bound,
    setSecureContext: (c) => {
      if (o.tls) (http as HttpsServer).setSecureContext(c);
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(http);
    },
  };
}
