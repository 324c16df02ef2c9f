import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Listener } from './listener.ts';

/**
 * TLS material from files (B37, B38), re-read on `reload()` (SIGHUP) so a renewed
 * certificate or a new CRL takes effect without a restart. TLS 1.2 is the floor.
 */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA that issues device client certificates; set = mutual TLS is offered (B38). */
  clientCaFile?: string;
  /** Certificate revocation list of that CA (PEM), re-read on reload (B38). */
  crlFile?: string;
}

export function readTlsOptions(files: TlsFiles): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    minVersion: 'TLSv1.2',
    ...(files.clientCaFile ? { ca: readFileSync(files.clientCaFile) } : {}),
    ...(files.crlFile ? { crl: readFileSync(files.crlFile) } : {}),
    // B38: a certificate is asked for but not required, so password devices keep working over TLS;
    // only a certificate that verifies against the CA (and is not in the CRL) names a principal.
    requestCert: files.clientCaFile !== undefined,
    rejectUnauthorized: false,
  };
}

/**
 * B38: the names a verified client certificate carries, in the order tried: the DNS and
 * URI subject alternative names, then the subject CN. Unverified (wrong CA, revoked,
 * expired) or absent certificates name nothing.
 */
export function certificateNames(socket: TLSSocket): string[] {
  if (!socket.authorized) return [];
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return [];
  const names: string[] = [];
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*(DNS|URI):(.+)$/.exec(part);
    if (m?.[2]) names.push(m[2].trim());
  }
  const cn = cert.subject?.CN;
  if (typeof cn === 'string' && cn !== '') names.push(cn);
  else if (Array.isArray(cn) && typeof cn[0] === 'string') names.push(cn[0]);
  return names;
}

/** B37/B38 on SIGHUP: the files re-read and applied to every TLS listener; a bad file keeps the old material. */
export function reloadTlsListeners(files: TlsFiles, listeners: readonly Listener[], log: Logger): void {
  let next: ReturnType<typeof readTlsOptions>;
  try {
    next = readTlsOptions(files);
  } catch (err) {
    log.error({ err }, 'TLS reload refused; the old certificates stay in force');
    return;
  }
  for (const l of listeners) l.setSecureContext(next);
  log.info({ listeners: listeners.length }, 'TLS certificates, client CA and CRL reloaded');
}
