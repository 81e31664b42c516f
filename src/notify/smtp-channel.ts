/**
 * E-mail delivery through an SMTP server (nodemailer): STARTTLS required by default (`security = starttls`;
 * a server that does not offer it is refused rather than used in plain text), implicit TLS (`tls`, port 465)
 * or plain (`none`, a lab relay), AUTH when a user name is set. The certificate is verified against the
 * system CAs plus `ca_file`.
 */
import nodemailer from 'nodemailer';
import { DeliveryError, type Notification, type NotificationChannel } from './notification.js';

export interface SmtpOptions {
  readonly host: string;
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
  readonly ca?: Buffer | undefined;
  readonly username: string;
  readonly password: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly timeoutMs: number;
}

export function formatMail(n: Notification): { subject: string; text: string } {
  const tag = n.test === true ? ' [test]' : '';
  const detail =
    n.detail === undefined ? '' : `\n\nDetails:\n${JSON.stringify(n.detail, null, 2).slice(0, 16_000)}`;
  return {
    subject: `[Patchbay ${n.server}]${tag} ${n.severity}: ${n.title}`,
    text: `${n.text}\n\nEvent: ${n.event}\nServer: ${n.server}\nTime: ${n.at}${detail}\n`,
  };
}

/** SMTP reply codes 4xx are temporary (try again later); 5xx and authentication failures are not. */
function retryable(e: unknown): boolean {
  const err = e as { responseCode?: number; code?: string };
  if (err.code === 'EAUTH' || err.code === 'ETLS') return false;
  if (typeof err.responseCode === 'number') return err.responseCode < 500;
  return true;
}

export function smtpChannel(o: SmtpOptions): NotificationChannel {
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.security === 'tls',
    requireTLS: o.security === 'starttls',
    ignoreTLS: o.security === 'none',
    ...(o.username !== '' ? { auth: { user: o.username, pass: o.password } } : {}),
    tls: { servername: o.host, ...(o.ca !== undefined ? { ca: o.ca } : {}), minVersion: 'TLSv1.2' },
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
  });
  return {
    name: 'email',
    target: `smtp://${o.host}:${o.port} (${o.security})`,
    async send(n) {
      const mail = formatMail(n);
      try {
        await transport.sendMail({ from: o.from, to: [...o.to], subject: mail.subject, text: mail.text });
      } catch (e) {
        throw new DeliveryError((e as Error).message, retryable(e), { cause: e });
      }
    },
    close: () => {
      transport.close();
      return Promise.resolve();
    },
  };
}
