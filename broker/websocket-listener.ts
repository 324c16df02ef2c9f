import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { bindServer, closeServer, type Accepted, type Listener, type ListenerTls } from './listener.ts';

/** MQTT over WebSocket (subprotocol `mqtt`), over HTTPS when `tls` is given (WSS). */
export async function listenWebSocket(o: { host: string; port: number; path: string; maxPayload: number; tls?: ListenerTls }, accept: (a: Accepted) => void): Promise<Listener> {
  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => void res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
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
  const bound = await bindServer(http, o.host, o.port);
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
