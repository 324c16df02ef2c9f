import type { ServerResponse } from 'node:http';

/**
 * Live stream for consoles (Server-Sent Events).
 * SS1 Every event has an increasing id; a console that reconnects with Last-Event-ID
 *     gets the events it missed from a bounded ring (default 1000), then live ones.
 * SS2 A comment line every keepAliveMs keeps proxies from closing idle streams.
 * SS3 A slow client whose socket buffer is full is dropped rather than buffered without
 *     bound (aedes' frozen-subscriber lesson).
 */
interface Event {
  readonly id: number;
  readonly type: string;
  readonly data: string;
}

export class SseHub {
  private readonly ring: Event[] = [];
  private readonly clients = new Set<ServerResponse>();
  private nextId = 1;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ringSize = 1000, keepAliveMs = 15_000) {
    this.timer = setInterval(() => this.broadcastRaw(': keep-alive\n\n'), keepAliveMs);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  publish(type: string, payload: unknown): void {
    const e: Event = { id: this.nextId++, type, data: JSON.stringify(payload) };
    this.ring.push(e);
    if (this.ring.length > this.ringSize) this.ring.shift();
    this.broadcastRaw(frame(e));
  }

  /** Takes over a raw response (Fastify: reply.hijack()). */
  attach(res: ServerResponse, lastEventId?: number): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': civicstream alerts\n\n');
    if (lastEventId !== undefined) for (const e of this.ring) if (e.id > lastEventId) res.write(frame(e));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private broadcastRaw(text: string): void {
    for (const c of this.clients) {
      if (c.writableNeedDrain) {
        c.destroy(); // SS3
        this.clients.delete(c);
        continue;
      }
      c.write(text);
    }
  }
}

function frame(e: Event): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`;
}
