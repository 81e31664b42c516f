/**
 * Shared pieces of the transport tests: a scriptable origin server (node:http or node:https on loopback, port
 * 0) that records what it received, a fake clock that jumps instead of sleeping, and a pino logger that
 * captures its lines.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { pino, type Logger } from 'pino';
import type { Clock } from '../../../src/sync/index.js';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  index: number,
) => void | Promise<void>;

export interface Origin {
  url: string;
  port: number;
  received: Received[];
  /** Sockets accepted so far (a keep-alive pool reuses them). */
  connections: number;
  setHandler(h: Handler): void;
  server: Server;
}

export async function startOrigin(
  t: TestContext,
  handler: Handler,
  tls?: { cert: string; key: string },
  host = '127.0.0.1',
): Promise<Origin> {
  const received: Received[] = [];
  let current = handler;
  const sockets = new Set<Socket>();
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = received.length;
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      Promise.resolve(current(req, res, body, index)).catch((e: unknown) => {
        res.destroy(e as Error);
      });
    });
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
    : createHttpServer(listener);
  const origin: Origin = {
    url: '',
    port: 0,
    received,
    connections: 0,
    setHandler: (h) => {
      current = h;
    },
    server,
  };
  server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
    origin.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  origin.port = port;
  origin.url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return origin;
}

/** A clock whose sleep advances time at once, recording every requested delay. */
export class FakeClock implements Clock {
  t: number;
  readonly sleeps: number[] = [];
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
    await Promise.resolve();
  }
}

/** Deterministic [0,1) sequence (mulberry32), so jitter is reproducible. */
export function seededRandom(seed = 42): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export function captureLogger(level = 'debug'): { logger: Logger; lines: LogLine[]; raw: string[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const s = chunk.toString('utf8');
      raw.push(s);
      for (const l of s.split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines, raw };
}

export const SOAP_ACTION = 'http://www.microsoft.com/SoftwareDistribution/GetAuthConfig';
export const SOAP_REQUEST = Buffer.from(
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<soap:Body><GetAuthConfig xmlns="http://www.microsoft.com/SoftwareDistribution" /></soap:Body></soap:Envelope>',
);
export const SOAP_OK = Buffer.from(
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<soap:Body><GetAuthConfigResponse xmlns="http://www.microsoft.com/SoftwareDistribution"><GetAuthConfigResult>' +
    '<LastChange>2026-10-04T16:09:27Z</LastChange></GetAuthConfigResult></GetAuthConfigResponse></soap:Body></soap:Envelope>',
);
export const SOAP_FAULT = Buffer.from(
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Fault occurred</faultstring>' +
    '<detail><ErrorCode>InvalidCookie</ErrorCode><Message /><ID>7c1f</ID></detail></soap:Fault></soap:Body></soap:Envelope>',
);

export function sendXml(
  res: ServerResponse,
  status: number,
  body: Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/xml; charset=utf-8',
    'content-length': body.length,
    ...extra,
  });
  res.end(body);
}
