import { Duplex } from 'node:stream';
import type { GuardViolation, PacketSizeGuard } from './packet-size-guard.ts';

/**
 * The stream aedes reads from instead of the raw socket (B8). Chunks pass through
 * untouched (same Buffer objects) after the size guard has looked at their headers;
 * on a violation the socket is destroyed before the rest of the packet is read.
 * Writes go straight to the socket; `_writev` keeps the cork/uncork batching that
 * mqtt-packet's writeToStream relies on.
 */
export class GuardedSocket extends Duplex {
  /**
   * `socket`: a TCP or TLS socket, or a WebSocket stream (B37) whose MQTT packets may
   * span WebSocket messages and need the same guard.
   */
  constructor(
    private readonly socket: Duplex,
    private readonly guard: PacketSizeGuard,
    private readonly onViolation: (v: GuardViolation) => void,
    private readonly remote: string | undefined = (socket as { remoteAddress?: string }).remoteAddress,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.remote;
  }

  private onData(chunk: Buffer): void {
    const violation = this.guard.scan(chunk);
    if (violation !== undefined) {
      this.onViolation(violation);
      this.destroy();
      return;
    }
    // Backpressure: stop reading the socket until aedes asks for more.
    if (!this.push(chunk)) this.socket.pause();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const last = chunks.length - 1;
    this.socket.cork();
    for (let i = 0; i < last; i++) this.socket.write((chunks[i] as { chunk: Buffer }).chunk);
    this.socket.write((chunks[last] as { chunk: Buffer }).chunk, cb);
    this.socket.uncork();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
