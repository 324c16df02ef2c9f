import nodemailer, { type Transporter } from 'nodemailer';

/**
 * E-mail over SMTP (nodemailer). TLS is configuration: `secure` for implicit TLS
 * (port 465), `requireTLS` to insist on STARTTLS, `rejectUnauthorized: false` only for
 * a test server with a self-signed certificate.
 */
export interface SmtpOptions {
  readonly host: string;
  readonly port: number;
  readonly secure?: boolean;
  readonly requireTLS?: boolean;
  readonly ignoreTLS?: boolean;
  readonly rejectUnauthorized?: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly from: string;
  readonly timeoutMs?: number;
}

export interface Mailer {
  send(to: string, subject: string, text: string): Promise<void>;
  close(): void;
}

export function createMailer(o: SmtpOptions): Mailer {
  const transport: Transporter = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure ?? false,
    requireTLS: o.requireTLS ?? false,
    ignoreTLS: o.ignoreTLS ?? false,
    ...(o.auth ? { auth: { user: o.auth.user, pass: o.auth.pass } } : {}),
    tls: { rejectUnauthorized: o.rejectUnauthorized ?? true },
    connectionTimeout: o.timeoutMs ?? 10_000,
    socketTimeout: o.timeoutMs ?? 10_000,
  });
  return {
    async send(to, subject, text) {
      await transport.sendMail({ from: o.from, to, subject, text, headers: { 'Content-Language': 'zh-TW, en' } });
    },
    close: () => transport.close(),
  };
}
