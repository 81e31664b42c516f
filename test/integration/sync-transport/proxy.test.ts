import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { UpstreamTransport, type UpstreamTransportOptions } from '../../../src/sync/index.js';
import { TEST_PROXY_VIA_NAME, proxySkipReason, startTinyproxy, type TestProxy } from '../../helpers/proxy.js';
import { createTestPki } from '../../helpers/tls.js';
import {
  SOAP_ACTION,
  SOAP_FAULT,
  SOAP_OK,
  SOAP_REQUEST,
  captureLogger,
  sendXml,
  startOrigin,
  type Handler,
  type Origin,
} from './harness.js';

const skip = proxySkipReason();
const CONTENT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));

/**
 * A miniature upstream: SOAP answers per action, a fault for GetCookie's first call, a content file served
 * with ranges. The same sequence is run direct and through the proxy and must give the same bytes.
 */
const upstream: Handler = (req, res, body) => {
  if (req.method === 'POST') {
    const action = String(req.headers.soapaction ?? '');
    if (action.includes('GetCookie') && body.includes('<oldCookie>')) return sendXml(res, 500, SOAP_FAULT);
    const op = /\/(\w+)"$/.exec(action)?.[1] ?? 'Unknown';
    return sendXml(res, 200, Buffer.from(SOAP_OK.toString().replaceAll('GetAuthConfig', op)));
  }
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
  if (range) {
    const start = Number(range[1]);
    const end = range[2] === '' ? CONTENT.length - 1 : Number(range[2]);
    res.writeHead(206, {
      'content-range': `bytes ${start}-${end}/${CONTENT.length}`,
      'content-length': end - start + 1,
    });
    res.end(CONTENT.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { 'content-length': CONTENT.length });
  res.end(CONTENT);
};

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** GetAuthConfig, GetAuthorizationCookie, GetCookie (a fault), a full download and a resumed range. */
async function miniSync(tr: UpstreamTransport, base: string): Promise<string[]> {
  const out: string[] = [];
  for (const [op, extra] of [
    ['GetAuthConfig', ''],
    ['GetAuthorizationCookie', ''],
    ['GetCookie', '<oldCookie>x</oldCookie>'],
  ] as const) {
    const res = await tr.postSoap({
      url: `${base}/ServerSyncWebService/ServerSyncWebService.asmx`,
      soapAction: `http://www.microsoft.com/SoftwareDistribution/${op}`,
      body: Buffer.concat([SOAP_REQUEST, Buffer.from(extra)]),
      maxResponseBytes: 1 << 20,
    });
    const marker = res.isSoapFault ? 'InvalidCookie' : `<${op}Response`;
    out.push(`${op} ${res.status} fault=${res.isSoapFault} ${res.body.includes(marker)}`);
  }
  const full = await tr.download({ url: `${base}/Content/AB/0123456789ABCDEF0123456789ABCDEF01234567.cab` });
  const whole = await readAll(full.body);
  out.push(`download ${full.status} ${whole.equals(CONTENT)}`);
  const part = await tr.download({
    url: `${base}/Content/AB/0123456789ABCDEF0123456789ABCDEF01234567.cab`,
    range: { start: 100_000 },
  });
  const tail = await readAll(part.body);
  out.push(
    `range ${part.status} ${JSON.stringify(part.contentRange)} ${tail.equals(CONTENT.subarray(100_000))}`,
  );
  return out;
}

function make(t: TestContext, options: UpstreamTransportOptions): UpstreamTransport {
  const tr = new UpstreamTransport({ retry: { maxAttempts: 2, baseDelayMs: 1 }, ...options });
  t.after(() => tr.close());
  return tr;
}

async function proxy(t: TestContext, auth?: { user: string; password: string }): Promise<TestProxy> {
  const p = await startTinyproxy(auth ? { basicAuth: auth } : {});
  t.after(() => p.stop());
  return p;
}

function allVia(origin: Origin, from = 0): boolean {
  const rest = origin.received.slice(from);
  return rest.length > 0 && rest.every((r) => String(r.headers.via ?? '').includes(TEST_PROXY_VIA_NAME));
}

void test(
  'the same mini sync runs direct and through a real HTTP proxy (tinyproxy), with identical results',
  { skip },
  async (t) => {
    const origin = await startOrigin(t, upstream);
    const direct = await miniSync(make(t, { proxy: { mode: 'none' } }), origin.url);
    assert.equal(
      origin.received.some((r) => r.headers.via !== undefined),
      false,
      'direct requests carry no Via',
    );
    assert.deepEqual(direct, [
      'GetAuthConfig 200 fault=false true',
      'GetAuthorizationCookie 200 fault=false true',
      'GetCookie 500 fault=true true',
      'download 200 true',
      `range 206 {"start":100000,"end":299999,"total":300000} true`,
    ]);

    const p = await proxy(t);
    const from = origin.received.length;
    // Loopback upstream, explicitly configured proxy: it must still go through the proxy.
    const proxied = await miniSync(make(t, { proxy: { mode: 'explicit', url: p.url } }), origin.url);
    assert.deepEqual(proxied, direct);
    assert.equal(origin.received.length - from, 5);
    assert.ok(allVia(origin, from), 'every request reached the origin with the proxy Via header');
    assert.match(
      p.log(),
      new RegExp(
        `Request \\(file descriptor \\d+\\): POST http://127\\.0\\.0\\.1:${origin.port}/ServerSyncWebService`,
      ),
    );
    assert.match(p.log(), new RegExp(`GET http://127\\.0\\.0\\.1:${origin.port}/Content/AB/`));
  },
);

void test(
  'proxy Basic auth: refused without credentials (typed, not retried), carried with them, never logged or forwarded',
  { skip },
  async (t) => {
    const origin = await startOrigin(t, upstream);
    const p = await proxy(t, { user: 'alice', password: 'pr0xy-s3cret' });
    await assert.rejects(
      make(t, { proxy: { mode: 'explicit', url: p.url } }).postSoap({
        url: `${origin.url}/x`,
        soapAction: SOAP_ACTION,
        body: SOAP_REQUEST,
        maxResponseBytes: 1 << 20,
      }),
      (e) => {
        assert.ok(e instanceof AppError);
        assert.equal(e.code, 'PB_ERR_UPSTREAM_PROXY', e.message);
        assert.equal(e.detail?.proxyStatus, 407);
        return true;
      },
    );
    assert.equal(origin.received.length, 0);

    const { logger, raw } = captureLogger('trace');
    const tr = make(t, {
      logger,
      proxy: { mode: 'explicit', url: p.url, username: 'alice', password: 'pr0xy-s3cret' },
    });
    const res = await tr.postSoap({
      url: `${origin.url}/x`,
      soapAction: SOAP_ACTION,
      body: SOAP_REQUEST,
      maxResponseBytes: 1 << 20,
    });
    assert.equal(res.status, 200);
    // Credentials in the URL work the same way.
    const tr2 = make(t, {
      proxy: { mode: 'explicit', url: p.url.replace('http://', 'http://alice:pr0xy-s3cret@') },
    });
    const dl = await tr2.download({ url: `${origin.url}/Content/AB/x.cab`, range: { start: 0, end: 9 } });
    assert.deepEqual(await readAll(dl.body), CONTENT.subarray(0, 10));
    assert.ok(allVia(origin));
    assert.equal(
      origin.received.some((r) => r.headers['proxy-authorization'] !== undefined),
      false,
      'credentials stop at the proxy',
    );
    assert.ok(raw.length > 0, 'the transport logged something at trace level');
    assert.equal(raw.join('').includes('pr0xy-s3cret'), false, 'the password is never logged');
    assert.equal(raw.join('').includes(Buffer.from('alice:pr0xy-s3cret').toString('base64')), false);
  },
);

void test(
  'https upstream through the proxy: CONNECT tunnel, TLS verified end to end, pins enforced through the tunnel',
  { skip },
  async (t) => {
    const pki = createTestPki();
    t.after(() => pki.cleanup());
    const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, SOAP_OK), {
      cert: pki.certPem,
      key: pki.keyPem,
    });
    const p = await proxy(t);
    const req = {
      url: `${origin.url}/ServerSyncWebService/ServerSyncWebService.asmx`,
      soapAction: SOAP_ACTION,
      body: SOAP_REQUEST,
      maxResponseBytes: 1 << 20,
    };

    const ok = await make(t, {
      proxy: { mode: 'explicit', url: p.url },
      tls: { caFile: pki.caFile, pins: [pki.leafSpkiPin] },
    }).postSoap(req);
    assert.equal(ok.status, 200);
    assert.match(p.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${origin.port} HTTP/1\\.1`));
    // Inside a tunnel the proxy cannot add headers: the origin sees none.
    assert.equal(origin.received[0]?.headers.via, undefined);

    await assert.rejects(
      make(t, {
        proxy: { mode: 'explicit', url: p.url },
        tls: { caFile: pki.caFile, pins: [pki.otherSpkiPin] },
      }).postSoap(req),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_TLS' && e.detail?.reason === 'pin-mismatch',
    );
    await assert.rejects(
      make(t, { proxy: { mode: 'explicit', url: p.url } }).postSoap(req),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_TLS',
    );
    assert.equal(origin.received.length, 1);
  },
);

void test(
  'env proxy variables (either case) route through the proxy; NO_PROXY and the loopback rule bypass it',
  { skip },
  async (t) => {
    const origin = await startOrigin(t, upstream);
    const p = await proxy(t);
    const post = (tr: UpstreamTransport) =>
      tr.postSoap({
        url: `${origin.url}/x`,
        soapAction: SOAP_ACTION,
        body: SOAP_REQUEST,
        maxResponseBytes: 1 << 20,
      });
    const viaOfLast = (): string | undefined => origin.received.at(-1)?.headers.via;

    await post(make(t, { proxy: { mode: 'env', env: { http_proxy: p.url }, bypassLoopback: false } }));
    assert.match(viaOfLast() ?? '', new RegExp(TEST_PROXY_VIA_NAME));
    await post(
      make(t, {
        proxy: { mode: 'env', env: { HTTP_PROXY: p.url.replace('http://', '') }, bypassLoopback: false },
      }),
    );
    assert.match(viaOfLast() ?? '', new RegExp(TEST_PROXY_VIA_NAME), 'HTTP_PROXY without a scheme');
    // HTTPS_PROXY is for https targets only.
    await post(make(t, { proxy: { mode: 'env', env: { HTTPS_PROXY: p.url }, bypassLoopback: false } }));
    assert.equal(viaOfLast(), undefined);
    // Loopback targets bypass an inherited proxy by default.
    await post(make(t, { proxy: { mode: 'env', env: { http_proxy: p.url } } }));
    assert.equal(viaOfLast(), undefined);
    for (const noProxy of [
      '127.0.0.1',
      `127.0.0.1:${origin.port}`,
      '127.0.0.0/8',
      '*',
      'example.org, 127.0.0.1',
    ]) {
      await post(
        make(t, {
          proxy: { mode: 'env', env: { http_proxy: p.url, NO_PROXY: noProxy }, bypassLoopback: false },
        }),
      );
      assert.equal(viaOfLast(), undefined, `NO_PROXY=${noProxy}`);
    }
    for (const noProxy of ['127.0.0.1:1', 'example.org', '10.0.0.0/8']) {
      await post(
        make(t, {
          proxy: { mode: 'env', env: { http_proxy: p.url, no_proxy: noProxy }, bypassLoopback: false },
        }),
      );
      assert.match(viaOfLast() ?? '', new RegExp(TEST_PROXY_VIA_NAME), `no_proxy=${noProxy} does not match`);
    }
    // An explicit proxy honours its own noProxy list too.
    await post(make(t, { proxy: { mode: 'explicit', url: p.url, noProxy: '127.0.0.1' } }));
    assert.equal(viaOfLast(), undefined);
  },
);

void test(
  'a proxy that cannot reach the upstream answers 5xx: retried, then a typed error; the breaker sees it',
  { skip },
  async (t) => {
    const p = await proxy(t);
    const tr = make(t, { proxy: { mode: 'explicit', url: p.url }, breaker: { failureThreshold: 2 } });
    const req = {
      url: 'http://127.0.0.1:1/x',
      soapAction: SOAP_ACTION,
      body: SOAP_REQUEST,
      maxResponseBytes: 1 << 20,
    };
    await assert.rejects(
      tr.postSoap(req),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_HTTP' && e.detail?.status === 500,
    );
    assert.equal(tr.breakerState('http://127.0.0.1:1'), 'open');
    await assert.rejects(
      tr.postSoap(req),
      (e) => e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_UNAVAILABLE',
    );
  },
);
