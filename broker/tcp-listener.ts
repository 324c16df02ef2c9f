import { createServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { bindServer, closeServer, type Accepted, type Listener, type ListenerTls } from './listener.ts';

/** Plain TCP (B12: TCP_NODELAY on every socket). */
export async function listenTcp(host: string, port: number, accept: (a: Accepted) => void): Promise<Listener> {
  const server = createServer({ noDelay: true }, (socket: Socket) => accept({ stream: socket, remoteAddress: socket.remoteAddress }));
  const bound = await bindServer(server, host, port);
  return { port: bound, setSecureContext: () => undefined, close: () => closeServer(server) };
}

/** MQTT over TLS 1.2+ (B37). */
export async function listenTls(host: string, port: number, tls: ListenerTls, accept: (a: Accepted) => void): Promise<Listener> {
  const server = createTlsServer({ ...tls, noDelay: true } as Parameters<typeof createTlsServer>[0], (socket: TLSSocket) => {
    socket.setNoDelay(true);
    accept({ stream: socket, remoteAddress: socket.remoteAddress, tls: socket });
  });
  // A failed handshake is the peer's problem; without a listener it would be an unhandled 'error'.
  server.on('tlsClientError', () => undefined);
  const bound = await bindServer(server, host, port);
  return { port: bound, setSecureContext: (o) => server.setSecureContext(o), close: () => closeServer(server) };
}
