/**
 * A hostile content upstream on loopback: every file it knows misbehaves in its own way, the way a broken or
 * malicious server (or the path to it) does. Used by the downloader and the running-server tests to show that
 * no upstream behaviour ends the process: each file fails with a typed error and the run ends.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { payload } from '../../helpers/seed-catalog.js';
import { describeFile, type FakeFile } from './fake-content-upstream.js';

export type Hostility =
  | 'overlong'
  | 'endless'
  | 'truncated'
  | 'reset'
  | 'wrong-digest'
  | 'slow-drip'
  | 'redirect-loop'
  | 'garbage-headers';

export const hostilities: readonly Hostility[] = [
  'overlong',
  'endless',
  'truncated',
  'reset',
  'wrong-digest',
  'slow-drip',
  'redirect-loop',
  'garbage-headers',
];

/**
 * The typed error each behaviour must end in, given the transport settings of the tests (a minimum rate the
 * drip cannot meet, five redirects at most).
 */
export const expectedCode: Readonly<Record<Hostility, string>> = {
  overlong: 'PB_ERR_CONTENT_SIZE_MISMATCH',
  endless: 'PB_ERR_CONTENT_SIZE_MISMATCH',
  truncated: 'PB_ERR_UPSTREAM_CONNECT',
  reset: 'PB_ERR_UPSTREAM_CONNECT',
  'wrong-digest': 'PB_ERR_CONTENT_DIGEST_MISMATCH',
  'slow-drip': 'PB_ERR_UPSTREAM_TIMEOUT',
  'redirect-loop': 'PB_ERR_UPSTREAM_HTTP',
  'garbage-headers': 'PB_ERR_UPSTREAM_PROTOCOL',
};

export interface HostileUpstream {
  readonly origin: string;
  readonly serverSyncUrl: string;
  /** One file per behaviour (sizes differ so that every file is distinct), plus one the upstream serves right. */
  readonly files: ReadonlyMap<Hostility | 'good', FakeFile>;
  /** GET /Content/ requests answered, per behaviour. */
  readonly hits: Map<Hostility | 'good', number>;
  /** Routes one request (for a front that also serves ServerSync on the same origin). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

const hexOf = (url: string) => /([0-9A-Fa-f]{40})\.[A-Za-z0-9_-]+$/.exec(url)?.[1]?.toUpperCase() ?? '';

export function hostileFiles(): Map<Hostility | 'good', FakeFile> {
  const files = new Map<Hostility | 'good', FakeFile>();
  for (const [i, h] of hostilities.entries()) files.set(h, describeFile(payload(20_000 + i), `${h}.cab`));
  files.set('good', describeFile(payload(30_000), 'good.cab'));
  return files;
}

/** Answers `/Content/` requests for the hostile files; `false` when the request is not one of them. */
export function hostileHandler(
  files: ReadonlyMap<Hostility | 'good', FakeFile>,
  hits: Map<Hostility | 'good', number>,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byHex = new Map([...files].map(([h, f]) => [f.hex, h] as const));
  return (req, res) => {
    const kind = byHex.get(hexOf(req.url ?? ''));
    if (kind === undefined || !/^\/content\//i.test(req.url ?? '')) return false;
    hits.set(kind, (hits.get(kind) ?? 0) + 1);
    const f = files.get(kind)!;
    const socket: Socket = req.socket;
    switch (kind) {
      case 'good':
        res.writeHead(200, { 'content-length': String(f.size) }).end(f.bytes);
        break;
      case 'overlong':
        // Chunked (no Content-Length): the body runs past the size the metadata declares.
        // One write, so the overrun arrives in the first chunks, as from a fast server.
        res.writeHead(200);
        res.end(Buffer.concat([f.bytes, Buffer.alloc(64 * 1024, 1)]));
        break;
      case 'endless': {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 2);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        pump();
        break;
      }
      case 'truncated':
        // Announces the whole file, sends half, closes.
        res.writeHead(200, { 'content-length': String(f.size) });
        res.write(f.bytes.subarray(0, f.size >> 1), () => socket.end());
        break;
      case 'reset':
        res.writeHead(200, { 'content-length': String(f.size) });
        res.write(f.bytes.subarray(0, f.size >> 2), () => socket.resetAndDestroy());
        break;
      case 'wrong-digest': {
        const bad = Buffer.from(f.bytes);
        bad[100] = (bad[100] ?? 0) ^ 0xff;
        res.writeHead(200, { 'content-length': String(f.size) }).end(bad);
        break;
      }
      case 'slow-drip': {
        res.writeHead(200, { 'content-length': String(f.size) });
        let off = 0;
        const timer = setInterval(() => {
          if (res.destroyed || off >= f.size) {
            clearInterval(timer);
            return;
          }
          res.write(f.bytes.subarray(off, off + 1));
          off++;
        }, 50);
        res.on('close', () => clearInterval(timer));
        break;
      }
      case 'redirect-loop':
        res.writeHead(302, { location: req.url ?? '/' }).end();
        break;
      case 'garbage-headers':
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\x01\x02 not a header\r\n\r\nxxxx');
        break;
    }
    return true;
  };
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const files = hostileFiles();
  const hits = new Map<Hostility | 'good', number>();
  const handle = hostileHandler(files, hits);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    serverSyncUrl: `${origin}/ServerSyncWebService/ServerSyncWebService.asmx`,
    files,
    hits,
    handle,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
