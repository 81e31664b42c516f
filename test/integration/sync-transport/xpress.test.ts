/**
 * The transport decodes Xpress answers (docs/protocol/upstream.md §U3): real answers round-trip, faults too,
 * chunked arrival in small pieces; a decompression bomb stops at the call's response limit
 * (PB_ERR_UPSTREAM_TOO_LARGE) even though its wire size is tiny; corrupt bodies and unoffered codings are
 * PB_ERR_UPSTREAM_PROTOCOL, not retried.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { encodeXpressBody } from '../../../src/protocol/xpress/index.js';
import { UpstreamTransport } from '../../../src/sync/index.js';
import { readFixture } from '../../helpers/fixtures.js';
import { FakeClock, SOAP_ACTION, SOAP_FAULT, SOAP_REQUEST, seededRandom, startOrigin } from './harness.js';

const answer = readFixture('wsus/wsus-m0-wsusss/exchanges/000003/response.body');

function transport(t: TestContext): UpstreamTransport {
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    clock: new FakeClock(),
    random: seededRandom(),
    retry: { maxAttempts: 3 },
    breaker: { failureThreshold: 50 },
  });
  t.after(() => tr.close());
  return tr;
}

const post = (tr: UpstreamTransport, url: string, maxResponseBytes = 1024 * 1024) =>
  tr.postSoap({
    url: `${url}/ServerSyncWebService/ServerSyncWebService.asmx`,
    soapAction: SOAP_ACTION,
    body: SOAP_REQUEST,
    maxResponseBytes,
  });

function isCode(code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** 18-byte blocks of 65,535 decoded bytes each. */
function bomb(blocks: number): Buffer {
  const payload = Buffer.from('ffffff7f6107000ffffbff', 'hex'); // "a" + match(1, 65,534)
  const header = Buffer.alloc(8);
  header.writeInt32LE(65_535, 0);
  header.writeInt32LE(payload.length, 4);
  return Buffer.concat(Array.from({ length: blocks }, () => Buffer.concat([header, payload])));
}

void test('an Xpress answer is decoded; the caller sees the identity bytes', async (t) => {
  const wire = encodeXpressBody(answer);
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/xml; charset=utf-8',
      'content-encoding': 'xpress',
      vary: 'Accept-Encoding',
      'content-length': wire.length,
    });
    // In 7-byte pieces: block headers and payloads split across chunks.
    for (let i = 0; i < wire.length; i += 7) res.write(wire.subarray(i, i + 7));
    res.end();
  });
  const res = await post(transport(t), origin.url);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, answer);
  assert.equal(origin.received[0]?.headers['accept-encoding'], 'xpress');
});

void test('an Xpress-encoded fault is decoded and recognised as a fault', async (t) => {
  const wire = encodeXpressBody(SOAP_FAULT);
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8', 'content-encoding': 'xpress' });
    res.end(wire);
  });
  const res = await post(transport(t), origin.url);
  assert.equal(res.isSoapFault, true);
  assert.deepEqual(res.body, SOAP_FAULT);
});

void test('a bomb (1 MiB wire, 3.9 GiB declared) stops at the response limit: PB_ERR_UPSTREAM_TOO_LARGE, once', async (t) => {
  const wire = bomb(60_000);
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/xml',
      'content-encoding': 'xpress',
      'content-length': wire.length,
    });
    res.end(wire);
  });
  const rss0 = process.memoryUsage().rss;
  await assert.rejects(post(transport(t), origin.url, 2 * 1024 * 1024), isCode('PB_ERR_UPSTREAM_TOO_LARGE'));
  assert.equal(origin.received.length, 1, 'not retried');
  assert.ok(
    process.memoryUsage().rss - rss0 < 64 * 1024 * 1024,
    'nothing near the declared size was allocated',
  );
});

void test('corrupt Xpress and a coding we did not offer are PB_ERR_UPSTREAM_PROTOCOL, not retried', async (t) => {
  const corrupt = Buffer.from(encodeXpressBody(answer));
  corrupt.writeInt32LE(70_000, 0);
  for (const [encoding, body] of [
    ['xpress', corrupt],
    ['xpress', encodeXpressBody(answer).subarray(0, 50)],
    ['gzip', answer],
  ] as const) {
    const origin = await startOrigin(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml', 'content-encoding': encoding });
      res.end(body);
    });
    await assert.rejects(post(transport(t), origin.url), isCode('PB_ERR_UPSTREAM_PROTOCOL'));
    assert.equal(origin.received.length, 1, `${encoding}: not retried`);
  }
});
