import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';

/**
 * `civicstream certs dev` (issue 12): a local CA, a server certificate for localhost and
 * client certificates for device principals, for trying TLS and mutual TLS (B37, B38).
 * Uses the openssl command line (Debian's openssl). Development only: the CA key sits
 * next to the certificates, unencrypted.
 */
export interface DevCerts {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  crl: string;
  clients: Record<string, { cert: string; key: string }>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Minimal `openssl ca` configuration, enough to revoke certificates and sign CRLs. */
function caConfig(dir: string): string {
  return `[ ca ]
default_ca = dev
[ dev ]
dir = ${dir}
database = ${path.join(dir, 'index.txt')}
crlnumber = ${path.join(dir, 'crlnumber')}
default_md = sha256
default_crl_days = 3650
`;
}

export function makeDevCerts(dir: string, opts: { clients?: string[]; hosts?: string[]; days?: number } = {}): DevCerts {
  const out = path.resolve(dir);
  mkdirSync(out, { recursive: true });
  const days = String(opts.days ?? 825);
  const hosts = opts.hosts ?? ['localhost'];
  const san = ['IP:127.0.0.1', 'IP:::1', ...hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`))].join(',');
  writeFileSync(path.join(out, 'index.txt'), '');
  writeFileSync(path.join(out, 'crlnumber'), '01\n');
  writeFileSync(path.join(out, 'ca.cnf'), caConfig(out));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/O=civicstream dev/CN=civicstream dev CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], out);
  const issue = (name: string, subject: string, ext: string[]): void => {
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], out);
    const extFile = path.join(out, `${name}.ext`);
    writeFileSync(extFile, ext.join('\n') + '\n');
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', days, '-extfile', extFile], out);
  };
  issue('server', '/O=civicstream dev/CN=localhost', [`subjectAltName=${san}`, 'extendedKeyUsage=serverAuth', 'basicConstraints=CA:FALSE']);
  const clients: DevCerts['clients'] = {};
  for (const id of opts.clients ?? []) {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new Error(`principal id ${id} is not a plain name`);
    issue(`client-${id}`, `/O=civicstream dev/CN=${id}`, [`subjectAltName=DNS:${id}`, 'extendedKeyUsage=clientAuth', 'basicConstraints=CA:FALSE']);
    clients[id] = { cert: path.join(out, `client-${id}.crt`), key: path.join(out, `client-${id}.key`) };
  }
  const dev: DevCerts = { dir: out, caCert: path.join(out, 'ca.crt'), caKey: path.join(out, 'ca.key'), serverCert: path.join(out, 'server.crt'), serverKey: path.join(out, 'server.key'), crl: path.join(out, 'ca.crl'), clients };
  writeCrl(dev);
  return dev;
}

/** (Re)writes the CA's CRL from its revocation database. */
export function writeCrl(dev: DevCerts): void {
  openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-keyfile', 'ca.key', '-cert', 'ca.crt', '-out', 'ca.crl'], dev.dir);
}

/** Revokes a client certificate and rewrites the CRL (the broker picks it up on SIGHUP / reloadTls). */
export function revokeClient(dev: DevCerts, id: string): void {
  const c = dev.clients[id];
  if (!c) throw new Error(`no dev certificate for ${id}`);
  openssl(['ca', '-config', 'ca.cnf', '-revoke', c.cert, '-keyfile', 'ca.key', '-cert', 'ca.crt'], dev.dir);
  writeCrl(dev);
}

export function registerCertsCommand(program: Command): void {
  const certs = program.command('certs').description('憑證工具 certificate helpers (TLS / mutual TLS)');
  certs
    .command('dev')
    .description('建立本機測試用 CA 與憑證 make a local CA, a localhost server certificate and device client certificates (development only)')
    .option('--out <dir>', 'output directory', './data/certs')
    .option('--client <id...>', 'principal ids (sensor or gateway) to issue client certificates for', [])
    .option('--host <name...>', 'extra server names (DNS or IP) besides localhost, 127.0.0.1, ::1', [])
    .action((o: { out: string; client: string[]; host: string[] }) => {
      const dev = makeDevCerts(o.out, { clients: o.client, hosts: ['localhost', ...o.host] });
      const lines = [
        `CA 憑證 CA certificate:  ${dev.caCert}`,
        `伺服器 server:           ${dev.serverCert}  ${dev.serverKey}`,
        `撤銷清單 CRL:            ${dev.crl}`,
        ...Object.entries(dev.clients).map(([id, c]) => `裝置 device ${id}:  ${c.cert}  ${c.key}`),
        '',
        'config (YAML):',
        'tls:',
        `  certFile: ${dev.serverCert}`,
        `  keyFile: ${dev.serverKey}`,
        `  clientCaFile: ${dev.caCert}`,
        `  crlFile: ${dev.crl}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
