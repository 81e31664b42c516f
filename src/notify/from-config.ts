import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Config } from '../config/index.js';
import { notificationEvents, type NotificationEventName } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../observability/index.js';
import type { NotificationChannel } from './notification.js';
import { Notifier, type NotifierOptions } from './notifier.js';
import { smtpChannel } from './smtp-channel.js';
import { webhookChannel } from './webhook-channel.js';

/** E-mail retries: SMTP servers answer 4xx while greylisting or busy; a few attempts over minutes suffice. */
const smtpRetries = 4;

/** The channels `[notify_smtp]` and `[notify_webhook]` configure (none: notifications are off). */
export async function channelsFromConfig(config: Config, version?: string): Promise<NotificationChannel[]> {
  const out: NotificationChannel[] = [];
  const s = config.notify_smtp;
  if (s.host !== '') {
    let ca: Buffer | undefined;
    if (s.caFile !== '') {
      try {
        ca = await readFile(s.caFile);
      } catch (e) {
        throw new AppError('PB_ERR_CONFIG_INVALID', `notify_smtp.ca_file: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    out.push(
      smtpChannel({
        host: s.host,
        port: s.port,
        security: s.security,
        ca,
        username: s.username,
        password: s.password,
        from: s.from,
        to: s.to,
        timeoutMs: s.timeoutSeconds * 1000,
      }),
    );
  }
  const w = config.notify_webhook;
  if (w.url !== '')
    out.push(
      webhookChannel({
        url: w.url,
        secret: w.secret,
        timeoutMs: w.timeoutSeconds * 1000,
        userAgent: `Patchbay/${version ?? '0.0.0'}`,
      }),
    );
  return out;
}

export function enabledEvents(config: Config): Set<NotificationEventName> {
  const listed = config.notifications.events;
  const events = new Set<NotificationEventName>(
    listed.includes('all') ? notificationEvents : (listed as readonly NotificationEventName[]),
  );
  if (config.notifications.summary === 'none') events.delete('summary');
  return events;
}

export async function notifierFromConfig(
  config: Config,
  logger: Logger,
  extra: Partial<Pick<NotifierOptions, 'onQueueLength' | 'onOutcome' | 'backoffMs'>> & {
    version?: string;
  } = {},
): Promise<Notifier> {
  const { version, ...hooks } = extra;
  return new Notifier({
    channels: await channelsFromConfig(config, version),
    events: enabledEvents(config),
    queueLimit: config.notifications.queueLimit,
    retries: { email: smtpRetries, webhook: config.notify_webhook.retries },
    repeatMs: config.notifications.repeatHours * 3_600_000,
    logger: logger.child({ component: 'notify' }),
    ...hooks,
  });
}

/** The name notifications carry: the configured base URL's host, else the machine's host name. */
export function serverName(config: Config): string {
  if (config.server.baseUrl !== '') return new URL(config.server.baseUrl).host;
  return hostname();
}
