import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { UpstreamTransport, type UpstreamTransportOptions } from '../../../src/sync/index.js';
import {
  FakeClock,
  SOAP_ACTION,
  SOAP_FAULT,
  SOAP_OK,
  SOAP_REQUEST,
  captureLogger,
  seededRandom,
  sendXml,
  startOrigin,
} from './harness.js';

function transport(
  t: TestContext,
  extra: UpstreamTransportOptions = {},
): { tr: UpstreamTransport; clock: FakeClock } {
  const clock = new FakeClock();
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    clock,
    random: seededRandom(),
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000 },
    breaker: { failureThreshold: 50 },
    ...extra,
  });
  t.after(() => tr.close());
  return { tr, clock };
}

function isCode(code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

const post = (
  tr: UpstreamTransport,
  url: string,
  more: Partial<Parameters<UpstreamTransport['postSoap']>[0]> = {},
) =>
  tr.postSoap({
    url: `${url}/ServerSyncWebService/ServerSyncWebService.asmx`,
    soapAction: SOAP_ACTION,
    body: SOAP_REQUEST,
    maxResponseBytes: 1024 * 1024,
    ...more,
  });

void test('a SOAP 1.1 post sends the action, offers xpress, sends the body, and returns an identity answer', async (t) => {
  const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, SOAP_OK));
  const { tr } = transport(t);
  const res = await post(tr, origin.url);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, SOAP_OK);
  assert.equal(res.isSoapFault, false);
  assert.equal(res.attempts, 1);
  const got = origin.received[0];
  assert.ok(got);
  assert.equal(got.method, 'POST');
  assert.equal(got.url, '/ServerSyncWebService/ServerSyncWebService.asmx');
  assert.equal(got.headers.soapaction, `"${SOAP_ACTION}"`);
  assert.equal(got.headers['content-type'], 'text/xml; charset=utf-8');
  assert.equal(got.headers['accept-encoding'], 'xpress');
  assert.deepEqual(got.body, SOAP_REQUEST);
});

void test('acceptXpress: false (upstream.xpress = false) asks for identity', async (t) => {
  const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, SOAP_OK));
  const { tr } = transport(t, { acceptXpress: false });
  await post(tr, origin.url);
  assert.equal(origin.received[0]?.headers['accept-encoding'], 'identity');
});

void test('a SOAP 1.2 post carries the action in the content type, and connections are reused', async (t) => {
  const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, SOAP_OK));
  const { tr } = transport(t);
  for (let i = 0; i < 5; i++) await post(tr, origin.url, { soapVersion: '1.2' });
  const got = origin.received[0];
  assert.ok(got);
  assert.equal(got.headers['content-type'], `application/soap+xml; charset=utf-8; action="${SOAP_ACTION}"`);
  assert.equal(got.headers.soapaction, undefined);
  assert.ok(
    origin.connections <= 2,
    `keep-alive pool reuses connections (${origin.connections} for 5 calls)`,
  );
});

void test('a 5xx answer is retried with backoff, then the success is returned', async (t) => {
  const origin = await startOrigin(t, (_req, res, _b, i) => {
    if (i < 2) {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    } else sendXml(res, 200, SOAP_OK);
  });
  const { tr, clock } = transport(t);
  const res = await post(tr, origin.url);
  assert.equal(res.status, 200);
  assert.equal(res.attempts, 3);
  assert.equal(origin.received.length, 3);
  assert.equal(clock.sleeps.length, 2);
  // Full jitter: each delay within [0, base * 2^retry].
  assert.ok(clock.sleeps[0]! <= 1000 && clock.sleeps[1]! <= 2000, String(clock.sleeps));
});

void test('a SOAP fault with HTTP 500 is returned to the caller, not retried', async (t) => {
  const origin = await startOrigin(t, (_req, res) => sendXml(res, 500, SOAP_FAULT));
  const { tr, clock } = transport(t);
  const res = await post(tr, origin.url);
  assert.equal(res.status, 500);
  assert.equal(res.isSoapFault, true);
  assert.deepEqual(res.body, SOAP_FAULT);
  assert.equal(origin.received.length, 1);
  assert.equal(clock.sleeps.length, 0);
});

void test('a 500 without a SOAP fault body is a transport failure: retried, then PB_ERR_UPSTREAM_HTTP', async (t) => {
  const origin = await startOrigin(t, (_req, res) =>
    sendXml(res, 500, Buffer.from('<html><body>Runtime Error</body></html>')),
  );
  const { tr } = transport(t);
  await assert.rejects(post(tr, origin.url), (e) => {
    isCode('PB_ERR_UPSTREAM_HTTP')(e);
    assert.equal((e as AppError).detail?.status, 500);
    return true;
  });
  assert.equal(origin.received.length, 4);
});

