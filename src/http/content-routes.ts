import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseSha1Hex, type ContentHandle, type ContentStore, type Sha1Hex } from '../storage/index.js';
import { contentTypeFor } from './content-types.js';
import { decideRange, evaluatePreconditions, ifRangeAllowsRange, type Validators } from './content-range.js';

export interface ContentRoutesOptions {
  readonly store: ContentStore;
  readonly log: FastifyBaseLogger;
  /** Told the body length of each file answer sent completely (the content bytes of /metrics). */
  readonly onBytesServed?: (bytes: number) => void;
}

export type ContentPathResult =
  | { readonly ok: true; readonly sha1: Sha1Hex; readonly extension: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404 };

const maxUrlLength = 512;
/** Percent signs, backslashes, NUL, dot-dot and doubled slashes have no place in a WSUS content URL. */
const hostile = /%|\\|\0|\.\.|\/\//;
/** Printable ASCII only; anything else (controls, raw UTF-8) is refused before matching. */
const nonPrintable = /[^\x21-\x7e]/;
const contentPath = /^\/content\/([A-Za-z0-9_-]{1,64})\/([^/]+)$/i;
const extension = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Map a raw request target to the SHA-1 it names, or an HTTP status. Works on the raw, undecoded target
 * so no decoding layer (fastify's, the router's) can turn `%2e%2e` into `..` behind our back; the folder
 * value is ignored (`/Content/0A/` and `/Content/A/` both work, docs/protocol/client.md §1.9) and only the 40-hex
 * name is used: the store builds paths from the validated digest alone. Missing extension -> 403 as WSUS.
 */
export function parseContentPath(rawTarget: string): ContentPathResult {
  if (rawTarget.length > maxUrlLength) return { ok: false, status: 400 };
  const q = rawTarget.indexOf('?');
  const path = q < 0 ? rawTarget : rawTarget.slice(0, q);
  if (!path.startsWith('/') || hostile.test(path) || nonPrintable.test(path))
    return { ok: false, status: 400 };
  const m = contentPath.exec(path);
  if (m === null) return { ok: false, status: 404 };
  const file = m[2] as string;
  const dot = file.indexOf('.');
  const sha1 = parseSha1Hex(dot < 0 ? file : file.slice(0, dot));
  if (sha1 === undefined) return { ok: false, status: 404 };
  if (dot < 0) return { ok: false, status: 403 };
  const ext = file.slice(dot + 1);
  if (!extension.test(ext)) return { ok: false, status: 404 };
  return { ok: true, sha1, extension: ext };
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  412: 'Precondition Failed',
  503: 'Service Unavailable',
};

function sendStatus(reply: FastifyReply, status: 400 | 403 | 404 | 412 | 503): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .send(statusText[status] ?? 'Error');
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * `GET`/`HEAD /Content/<folder>/<SHA1HEX>.<ext>` with single byte ranges (docs/protocol/client.md §1.9). Register with
 * `app.register(contentRoutes, { store, log })`. Matching is case-insensitive: when the server is built
 * with `routerOptions.caseSensitive: false` one route covers every spelling; otherwise `/Content/`, `/content/` and
 * `/CONTENT/` are registered (the spellings seen from WUA, WS2025 and scanners).
 */
export async function contentRoutes(app: FastifyInstance, opts: ContentRoutesOptions): Promise<void> {
  const { store, log } = opts;
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const parsed = parseContentPath(request.raw.url ?? '');
    if (!parsed.ok) {
      if (parsed.status === 400) log.debug({ reqId: request.id }, 'refused hostile content path');
      return sendStatus(reply, parsed.status);
    }
    const handle = await store.open(parsed.sha1);
    if (handle === undefined) {
      // A file that changed on disk since it was verified is being re-hashed: WUA and BITS retry a 503.
      if (!store.isBeingVerified(parsed.sha1)) return sendStatus(reply, 404);
      reply.header('retry-after', '30');
      return sendStatus(reply, 503);
    }
    try {
      return await respond(request, reply, handle, contentTypeFor(parsed.extension), opts.onBytesServed);
    } catch (e) {
      await handle.close();
      throw e;
    }
  };

  // Probe the router instead of reading its options: on a case-insensitive router the other spellings
  // already resolve to the first route (and registering them would be a duplicate).
  for (const url of ['/content/*', '/Content/*', '/CONTENT/*']) {
    if (app.hasRoute({ method: 'GET', url })) continue;
    app.route({ method: ['GET', 'HEAD'], url, exposeHeadRoute: false, handler });
  }
  await Promise.resolve();
}

async function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  handle: ContentHandle,
  contentType: string,
  onBytesServed?: (bytes: number) => void,
): Promise<FastifyReply> {
  const v: Validators = { etag: `"${handle.sha1}"`, lastModifiedMs: handle.storedAt };
  const lastModified = new Date(handle.storedAt).toUTCString();
  const h = request.headers;
  const pre = evaluatePreconditions(
    {
      'if-match': headerValue(h['if-match']),
      'if-none-match': headerValue(h['if-none-match']),
      'if-modified-since': headerValue(h['if-modified-since']),
      'if-unmodified-since': headerValue(h['if-unmodified-since']),
    },
    v,
  );
  if (pre === 412) {
    await handle.close();
    return sendStatus(reply, 412);
  }
  // Header order follows the real WS2025/IIS answers (test/fixtures/.../content-headers).
  reply.header('content-type', contentType);
  reply.header('last-modified', lastModified);
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', v.etag);
  if (pre === 304) {
    await handle.close();
    reply.removeHeader('content-type');
    return reply.code(304).send();
  }

  const size = handle.size;
  const rangeHeader = headerValue(h.range);
  const decision =
    rangeHeader !== undefined && ifRangeAllowsRange(headerValue(h['if-range']), v)
      ? decideRange(rangeHeader, size)
      : ({ kind: 'full' } as const);

  if (decision.kind === 'unsatisfiable') {
    await handle.close();
    reply.removeHeader('content-type');
    reply.header('content-range', `bytes */${size}`);
    return reply.code(416).header('content-length', '0').send();
  }
  const start = decision.kind === 'partial' ? decision.start : 0;
  const end = decision.kind === 'partial' ? decision.end : size - 1;
  const length = end - start + 1;
  reply.header('content-length', String(length));
  if (decision.kind === 'partial') {
    reply.code(206);
    reply.header('content-range', `bytes ${start}-${end}/${size}`);
  } else {
    reply.code(200);
  }
  if (request.method === 'HEAD' || length === 0) {
    await handle.close();
    return reply.send();
  }
  // 'finish': the whole body went out; an aborted download is not counted.
  if (onBytesServed !== undefined) reply.raw.once('finish', () => onBytesServed(length));
  return reply.send(handle.createReadStream(start, end));
}
