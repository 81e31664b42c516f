import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import { contentRoutes } from '../../../src/http/content-routes.js';
import { parseSha1Hex, type ContentHandle, type ContentStore } from '../../../src/storage/content/index.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { headerOf, rawRequest } from './raw-http.js';

/**
 * Replays the real native (Delivery Optimization) content requests captured against WS2025/IIS and
 * compares our answer with the real one after normalisation: Date/ETag/Last-Modified values are
 * compared by grammar only; Server and X-Powered-By (IIS branding) are not ours to send; Connection and
 * Keep-Alive are hop-by-hop headers Node adds. Everything else must match by name, order and value.
 */
const captureDir = fixturePath('wsus', 'wsus-m0-native', 'content-headers');
const exchanges = ['whole-file-single-range', 'first-range-by-offset'];

/** A store holding one synthetic object of the captured size (zeros): only the headers matter here. */
function syntheticStore(sha1hex: string, size: number): ContentStore {
  const sha1 = parseSha1Hex(sha1hex);
  assert.ok(sha1);
  const open = (key: unknown): Promise<ContentHandle | undefined> => {
    if (key !== sha1) return Promise.resolve(undefined);
    return Promise.resolve({
      sha1,
      size,
      sha256: Buffer.alloc(32),
      storedAt: Date.UTC(2026, 8, 2, 8, 30, 53),
      createReadStream: (start: number, end: number) => {
        let left = end - start + 1;
        return new Readable({
          read() {
            const n = Math.min(left, 1 << 20);
            left -= n;
            this.push(n > 0 ? Buffer.alloc(n) : null);
          },
        });
      },
      close: () => Promise.resolve(),
    });
  };
  const unused = (): never => {
    throw new Error('not used by the route');
  };
  return {
    open,
    isBeingVerified: () => false,
    has: unused,
    stat: unused,
    openRange: unused,
    ingest: unused,
    partialSize: unused,
    discardPartial: unused,
    verify: unused,
    verifyAll: unused,
    delete: unused,
    list: unused,
    close: unused,
  };
}

function parseHead(text: string): { start: string; headers: Array<[string, string]> } {
  const lines = text.split('\r\n').filter((l) => l.length > 0);
  return {
    start: lines[0] ?? '',
    headers: lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i), l.slice(i + 1).trim()];
    }),
  };
}

const notOurs = new Set(['server', 'x-powered-by', 'date']);
const hopByHop = new Set(['connection', 'keep-alive', 'date']);
const imfFixdate =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

for (const name of exchanges) {
  void test(`content response headers match the real WS2025 capture: ${name}`, async (t) => {
    const reqText = readFileSync(`${captureDir}/${name}/request.headers`, 'latin1');
    const realRes = parseHead(readFileSync(`${captureDir}/${name}/response.headers`, 'latin1'));
    const path = /^GET (\S+) HTTP\/1\.1/.exec(reqText)?.[1] ?? '';
    const sha1hex = /\/([0-9A-F]{40})\.\w+$/.exec(path)?.[1] ?? '';
    const size = Number(
      /\/(\d+)$/.exec(realRes.headers.find(([n]) => n === 'Content-Range')?.[1] ?? '')?.[1],
    );
    assert.ok(Number.isSafeInteger(size) && size > 0);

    const app = Fastify({ logger: false });
    await app.register(contentRoutes, { store: syntheticStore(sha1hex, size), log: app.log });
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.after(() => app.close());
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    // The captured request bytes as the client sent them (GET with Content-Length: 0, MS-CV, keep-alive).
    const ours = await rawRequest(port, reqText);
    assert.equal(ours.status, Number(/^HTTP\/1\.1 (\d{3})/.exec(realRes.start)?.[1]));
    const real = realRes.headers.filter(([n]) => !notOurs.has(n.toLowerCase()));
    const mine = ours.headers.filter(([n]) => !hopByHop.has(n.toLowerCase()));
    assert.deepEqual(
      mine.map(([n]) => n.toLowerCase()),
      real.map(([n]) => n.toLowerCase()),
      'same header names in the same order',
    );
    for (const [n, v] of real) {
      const got = headerOf(ours, n) ?? '';
      if (n === 'ETag') {
        assert.match(v, /^"[^"]+"$/);
        assert.match(got, /^"[0-9A-F]{40}"$/, 'strong ETag derived from the SHA-1');
      } else if (n === 'Last-Modified') {
        assert.match(v, imfFixdate);
        assert.match(got, imfFixdate);
      } else {
        assert.equal(got, v, n);
      }
    }
    assert.match(headerOf(ours, 'Content-Range') ?? '', /^bytes \d+-\d+\/\d+$/);
    assert.equal(ours.body.length, Number(headerOf(ours, 'Content-Length')));
    assert.equal(headerOf(ours, 'Content-Encoding'), undefined);
    assert.equal(headerOf(ours, 'Transfer-Encoding'), undefined);
  });
}