void test('503 with Retry-After waits at least that long before the retry', async (t) => {
  const origin = await startOrigin(t, (_req, res, _b, i) => {
    if (i === 0) {
      res.writeHead(503, { 'retry-after': '7' });
      res.end();
    } else sendXml(res, 200, SOAP_OK);
  });
  const { tr, clock } = transport(t);
  const res = await post(tr, origin.url);
  assert.equal(res.attempts, 2);
  assert.deepEqual(clock.sleeps, [7000]);
});

void test('429 with an HTTP-date Retry-After beyond maxRetryAfterMs fails at once with the hint', async (t) => {
  const { tr, clock } = transport(t, { retry: { maxAttempts: 4, maxRetryAfterMs: 60_000 } });
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(429, { 'retry-after': new Date(clock.now() + 3_600_000).toUTCString() });
    res.end();
  });
  await assert.rejects(post(tr, origin.url), (e) => {
    isCode('PB_ERR_UPSTREAM_HTTP')(e);
    assert.equal((e as AppError).detail?.status, 429);
    assert.ok(Math.abs(Number((e as AppError).detail?.retryAfterMs) - 3_600_000) <= 1000);
    return true;
  });
  assert.equal(origin.received.length, 1);
  assert.equal(clock.sleeps.length, 0);
});

void test('a 404 is not retried', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(404);
    res.end('nope');
  });
  const { tr } = transport(t);
  await assert.rejects(post(tr, origin.url), isCode('PB_ERR_UPSTREAM_HTTP'));
  assert.equal(origin.received.length, 1);
});

void test('connection refused fails at once, naming the host, with a warn line (no ~10 s of silent retries)', async (t) => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const { logger, lines } = captureLogger('info');
  const { tr, clock } = transport(t, { logger });
  await assert.rejects(post(tr, `http://127.0.0.1:${port}`), (e) => {
    isCode('PB_ERR_UPSTREAM_CONNECT')(e);
    assert.equal((e as AppError).detail?.reason, 'ECONNREFUSED');
    assert.match(
      (e as AppError).message,
      new RegExp(
        `^cannot reach upstream host 127\\.0\\.0\\.1:${port}: connection refused .*\\(ECONNREFUSED; `,
      ),
    );
    return true;
  });
  assert.equal(clock.sleeps.length, 0, 'one attempt, no backoff');
  const warned = lines.filter((l) => l.level === 40);
  assert.equal(warned.length, 1, JSON.stringify(lines));
  assert.match(String(warned[0]?.msg), new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
});

void test('a host that does not exist (DNS) fails at once, naming the host', async (t) => {
  const host = 'patchbay-upstream-test.invalid';
  const resolverCode = await import('node:dns/promises').then((dns) =>
    dns.lookup(host).then(
      () => 'resolved',
      (e: NodeJS.ErrnoException) => e.code,
    ),
  );
  if (resolverCode !== 'ENOTFOUND')
    return t.skip(`this host's resolver answers ${resolverCode} for .invalid`);
  const { tr, clock } = transport(t);
  await assert.rejects(post(tr, `http://${host}:8530`), (e) => {
    isCode('PB_ERR_UPSTREAM_CONNECT')(e);
    assert.match(
      (e as AppError).message,
      /^cannot reach upstream host patchbay-upstream-test\.invalid:8530: no such host/,
    );
    return true;
  });
  assert.equal(clock.sleeps.length, 0);
});

void test('a connection reset before the answer is retried, each retry logged at warn', async (t) => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const { logger, lines } = captureLogger('info');
  const { tr, clock } = transport(t, { logger });
  await assert.rejects(post(tr, `http://127.0.0.1:${port}`), isCode('PB_ERR_UPSTREAM_CONNECT'));
  assert.equal(connections, 4);
  assert.equal(clock.sleeps.length, 3, 'four attempts, three backoff sleeps');
  const retries = lines.filter((l) => l.level === 40 && String(l.msg).startsWith('upstream retry in '));
  assert.equal(retries.length, 3, JSON.stringify(lines));
  assert.match(
    String(retries[0]?.msg),
    /attempt 1 of 4\): cannot reach upstream host 127\.0\.0\.1:\d+: connection reset/,
  );
  assert.equal(
    lines.filter((l) => String(l.msg).startsWith('upstream request failed after 4 attempts')).length,
    1,
  );
});

void test('no response headers within headersMs is a timeout (retried)', async (t) => {
  const origin = await startOrigin(t, () => {
    /* never answers */
  });
  const { tr } = transport(t, { retry: { maxAttempts: 2 }, timeouts: { headersMs: 200 } });
  const started = Date.now();
  await assert.rejects(post(tr, origin.url), (e) => {
    isCode('PB_ERR_UPSTREAM_TIMEOUT')(e);
    assert.equal((e as AppError).detail?.phase, 'headers');
    return true;
  });
  assert.equal(origin.received.length, 2);
  assert.ok(Date.now() - started < 5000);
});

