/**
 * Overload on the client ports (targets P2/R7): beyond the concurrency cap, and while the event loop lags
 * (a CPU-bound server whose surplus requests wait unseen in socket buffers), requests get 503 + Retry-After
 * with a SOAP ServerBusy fault at once, never a queue; the server then serves normally again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import { startHarness } from './harness.js';
import { clientNs, clientPath, envelope } from './wusp-client.js';

const getConfig = envelope('GetConfig', clientNs, '<protocolVersion>2.90</protocolVersion>');

function head(port: number, length: number): string {
  return (
    `POST ${clientPath} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/xml; charset=utf-8\r\n` +
    `SOAPAction: "${clientNs}/GetConfig"\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n`
  );
}

async function open(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** Collects everything the server sends until it closes the connection. */
function answer(s: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', reject);
    s.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parse(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const lines = raw.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
  }
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

function assertBusy(r: { status: number; headers: Map<string, string>; body: string }): void {
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal(decodeSoapFault(r.body)?.errorCode, 'ServerBusy');
}

void test('stalled uploads hold no max_concurrent_requests slot: further calls are served, the stalled ones later too', async (t) => {
  // The cap counts requests being processed (handlers waiting on the database: test/unit/http); a body
  // still arriving is bounded by the body deadlines and budget instead (slow-bodies.test.ts).
  const h = await startHarness(t, 'sqlite', { env: { PATCHBAY_SERVER_MAX_CONCURRENT_REQUESTS: '2' } });
  const body = Buffer.from(getConfig);
  // Two clients send their headers and half a body, then stall.
  const holders = await Promise.all([open(h.port), open(h.port)]);
  t.after(() => holders.forEach((s) => s.destroy()));
  for (const s of holders) {
    s.write(head(h.port, body.length));
    s.write(body.subarray(0, body.length >> 1));
  }
  await new Promise((r) => setTimeout(r, 150));
  const served = await Promise.all(
    Array.from({ length: 5 }, async () => {
      const s = await open(h.port);
      const got = answer(s);
      s.end(Buffer.concat([Buffer.from(head(h.port, body.length)), body]));
      return parse(await got);
    }),
  );
  for (const r of served) assert.equal(r.status, 200, r.body.slice(0, 200));

  // One holder finishes its body and is served; the other gives up.
  const [first, second] = holders;
  const late = answer(first);
  first.end(body.subarray(body.length >> 1));
  assert.equal(parse(await late).status, 200);
  second.destroy();
});

void test('while the event loop lags beyond the limit, queued requests get ServerBusy, then service resumes', async (t) => {
  const h = await startHarness(t, 'sqlite', { maxEventLoopLagMs: 100 });
  // Warm: the lag timer runs and a normal call is served.
  assert.equal((await h.post(clientPath, getConfig)).status, 200);
  const body = Buffer.concat([
    Buffer.from(head(h.port, Buffer.byteLength(getConfig))),
    Buffer.from(getConfig),
  ]);
  const sockets = await Promise.all(Array.from({ length: 6 }, () => open(h.port)));
  const answers = sockets.map(answer);
  // The server is "busy": the test blocks the shared event loop twice, as a CPU-bound backlog would (one
  // stall alone is not an overload). The requests written before the second stall wait in socket buffers,
  // unseen by any in-flight counter.
  block(300);
  await new Promise((r) => setTimeout(r, 30));
  for (const s of sockets) s.write(body);
  block(300);
  const results = (await Promise.all(answers)).map(parse);
  for (const r of results) assertBusy(r);
  // Once the loop has been back on time for the lag window (~200 ms) the same request is served.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await h.post(clientPath, getConfig)).status, 200);
});

void test('one stall alone (a first call compiling code, a long GC) sheds nothing', async (t) => {
  const h = await startHarness(t, 'sqlite', { maxEventLoopLagMs: 100 });
  assert.equal((await h.post(clientPath, getConfig)).status, 200);
  block(300);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal((await h.post(clientPath, getConfig)).status, 200);
});

void test('lag shedding can be turned off (0): the queued requests are then all served', async (t) => {
  const h = await startHarness(t, 'sqlite', { maxEventLoopLagMs: 0 });
  const body = Buffer.concat([
    Buffer.from(head(h.port, Buffer.byteLength(getConfig))),
    Buffer.from(getConfig),
  ]);
  const sockets = await Promise.all(Array.from({ length: 3 }, () => open(h.port)));
  const answers = sockets.map(answer);
  block(300);
  await new Promise((r) => setTimeout(r, 30));
  for (const s of sockets) s.write(body);
  block(300);
  for (const r of (await Promise.all(answers)).map(parse)) assert.equal(r.status, 200);
});
