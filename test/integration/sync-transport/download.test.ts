import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { UpstreamTransport, type UpstreamTransportOptions } from '../../../src/sync/index.js';
import { FakeClock, seededRandom, startOrigin } from './harness.js';

const FILE = Buffer.from(Array.from({ length: 1_000_003 }, (_, i) => (i * 31 + 7) % 256));

function make(t: TestContext, extra: UpstreamTransportOptions = {}): UpstreamTransport {
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    clock: new FakeClock(),
    random: seededRandom(),
    retry: { maxAttempts: 3 },
    ...extra,
  });
  t.after(() => tr.close());
  return tr;
}

async function drain(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

void test(
  'a download interrupted mid-body resumes with a range and reassembles byte-exact',
  { timeout: 30_000 },
  async (t) => {
    const origin = await startOrigin(t, (req, res, _b, i) => {
      const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      const start = m ? Number(m[1]) : 0;
      const slice = FILE.subarray(start);
      res.writeHead(m ? 206 : 200, {
        'content-length': slice.length,
        ...(m ? { 'content-range': `bytes ${start}-${FILE.length - 1}/${FILE.length}` } : {}),
      });
      if (i === 0) {
        // First response: cut the connection after 300 kB.
        res.write(slice.subarray(0, 300_000), () => res.destroy());
      } else res.end(slice);
    });
    const tr = make(t);
    const first = await tr.download({ url: `${origin.url}/Content/07/file.cab` });
    assert.equal(first.status, 200);
    assert.equal(first.contentLength, FILE.length);
    const got: Buffer[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of first.body) got.push(c as Buffer);
      })(),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_CONNECT',
    );
    const have = Buffer.concat(got).length;
    assert.ok(have > 0 && have <= 300_000);
    const rest = await tr.download({ url: `${origin.url}/Content/07/file.cab`, range: { start: have } });
    assert.equal(rest.status, 206);
    assert.deepEqual(rest.contentRange, { start: have, end: FILE.length - 1, total: FILE.length });
    const whole = Buffer.concat([...got, await drain(rest.body)]);
    assert.equal(
      createHash('sha1').update(whole).digest('hex'),
      createHash('sha1').update(FILE).digest('hex'),
    );
    assert.equal(origin.received[1]?.headers.range, `bytes=${have}-`);
  },
);

void test(
  'redirects are followed (bounded), 404 is a typed HTTP error, 5xx before the body is retried',
  { timeout: 30_000 },
  async (t) => {
    const origin = await startOrigin(t, (req, res, _b, i) => {
      if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' });
        res.end();
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/real' });
        res.end();
      } else if (req.url === '/real') {
        if (i === 1) {
          res.writeHead(503);
          res.end();
          return;
        }
        res.writeHead(200, { 'content-length': 5 });
        res.end('hello');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    const tr = make(t);
    const r = await tr.download({ url: `${origin.url}/moved` });
    assert.equal((await drain(r.body)).toString(), 'hello');
    assert.equal(r.url, `${origin.url}/real`);
    assert.equal(r.attempts, 2);
    await assert.rejects(
      tr.download({ url: `${origin.url}/missing` }),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_HTTP' && e.detail?.status === 404,
    );
    const before = origin.received.length;
    await assert.rejects(
      tr.download({ url: `${origin.url}/loop` }),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_HTTP',
    );
    assert.equal(origin.received.length - before, 6, 'initial request + 5 redirects');
  },
);

void test(
  'download limits: declared and streamed sizes over maxBytes, slow drip, invalid ranges, bad 206',
  { timeout: 30_000 },
  async (t) => {
    const origin = await startOrigin(t, (req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': FILE.length });
        res.end(FILE);
      } else if (req.url === '/chunked') {
        res.writeHead(200);
        res.end(FILE);
      } else if (req.url === '/drip') {
        res.writeHead(200);
        const timer = setInterval(() => res.write('z'), 20);
        res.on('close', () => clearInterval(timer));
      } else {
        res.writeHead(206, { 'content-range': 'bytes 5-1/10' });
        res.end('x');
      }
    });
    const tr = make(t, { timeouts: { bodyIdleMs: 5000, minRate: { bytes: 4096, windowMs: 300 } } });
    await assert.rejects(
      tr.download({ url: `${origin.url}/declared`, maxBytes: 1000 }),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_TOO_LARGE',
    );
    const chunked = await tr.download({ url: `${origin.url}/chunked`, maxBytes: 1000 });
    await assert.rejects(
      drain(chunked.body),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_TOO_LARGE',
    );
    const drip = await tr.download({ url: `${origin.url}/drip` });
    const started = Date.now();
    await assert.rejects(
      drain(drip.body),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_TIMEOUT' && e.detail?.phase === 'body-rate',
    );
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(tr.download({ url: `${origin.url}/x`, range: { start: 5, end: 1 } }), {
      code: 'PB_ERR_INVALID_PARAMETER',
    });
    await assert.rejects(tr.download({ url: `${origin.url}/bad206` }), { code: 'PB_ERR_UPSTREAM_HTTP' });
  },
);

void test('a slow consumer is not mistaken for a slow upstream', { timeout: 30_000 }, async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-length': FILE.length });
    res.end(FILE);
  });
  const tr = make(t, { timeouts: { minRate: { bytes: 64 * 1024, windowMs: 100 } } });
  const r = await tr.download({ url: `${origin.url}/f` });
  // Do not read for several rate windows: the bytes wait in buffers, the guard must not fire.
  await new Promise((resolve) => setTimeout(resolve, 450));
  assert.deepEqual(await drain(r.body), FILE);
});