void test('the per-call deadline bounds a response that keeps coming', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024, 0x20)), 20);
    res.on('close', () => clearInterval(timer));
  });
  const { tr } = transport(t, { retry: { maxAttempts: 1 } });
  const started = Date.now();
  await assert.rejects(post(tr, origin.url, { timeoutMs: 400, maxResponseBytes: 1e9 }), (e) => {
    isCode('PB_ERR_UPSTREAM_TIMEOUT')(e);
    assert.equal((e as AppError).detail?.phase, 'deadline');
    return true;
  });
  assert.ok(Date.now() - started < 3000);
});

void test('a body that stalls is aborted by the body idle timeout', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write('<soap:Envelope');
    /* then silence */
  });
  const { tr } = transport(t, { retry: { maxAttempts: 1 }, timeouts: { bodyIdleMs: 300 } });
  await assert.rejects(post(tr, origin.url), (e) => {
    isCode('PB_ERR_UPSTREAM_TIMEOUT')(e);
    assert.equal((e as AppError).detail?.phase, 'body-idle');
    return true;
  });
});

void test('a slow-drip body (a byte well inside the idle timeout) is aborted by the minimum rate', async (t) => {
  let written = 0;
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    const timer = setInterval(() => {
      res.write('x');
      written++;
    }, 25);
    res.on('close', () => clearInterval(timer));
  });
  const { tr } = transport(t, {
    retry: { maxAttempts: 1 },
    timeouts: { bodyIdleMs: 2000, minRate: { bytes: 1024, windowMs: 400 } },
  });
  const started = Date.now();
  await assert.rejects(post(tr, origin.url), (e) => {
    isCode('PB_ERR_UPSTREAM_TIMEOUT')(e);
    assert.equal((e as AppError).detail?.phase, 'body-rate');
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 350 && elapsed < 2000, `aborted after ${elapsed} ms`);
  assert.ok(written > 3, 'the drip was flowing (so the idle timeout alone would not have fired)');
});

void test('an oversized body with Content-Length is refused before reading it', async (t) => {
  const big = Buffer.alloc(2 * 1024 * 1024, 0x41);
  const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, big));
  const { tr } = transport(t);
  await assert.rejects(post(tr, origin.url, { maxResponseBytes: 1024 * 1024 }), (e) => {
    isCode('PB_ERR_UPSTREAM_TOO_LARGE')(e);
    assert.equal((e as AppError).detail?.declared, big.length);
    return true;
  });
  assert.equal(origin.received.length, 1, 'not retried');
});

void test('an oversized chunked body is aborted at the limit, not buffered to the end', async (t) => {
  const total = 256 * 1024 * 1024;
  let sent = 0;
  let closedEarly: Promise<void> = Promise.resolve();
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    closedEarly = new Promise((resolve) => res.on('close', () => resolve()));
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const { tr } = transport(t);
  await assert.rejects(
    post(tr, origin.url, { maxResponseBytes: 1024 * 1024 }),
    isCode('PB_ERR_UPSTREAM_TOO_LARGE'),
  );
  await closedEarly;
  assert.ok(sent < 32 * 1024 * 1024, `server wrote ${sent} bytes before the client hung up`);
});

void test('request limits and header-injection attempts are refused before any I/O', async (t) => {
  const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, SOAP_OK));
  const { tr } = transport(t, { limits: { maxRequestBytes: 100 } });
  await assert.rejects(post(tr, origin.url), isCode('PB_ERR_UPSTREAM_TOO_LARGE'));
  await assert.rejects(
    post(tr, origin.url, { body: Buffer.from('<a/>'), soapAction: 'x"\r\nInjected: 1' }),
    isCode('PB_ERR_INVALID_PARAMETER'),
  );
  await assert.rejects(
    post(tr, 'http://user:pw@127.0.0.1:1', { body: Buffer.from('<a/>') }),
    isCode('PB_ERR_INVALID_PARAMETER'),
  );
  assert.equal(origin.received.length, 0);
});

void test("the caller's signal aborts a backoff sleep and is not retried", async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(503);
    res.end();
  });
  const ac = new AbortController();
  const tr2 = new UpstreamTransport({
    proxy: { mode: 'none' },
    retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
    random: () => 0.99,
  });
  t.after(() => tr2.close());
  const started = Date.now();
  setTimeout(() => ac.abort(new Error('shutdown')), 200);
  await assert.rejects(post(tr2, origin.url, { signal: ac.signal }), /shutdown/);
  assert.ok(Date.now() - started < 5000);
  assert.equal(origin.received.length, 1);
});
