import type { Sensor, SensorTopic } from '../domain/index.ts';

/** Who is on the other end of a connection, after authentication. */
export type Principal =
  | { readonly type: 'sensor'; readonly id: string }
  | { readonly type: 'gateway'; readonly id: string }
  /** An anonymous reader on the public WebSocket listener (B13): may read `public/…` only. */
  | { readonly type: 'public'; readonly id: 'anonymous' }
  /** Emergency/operations staff reading alerts with their API token (B14): subscribe to alerts/… only. */
  | { readonly type: 'staff'; readonly id: string }
  /** An integration (Node-RED, Telegraf, a bridge) with explicit read/publish grants (RG5, B15). */
  | { readonly type: 'integration'; readonly id: string };

/** An authorised PUBLISH on a sensor topic (T1/T2), handed to ingest before acknowledgement. */
export interface InboundMessage {
  readonly topic: string;
  /** Parsed topic, or undefined when the topic is under the principal's prefix but not a valid T1/T2 topic. */
  readonly parsed: SensorTopic | undefined;
  readonly payload: Buffer;
  readonly clientId: string;
  readonly principal: Principal;
  readonly qos: 0 | 1 | 2;
  readonly receivedAt: number;
  /**
   * B44: the registry's sensor as the ACL check resolved it for this very message (one lookup
   * per reading); undefined when the message waited for its rate budget, so the handler looks
   * it up again and a registry change made meanwhile applies.
   */
  readonly sensor?: Sensor | undefined;
}

/**
 * Called by the broker for every authorised sensor-topic PUBLISH. The broker sends
 * PUBACK only after `done` is called, so the handler calls it once the message is
 * durable (journaled, or dead-lettered). `done(err)` closes the connection.
 */
export type InboundHandler = (msg: InboundMessage, done: (err?: Error) => void) => void;

/** Messages the broker itself refuses before ingest (ACL, rate, size), for dead-lettering and counting. */
export interface BrokerRejection {
  readonly reason: 'NOT_AUTHORIZED' | 'RATE_LIMITED' | 'OVERSIZED' | 'UNKNOWN_SENSOR' | 'BAD_TOPIC';
  readonly message: string;
  readonly topic: string;
  readonly clientId: string;
  readonly sensorId?: string;
  readonly payload?: Buffer;
  readonly payloadBytes: number;
}
