import { connect as tcpConnect, type Socket } from 'node:net';
import { DISCONNECT, PINGREQ, PacketReader, connectPacket, publishQos1, type Incoming } from './mqtt-wire.ts';

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  /** QoS 1 messages in flight before `send` refuses (a device's outbox window). */
  readonly window: number;
  /** Called for every PUBACK with the tag given to `send` and the wall time it was written. */
  readonly onAck: (tag: number, sentAtMs: number, ackAtMs: number) => void;
  /** Called when the window has room again after being full. */
  readonly onRoom?: () => void;
}

const KEEPALIVE_S = 1_000;
/** Wall clock with sub-ms resolution, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * One MQTT connection of the load generator: QoS 1 publishes with a bounded in-flight
 * window, written in one socket write per event-loop turn (like a device's batched
 * radio frames), and PUBACKs matched to their packet ids.
 */
export class Connection {
  private socket: Socket | undefined;
  private readonly reader = new PacketReader();
  private readonly sentAt = new Float64Array(65_536);
  private readonly tags = new Int32Array(65_536);
  private readonly busy = new Uint8Array(65_536);
  private nextId = 1;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private wasFull = false;
  private ping: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  inflight = 0;
  sent = 0;
  acked = 0;
  closed = false;
  error: Error | undefined;

  constructor(private readonly o: ConnectionOptions) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: this.o.host, port: this.o.port, noDelay: true });
      this.socket = socket;
      socket.once('error', reject);
      socket.on('close', () => {
        this.closed = true;
        if (this.ping) clearInterval(this.ping);
        if (!this.error && this.inflight > 0) this.error = new Error(`${this.o.clientId}: closed with ${this.inflight} in flight`);
        this.drained?.();
      });
      socket.on('data', (chunk: Buffer) =>
        this.reader.push(chunk, (p: Incoming) => {
          if (p.type === 'connack') {
            if (p.returnCode !== 0) return reject(new Error(`${this.o.clientId}: CONNACK ${p.returnCode}`));
            socket.off('error', reject);
            socket.on('error', (err) => (this.error = err));
            this.ping = setInterval(() => socket.write(PINGREQ), (KEEPALIVE_S * 1000) / 2).unref();
            resolve();
          } else if (p.type === 'puback') this.ack(p.packetId);
        }),
      );
      socket.write(connectPacket(this.o.clientId, this.o.username, this.o.password, KEEPALIVE_S));
    });
  }

  get hasRoom(): boolean {
    return !this.closed && this.inflight < this.o.window;
  }

  /** Queues one QoS 1 publish; false (nothing sent) when the window is full. */
  send(topic: Buffer, payload: Buffer, tag = 0): boolean {
    if (!this.hasRoom) {
      this.wasFull = true;
      return false;
    }
    let id = this.nextId;
    while (this.busy[id] === 1) id = id === 65_535 ? 1 : id + 1;
    this.nextId = id === 65_535 ? 1 : id + 1;
    this.busy[id] = 1;
    this.tags[id] = tag;
    this.sentAt[id] = wallNow();
    this.inflight++;
    this.sent++;
    this.out.push(publishQos1(topic, id, payload));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Resolves once every sent message is acknowledged (or the connection closed). */
  drain(): Promise<void> {
    if (this.inflight === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.closed || !this.socket) return;
    const socket = this.socket;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end(DISCONNECT);
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || !this.socket) return;
    const chunk = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(chunk);
  }

  private ack(id: number): void {
    if (this.busy[id] !== 1) return;
    this.busy[id] = 0;
    this.inflight--;
    this.acked++;
    this.o.onAck(this.tags[id]!, this.sentAt[id]!, wallNow());
    if (this.inflight === 0 && this.drained) {
      const d = this.drained;
      this.drained = undefined;
      d();
    }
    if (this.wasFull) {
      this.wasFull = false;
      this.o.onRoom?.();
    }
  }
}
