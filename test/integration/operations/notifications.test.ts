/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- CLI --json output, webhook bodies and Prometheus answers are untyped JSON; the assertions check their shape. */
/**
 * Issue 16 item 2: notifications through a real SMTP server on loopback (smtp-server, STARTTLS required,
 * AUTH only after it, a throwaway CA) and a webhook receiver that checks the HMAC signature and fails the
 * first attempts (retries with the same delivery id); `patchbay notify test` reports per channel and exits
 * non-zero when one fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { runCli } from '../../../src/cli/index.js';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { notificationEvents } from '../../../src/domain/index.js';
import { Notifier, smtpChannel, syncFailedNotification, webhookChannel } from '../../../src/notify/index.js';
import { silentLogger } from '../client-service/harness.js';
import { createTestPki } from '../../helpers/tls.js';

interface Mail {
  from: string;
  to: string[];
  body: string;
  secure: boolean;
  user: string | undefined;
}

async function startSmtp(t: import('node:test').TestContext, pki: ReturnType<typeof createTestPki>) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    key: pki.keyPem,
    cert: pki.certPem,
    secure: false,
    // AUTH only over TLS (the default, said explicitly): a client that skips STARTTLS cannot log in.
    allowInsecureAuth: false,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'patchbay' && auth.password === 's3cret!')
        return cb(null, { user: auth.username });
      return cb(new Error('invalid credentials'));
    },
    onMailFrom(_addr, session, cb) {
      if (session.user === undefined)
        return cb(Object.assign(new Error('authentication required'), { responseCode: 530 }));
      cb();
    },
    onData(stream, session, cb) {
      let body = '';
      stream.on('data', (d: Buffer) => (body += d.toString()));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body,
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return { port, mails };
}

const secret = 'webhook-key-\u00e9';

function verify(req: IncomingMessage, body: string): boolean {
  const ts = String(req.headers['x-patchbay-timestamp']);
  const sig = String(req.headers['x-patchbay-signature']);
  const want = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  return sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
}

/** A receiver that checks signatures and answers 503 to every `failEvery`-th attempt of each delivery's first tries. */
async function startReceiver(
  t: import('node:test').TestContext,
  opts: { failFirst: number; status?: number },
) {
  const attempts = new Map<string, number>();
  const accepted: { id: string; body: any }[] = [];
  let badSignatures = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (!verify(req, body)) {
        badSignatures++;
        res.writeHead(401).end();
        return;
      }
      const id = String(req.headers['x-patchbay-delivery']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (opts.status !== undefined) return void res.writeHead(opts.status).end('no');
      if (n <= opts.failFirst) return void res.writeHead(503).end('busy');
      accepted.push({ id, body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/patchbay?token=x`,
    attempts,
    accepted,
    badSignatures: () => badSignatures,
  };
}

void test('e-mail over STARTTLS with AUTH reaches a real SMTP server; plain text is refused', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const smtp = await startSmtp(t, pki);
  const channel = smtpChannel({
    host: '127.0.0.1',
    port: smtp.port,
    security: 'starttls',
    ca: Buffer.from(pki.caPem),
    username: 'patchbay',
    password: 's3cret!',
    from: 'patchbay@example.test',
    to: ['ops@example.test', 'oncall@example.test'],
    timeoutMs: 5000,
  });
  t.after(() => channel.close());
  await channel.send(syncFailedNotification('wsus1', 'PB_ERR_UPSTREAM_UNAVAILABLE', 'upstream down'));
  assert.equal(smtp.mails.length, 1);
  const m = smtp.mails[0]!;
  assert.equal(m.secure, true, 'the session was upgraded with STARTTLS');
  assert.equal(m.user, 'patchbay');
  assert.deepEqual(m.to, ['ops@example.test', 'oncall@example.test']);
  assert.match(m.body, /Subject: \[Patchbay wsus1\] critical: synchronization failed/);
  assert.match(m.body, /PB_ERR_UPSTREAM_UNAVAILABLE/);

  // Without the CA the certificate does not verify: refused, not retried, not sent in plain text.
  const untrusted = smtpChannel({ ...channelOptions(smtp.port), ca: undefined });
  t.after(() => untrusted.close());
  await assert.rejects(
    untrusted.send(syncFailedNotification('wsus1', 'X', 'y')),
    (e: any) => e.retryable === false || /certificate/i.test(e.message),
  );
  // Wrong password: a permanent failure.
  const wrong = smtpChannel({ ...channelOptions(smtp.port), ca: Buffer.from(pki.caPem), password: 'nope' });
  t.after(() => wrong.close());
  await assert.rejects(
    wrong.send(syncFailedNotification('wsus1', 'X', 'y')),
    (e: any) => e.retryable === false,
  );
  assert.equal(smtp.mails.length, 1);
});

function channelOptions(port: number) {
  return {
    host: '127.0.0.1',
    port,
    security: 'starttls' as const,
    username: 'patchbay',
    password: 's3cret!',
    from: 'patchbay@example.test',
    to: ['ops@example.test'],
    timeoutMs: 5000,
  };
}

void test('webhooks are signed, retried with backoff after failures, one delivery id per notification', async (t) => {
  const rx = await startReceiver(t, { failFirst: 2 });
  const notifier = new Notifier({
    channels: [webhookChannel({ url: rx.url, secret, timeoutMs: 2000 })],
    events: new Set(notificationEvents),
    queueLimit: 10,
    retries: { email: 0, webhook: 3 },
    repeatMs: 3_600_000,
    logger: silentLogger,
    backoffMs: 50,
  });
  t.after(() => notifier.close());
  const started = Date.now();
  assert.equal(notifier.notify(syncFailedNotification('wsus1', 'PB_ERR_UPSTREAM_TIMEOUT', 'slow')), true);
  assert.equal(await notifier.drain(10_000), true);
  assert.equal(rx.badSignatures(), 0);
  assert.equal(rx.accepted.length, 1);
  const [id, n] = [...rx.attempts.entries()][0]!;
  assert.equal(n, 3, 'two 503 answers, then delivered on the third attempt');
  assert.equal(rx.accepted[0]!.id, id);
  assert.equal(rx.accepted[0]!.body.event, 'sync.failed');
  assert.ok(Date.now() - started >= 50 / 2 + 100 / 2, 'the retries waited (backoff)');

  // A persisting condition with a key is not repeated within repeat_hours.
  const stale = { ...syncFailedNotification('wsus1', 'X', 'y'), event: 'sync.stale' as const };
  assert.equal(notifier.notify(stale, { key: 'stale' }), true);
  assert.equal(notifier.notify(stale, { key: 'stale' }), false);
  await notifier.drain(10_000);

  // A tampered signature key: the receiver refuses (401), which is not retried.
  const bad = new Notifier({
    channels: [webhookChannel({ url: rx.url, secret: 'other', timeoutMs: 2000 })],
    events: new Set(notificationEvents),
    queueLimit: 10,
    retries: { email: 0, webhook: 3 },
    repeatMs: 0,
    logger: silentLogger,
    backoffMs: 50,
  });
  t.after(() => bad.close());
  const [report] = await bad.deliverNow(syncFailedNotification('wsus1', 'X', 'y'));
  assert.equal(report!.ok, false);
  assert.equal(report!.attempts, 1);
  assert.match(report!.error!, /HTTP 401/);
  assert.equal(rx.badSignatures(), 1);
});

void test('the queue is bounded: the oldest notifications are dropped while a channel is down', async (t) => {
  const dropped: string[] = [];
  const notifier = new Notifier({
    channels: [webhookChannel({ url: 'http://127.0.0.1:9/', secret, timeoutMs: 500 })],
    events: new Set(notificationEvents),
    queueLimit: 3,
    retries: { email: 0, webhook: 0 },
    repeatMs: 0,
    logger: silentLogger,
    onOutcome: (_c, o) => void (o === 'dropped' && dropped.push(o)),
  });
  t.after(() => notifier.close());
  for (let i = 0; i < 10; i++) notifier.notify(syncFailedNotification('wsus1', 'X', `n${i}`));
  assert.ok(dropped.length >= 6, `dropped ${dropped.length}`);
  await notifier.drain(10_000);
});

async function notifyTest(env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { PATCHBAY_LOG_LEVEL: 'silent', ...env },
    cwd: process.cwd(),
  };
  const code = await runCli(['notify', 'test', ...(env.JSON ? ['--json'] : [])], io);
  return { code, stdout, stderr };
}

void test('patchbay notify test sends one of each event to every channel and reports per channel', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const smtp = await startSmtp(t, pki);
  const rx = await startReceiver(t, { failFirst: 1 });
  const env = {
    PATCHBAY_NOTIFY_SMTP_HOST: '127.0.0.1',
    PATCHBAY_NOTIFY_SMTP_PORT: String(smtp.port),
    PATCHBAY_NOTIFY_SMTP_CA_FILE: pki.caFile,
    PATCHBAY_NOTIFY_SMTP_USERNAME: 'patchbay',
    PATCHBAY_NOTIFY_SMTP_PASSWORD: 's3cret!',
    PATCHBAY_NOTIFY_SMTP_FROM: 'patchbay@example.test',
    PATCHBAY_NOTIFY_SMTP_TO: 'ops@example.test',
    PATCHBAY_NOTIFY_WEBHOOK_URL: rx.url,
    PATCHBAY_NOTIFY_WEBHOOK_SECRET: secret,
  };
  const ok = await notifyTest(env);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(
    ok.stdout,
    new RegExp(
      `^email smtp://127.0.0.1:${smtp.port} \\(starttls\\): OK, ${notificationEvents.length} notification`,
      'm',
    ),
  );
  assert.match(ok.stdout, new RegExp(`^webhook .*: OK, ${notificationEvents.length} notification`, 'm'));
  assert.equal(smtp.mails.length, notificationEvents.length);
  assert.ok(smtp.mails.every((m) => m.secure && /\[test\]/.test(m.body)));
  assert.deepEqual(rx.accepted.map((a) => a.body.event).sort(), [...notificationEvents].sort());
  assert.ok(rx.accepted.every((a) => a.body.test === true));
  assert.ok(
    [...rx.attempts.values()].every((n) => n === 2),
    'each first attempt failed and was retried',
  );
  assert.doesNotMatch(ok.stdout, /token=x/, 'the webhook query string is not printed');

  const refusing = await startReceiver(t, { failFirst: 0, status: 400 });
  const failed = await notifyTest({ ...env, PATCHBAY_NOTIFY_WEBHOOK_URL: refusing.url, JSON: '' });
  assert.equal(failed.code, 69, failed.stdout);
  assert.match(failed.stdout, /^email .*: OK/m);
  assert.match(
    failed.stdout,
    new RegExp(
      `^webhook .*: FAILED, ${notificationEvents.length} of ${notificationEvents.length} not delivered: the receiver answered HTTP 400`,
      'm',
    ),
  );

  const none = await notifyTest({});
  assert.equal(none.code, 78);
  assert.match(none.stderr, /no notification channel is configured/);
});
