import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { remainingLength } from '../../bench/load/mqtt-wire.ts';

/**
 * A raw MQTT 3.1.1 client for tests that must send exact bytes (malformed Wills, bad UTF-8,
 * CONNECT + FIN) and see exactly what the broker writes back. Encoders follow §2–§3.
 */
export function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

// §2.2.3 Remaining Length: the load generator's encoder (tested against the spec's examples in test/bench/mqtt-wire.test.ts).
export { remainingLength } from '../../bench/load/mqtt-wire.ts';

export function packet(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | flags]), remainingLength(body.length), body]);
}

export interface ConnectFields {
  clientId: string | Buffer;
  username?: string;
  password?: string;
  keepalive?: number;
  clean?: boolean;
  will?: { topic: string | Buffer; payload: string; qos: number; retain: boolean };
}

export function connectPacket(c: ConnectFields): Buffer {
  let flags = c.clean === false ? 0 : 0x02;
  if (c.will) flags |= 0x04 | ((c.will.qos & 3) << 3) | (c.will.retain ? 0x20 : 0);
  if (c.password !== undefined) flags |= 0x40;
  if (c.username !== undefined) flags |= 0x80;
  const ka = Buffer.alloc(2);
  ka.writeUInt16BE(c.keepalive ?? 0);
  const parts = [str('MQTT'), Buffer.from([4, flags]), ka, str(c.clientId)];
  if (c.will) parts.push(str(c.will.topic), str(c.will.payload));
  if (c.username !== undefined) parts.push(str(c.username));
  if (c.password !== undefined) parts.push(str(c.password));
  return packet(1, 0, Buffer.concat(parts));
}

export function publishPacket(topic: string | Buffer, payload: string, qos: 0 | 1, id = 1, o: { retain?: boolean; dup?: boolean } = {}): Buffer {
  const idBuf = Buffer.alloc(2);
  idBuf.writeUInt16BE(id);
  const flags = (o.dup ? 8 : 0) | (qos << 1) | (o.retain ? 1 : 0);
  return packet(3, flags, Buffer.concat([str(topic), ...(qos > 0 ? [idBuf] : []), Buffer.from(payload)]));
}

export function subscribePacket(id: number, filters: Array<[string | Buffer, number]>): Buffer {
  const idBuf = Buffer.alloc(2);
  idBuf.writeUInt16BE(id);
  return packet(8, 2, Buffer.concat([idBuf, ...filters.flatMap(([f, q]) => [str(f), Buffer.from([q])])]));
}

export function pubackPacket(id: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(id);
  return packet(4, 0, b);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export type Received =
  | { type: 'connack'; returnCode: number; sessionPresent: boolean }
  | { type: 'puback'; id: number }
  | { type: 'suback'; id: number; codes: number[] }
  | { type: 'publish'; topic: string; qos: number; dup: boolean; retain: boolean; id?: number; payload: string }
  | { type: 'other'; code: number };

/** Parses what the broker writes; `next()` waits for the next packet or rejects when the socket closes first. */
export class RawClient {
  readonly socket: Socket;
  readonly received: Received[] = [];
  readonly closed: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = tcpConnect(port, host);
    socket.setNoDelay(true);
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  send(b: Buffer): void {
    this.socket.write(b);
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Next received packet (optionally of one type, skipping others); undefined when the socket closed first. */
  async next(type?: Received['type'], timeoutMs = 5_000): Promise<Received | undefined> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      while (seen < this.received.length) {
        const r = this.received[seen++] as Received;
        if (type === undefined || r.type === type) {
          this.received.splice(seen - 1, 1);
          return r;
        }
      }
      if (this.isClosed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type ?? 'packet'} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      seen = 0;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters.splice(0);
    for (const f of w) f();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) break;
      let len = 0;
      let mul = 1;
      let i = 1;
      let done = false;
      while (i < this.buf.length && i <= 4) {
        const byte = this.buf[i++] as number;
        len += (byte & 0x7f) * mul;
        mul *= 128;
        if (!(byte & 0x80)) {
          done = true;
          break;
        }
      }
      if (!done || this.buf.length < i + len) break;
      const first = this.buf[0] as number;
      const body = this.buf.subarray(i, i + len);
      this.buf = this.buf.subarray(i + len);
      this.received.push(parse(first, body));
    }
    this.wake();
  }
}

function parse(first: number, body: Buffer): Received {
  const code = first >> 4;
  if (code === 2) return { type: 'connack', sessionPresent: ((body[0] as number) & 1) === 1, returnCode: body[1] as number };
  if (code === 4) return { type: 'puback', id: body.readUInt16BE(0) };
  if (code === 9) return { type: 'suback', id: body.readUInt16BE(0), codes: [...body.subarray(2)] };
  if (code === 3) {
    const qos = (first >> 1) & 3;
    const tlen = body.readUInt16BE(0);
    const topic = body.toString('utf8', 2, 2 + tlen);
    let at = 2 + tlen;
    let id: number | undefined;
    if (qos > 0) {
      id = body.readUInt16BE(at);
      at += 2;
    }
    return { type: 'publish', topic, qos, dup: (first & 8) !== 0, retain: (first & 1) !== 0, ...(id !== undefined ? { id } : {}), payload: body.toString('utf8', at) };
  }
  return { type: 'other', code };
}

/** Opens a raw connection, sends CONNECT and returns it with the CONNACK code (undefined = closed without CONNACK). */
export async function rawConnect(port: number, c: ConnectFields): Promise<{ client: RawClient; code: number | undefined }> {
  const client = await RawClient.open(port);
  client.send(connectPacket(c));
  const r = await client.next('connack');
  return { client, code: r?.type === 'connack' ? r.returnCode : undefined };
}
