/**
 * A WSUS-like content upstream on loopback for the downloader tests: the real `/Content/` routes
 * (src/http/content-routes.ts, ranges included) over a second FsContentStore, plus fault injection done
 * before the route runs: a connection cut mid-body, a wrong body, 503 answers, and a slow drip. It records
 * every request (path + Range) and counts the body bytes it sent.
 */
import type { TestContext } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import Fastify from 'fastify';
import { contentRoutes } from '../../../src/http/content-routes.js';
import { decideRange } from '../../../src/http/content-range.js';
import { FsContentStore } from '../../../src/storage/index.js';

export interface FakeFile {
  readonly sha1: Buffer;
  readonly sha256: Buffer;
  readonly size: number;
  readonly name: string;
  readonly hex: string;
  readonly bytes: Buffer;
}

export interface Faults {
  /** Next request for this file sends only this many body bytes, then the socket is destroyed (once). */
  readonly cutAfter: Map<string, number>;
  /** Requests for these files get a body of the right length with one byte flipped (`count` times; -1 always). */
  readonly corrupt: Map<string, number>;
  /** Full answers (200) for these files carry this many extra bytes past the file's size (until removed). */
  readonly oversize: Map<string, number>;
  /** Answer 503 this many times. */
  readonly unavailable: Map<string, number>;
  /** When set, every body is sent in pieces of this size with `dripDelayMs` between them. */
  drip: { bytes: number; delayMs: number } | undefined;
}

export interface FakeContentUpstream {
  readonly origin: string;
  /** A ServerSync URL on the same origin (what `[upstream] url` holds for a WSUS upstream). */
  readonly serverSyncUrl: string;
  readonly store: FsContentStore;
  readonly requests: { hex: string; range: string | undefined; status: number }[];
  readonly faults: Faults;
  bytesSent(): number;
  /** Most requests for known files open at the same time. */
  maxInFlight(): number;
  add(bytes: Buffer, name?: string): Promise<FakeFile>;
  addRandom(size: number, name?: string): Promise<FakeFile>;
}

export function describeFile(bytes: Buffer, name: string): FakeFile {
  const sha1 = createHash('sha1').update(bytes).digest();
  return {
    sha1,
    sha256: createHash('sha256').update(bytes).digest(),
    size: bytes.length,
    name,
    hex: sha1.toString('hex').toUpperCase(),
    bytes,
  };
}

const hexOf = (url: string) => /([0-9A-Fa-f]{40})\.[A-Za-z0-9_-]+$/.exec(url)?.[1]?.toUpperCase() ?? '';

export async function startFakeContentUpstream(t: TestContext): Promise<FakeContentUpstream> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-fake-content-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await FsContentStore.open(join(dir, 'store'));
  const files = new Map<string, FakeFile>();
  const requests: FakeContentUpstream['requests'] = [];
  const faults: Faults = {
    cutAfter: new Map(),
    corrupt: new Map(),
    oversize: new Map(),
    unavailable: new Map(),
    drip: undefined,
  };
  let sent = 0;
  const answeredByFault = new WeakSet<object>();
  let inFlight = 0;
  let maxInFlight = 0;

  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    const hex = hexOf(req.raw.url ?? '');
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const file = files.get(hex);
    const once = (m: Map<string, number>) => {
      const n = m.get(hex);
      if (n === undefined || n === 0) return false;
      if (n > 0) m.set(hex, n - 1);
      return true;
    };
    if (file === undefined) return;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    reply.raw.once('close', () => inFlight--);
    if (once(faults.unavailable)) {
      requests.push({ hex, range, status: 503 });
      answeredByFault.add(req.raw);
      return reply.code(503).header('retry-after', '0').send('busy');
    }
    const cut = faults.cutAfter.get(hex);
    if (cut !== undefined) faults.cutAfter.delete(hex);
    const corrupt = once(faults.corrupt);
    const extra = range === undefined ? (faults.oversize.get(hex) ?? 0) : 0;
    if (cut === undefined && !corrupt && extra === 0 && faults.drip === undefined) return; // the real route serves it
    answeredByFault.add(req.raw);
    const d = decideRange(range, file.size);
    const [start, end, status] = d.kind === 'partial' ? [d.start, d.end, 206] : [0, file.size - 1, 200];
    requests.push({ hex, range, status });
    let body = file.bytes.subarray(start, end + 1);
    if (corrupt) {
      body = Buffer.from(body);
      body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
    }
    if (extra > 0) body = Buffer.concat([body, Buffer.alloc(extra, 0x5a)]);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
    });
    await writeBody(res, cut === undefined ? body : body.subarray(0, cut), faults.drip, (n) => (sent += n));
    if (cut !== undefined) res.destroy();
    else res.end();
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!files.has(hexOf(req.raw.url ?? '')) || answeredByFault.has(req.raw)) return;
    // Faults answered themselves (hijack / 503); this counts the real route's answers.
    if (reply.statusCode !== 200 && reply.statusCode !== 206) return;
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    requests.push({ hex: hexOf(req.raw.url ?? ''), range, status: reply.statusCode });
    sent += Number(reply.getHeader('content-length') ?? 0);
  });
  await app.register(contentRoutes, { store, log: app.log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
  const origin = `http://127.0.0.1:${port}`;

  const add = async (bytes: Buffer, name = 'payload.cab') => {
    const f = describeFile(bytes, name);
    await store.ingest([bytes], { sha1: f.sha1, sha256: f.sha256, size: f.size });
    files.set(f.hex, f);
    return f;
  };
  return {
    origin,
    serverSyncUrl: `${origin}/ServerSyncWebService/ServerSyncWebService.asmx`,
    store,
    requests,
    faults,
    bytesSent: () => sent,
    maxInFlight: () => maxInFlight,
    add,
    addRandom: (size, name) => add(randomBytes(size), name),
  };
}

async function writeBody(
  res: ServerResponse,
  body: Buffer,
  drip: Faults['drip'],
  count: (n: number) => void,
): Promise<void> {
  const piece = drip?.bytes ?? 256 * 1024;
  for (let off = 0; off < body.length && !res.destroyed; off += piece) {
    const chunk = body.subarray(off, off + piece);
    count(chunk.length);
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    if (drip !== undefined) await new Promise((r) => setTimeout(r, drip.delayMs));
  }
}
