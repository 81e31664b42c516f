/**
 * A Notifier with one webhook channel to a receiver on loopback that keeps every notification it is sent, for the
 * tests of emitters (rollout rings): the real channel, the real HTTP, no signature check (notifications.test.ts
 * covers signing and retries).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { notificationEvents } from '../../src/domain/index.js';
import { Notifier, webhookChannel, type Notification } from '../../src/notify/index.js';
import { createLogger } from '../../src/observability/index.js';

export async function webhookNotifier(
  t: TestContext,
): Promise<{ notifier: Notifier; received: Notification[] }> {
  const received: Notification[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const notifier = new Notifier({
    channels: [
      webhookChannel({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        secret: 'test',
        timeoutMs: 2000,
      }),
    ],
    events: new Set(notificationEvents),
    queueLimit: 50,
    retries: { email: 0, webhook: 0 },
    repeatMs: 0,
    logger: createLogger({ level: 'silent', format: 'json' }),
  });
  t.after(async () => {
    await notifier.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { notifier, received };
}
