import type { Client } from 'aedes';
import type { Principal } from './contract.ts';
import type { BrokerLimits } from './options.ts';
import { TokenBucket } from './token-bucket.ts';

/** What the broker knows about one authenticated connection. */
export interface Session {
  readonly principal: Principal;
  readonly bucket: TokenBucket;
}

/** WeakMap: a session lives exactly as long as aedes keeps the Client object. */
export type Sessions = WeakMap<Client, Session>;

export function newSession(principal: Principal, limits: BrokerLimits, now: number): Session {
  // B7: a gateway carries many devices, so it gets its own (larger) budget.
  const bucket = principal.type === 'gateway'
    ? new TokenBucket(limits.gatewayRatePerSecond, limits.gatewayBurst, now)
    : new TokenBucket(limits.sensorRatePerSecond, limits.sensorBurst, now);
  return { principal, bucket };
}
