/**
 * Webhook delivery: the notification as a JSON POST, signed so the receiver can tell it came from this
 * server and was not replayed. Signature (docs/operations.md "Webhooks"):
 *   X-Patchbay-Timestamp: <unix seconds>
 *   X-Patchbay-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * X-Patchbay-Delivery is one id per notification, the same on every retry, so a receiver can deduplicate.
 * Redirects are not followed (a signed body must not go elsewhere); 2xx is delivered, 408/429/5xx and network
 * errors are retried by the notifier, other 4xx are not (the receiver refuses the request as such).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { DeliveryError, type Notification, type NotificationChannel } from './notification.js';

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly userAgent?: string;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhookChannel(o: WebhookOptions): NotificationChannel {
  const shown = new URL(o.url);
  shown.username = '';
  shown.password = '';
  shown.search = '';
  const deliveryIds = new WeakMap<Notification, string>();
  return {
    name: 'webhook',
    target: shown.toString(),
    async send(n) {
      let id = deliveryIds.get(n);
      if (id === undefined) deliveryIds.set(n, (id = randomUUID()));
      const body = JSON.stringify(n);
      const timestamp = String(Math.floor(Date.now() / 1000));
      let status: number;
      try {
        const res = await request(o.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': o.userAgent ?? 'Patchbay',
            'x-patchbay-event': n.event,
            'x-patchbay-delivery': id,
            'x-patchbay-timestamp': timestamp,
            'x-patchbay-signature': signWebhook(o.secret, timestamp, body),
          },
          body,
          headersTimeout: o.timeoutMs,
          bodyTimeout: o.timeoutMs,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        status = res.statusCode;
        // At most a little of the answer is read: a receiver's page is not our concern.
        await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      } catch (e) {
        throw new DeliveryError(`${(e as Error).message}`, true, { cause: e });
      }
      if (status >= 200 && status < 300) return;
      const retryable = status === 408 || status === 429 || status >= 500;
      throw new DeliveryError(`the receiver answered HTTP ${status}`, retryable);
    },
    close: () => Promise.resolve(),
  };
}
