import { readFileSync } from 'node:fs';
import type { BrokerOptions } from '../broker/index.ts';
import type { Config } from './config-schema.ts';

/**
 * Issue 12: the broker's listeners, TLS and failed-login settings from the configuration
 * (B35–B39). Plain TCP on mqtt.port: 'auto' keeps it to loopback once TLS is configured.
 */
export function brokerTransport(config: Readonly<Config>): Pick<BrokerOptions, 'host' | 'port' | 'tls' | 'deviceWebSocket' | 'loginThrottle' | 'unauthenticatedDeadLettersPerSecond'> {
  const m = config.mqtt;
  const mode = m.plainTcp === 'auto' ? (config.tls ? 'loopback' : 'on') : m.plainTcp;
  const t = config.tls;
  return {
    host: mode === 'loopback' ? '127.0.0.1' : config.bind,
    port: mode === 'off' ? -1 : m.port,
    ...(t ? { tls: { host: config.bind, port: m.tlsPort, certFile: t.certFile, keyFile: t.keyFile, ...(t.clientCaFile ? { clientCaFile: t.clientCaFile } : {}), ...(t.crlFile ? { crlFile: t.crlFile } : {}) } } : {}),
    ...(m.deviceWsPort >= 0 ? { deviceWebSocket: { host: config.bind, port: m.deviceWsPort, path: '/mqtt' } } : {}),
    loginThrottle: { freeFailures: m.loginFreeFailures, baseLockMs: m.loginBaseLockMs, maxLockMs: m.loginMaxLockMs, maxEntries: m.loginTableEntries, hashConcurrency: m.hashConcurrency, maxHashQueue: m.maxHashQueue },
    unauthenticatedDeadLettersPerSecond: m.unauthenticatedDeadLettersPerSecond,
  };
}

/** HTTPS material for the API (same certificate as MQTT), or undefined when tls.https is off or no tls. */
export function apiHttps(config: Readonly<Config>): { key: Buffer; cert: Buffer; minVersion: 'TLSv1.2' } | undefined {
  const t = config.tls;
  if (!t || !t.https) return undefined;
  return { key: readFileSync(t.keyFile), cert: readFileSync(t.certFile), minVersion: 'TLSv1.2' };
}
