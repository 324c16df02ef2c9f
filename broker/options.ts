import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '../registry/index.ts';
import type { BrokerRejection, InboundHandler, Principal } from './contract.ts';
import type { CredentialCheckerOptions } from './login-throttle.ts';
import type { TlsFiles } from './tls.ts';

/** Broker limits; the config loader validates them and supplies the defaults. */
export interface BrokerLimits {
  /** Largest whole MQTT packet in bytes (fixed header included, as MQTT 5 §3.1.2.11.4 counts it). */
  maxPacketBytes: number;
  /** Topic levels allowed in PUBLISH/SUBSCRIBE/Will; aedes clamps it to 1–100. Our topics have 4. */
  maxTopicLevels: number;
  /** A subscriber whose socket stays full this long is disconnected (aedes deadlock guard). */
  drainTimeoutMs: number;
  /** Time from TCP accept to CONNECT before the socket is dropped. */
  connectTimeoutMs: number;
  /** Largest keep-alive a client may ask for; 0 = no limit. aedes then also refuses keep-alive 0. */
  keepaliveLimitSeconds: number;
  sensorRatePerSecond: number;
  sensorBurst: number;
  gatewayRatePerSecond: number;
  gatewayBurst: number;
  /** QoS 1/2 over budget is held at most this long (ms of owed budget) before the connection is closed instead. */
  maxThrottleMs: number;
}

/** The public MQTT-over-WebSocket listener for map apps (B13). */
export interface PublicWebSocketOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** HTTP path of the WebSocket endpoint (e.g. /mqtt). */
  path: string;
  /** Which filters an anonymous reader may subscribe to (the exporter's public topics). */
  maySubscribe: (filter: string) => boolean;
  /**
   * B43: told what public readers subscribe to, so a publisher can publish only topics someone
   * reads (the STA MQTT topics). Granted filters only; `gone` when the reader's connection ends.
   */
  onSubscriptions?: (event: PublicSubscriptionEvent) => void;
}

/** `reader` is one connection (not its client id, which a reconnect takes over before the old one is gone). */
export type PublicSubscriptionEvent =
  | { readonly type: 'subscribe' | 'unsubscribe'; readonly reader: object; readonly filters: readonly string[] }
  | { readonly type: 'gone'; readonly reader: object };

/** MQTT over TLS (B37) and, with a client CA, mutual TLS device identity (B38). */
export interface BrokerTlsOptions extends TlsFiles {
  host: string;
  /** 0 = any free port; 8883 in the configuration's default. */
  port: number;
}

/** The authenticated device WebSocket listener (B37): same auth and ACLs as TCP; WSS when `tls` is set. */
export interface DeviceWebSocketOptions {
  host: string;
  port: number;
  path: string;
}

export interface BrokerOptions {
  host: string;
  /** Plain MQTT TCP port; 0 = any free port; -1 = no plain TCP listener. `start()` returns the one bound. */
  port: number;
  tls?: BrokerTlsOptions;
  deviceWebSocket?: DeviceWebSocketOptions;
  /** Failed-login throttle and hashing gate (B35, B36); defaults in login-throttle.ts. */
  loginThrottle?: Partial<CredentialCheckerOptions>;
  /** Dead letters from unauthenticated peers: at most this many per second (burst the same, B39). Default 1. */
  unauthenticatedDeadLettersPerSecond?: number;
  registry: Registry;
  limits: BrokerLimits;
  /** Staff credentials (user = staff name, password = API token) → staff id, or undefined (B14). */
  staffAuth?: (username: string, password: Buffer) => { id: string } | undefined;
  /** Public WebSocket listener; absent = none. */
  publicWebSocket?: PublicWebSocketOptions;
  /** Called for every authorised PUBLISH on the principal's own sensor topics (T1/T2), PUBACK waits for `done`. */
  onInbound: InboundHandler;
  /** Broker-level refusals (ACL, rate, size, unknown sensor via gateway, bad topic). */
  onRejected: (r: BrokerRejection) => void;
  onConnection?: (principal: Principal, clientId: string, connected: boolean) => void;
  logger: Logger;
  metrics: MetricsRegistry;
}
