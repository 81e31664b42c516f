/**
 * The HTTP part shared by both fake upstreams: a real node:http server on 127.0.0.1:0 that routes ServerSync
 * and DssAuth POSTs to a handler, records every request (operation, body, parsed operation element) and lets
 * a test inject transport-level misbehaviour per request: 5xx answers, a hang (timeout), a slow drip.
 * Answers are Xpress-encoded when the request offers it, as WS2025 answers (docs/protocol/upstream.md §U3.1),
 * faults excepted; `xpress: false` in the options answers identity always.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptsXpress } from '../../../src/http/accept-encoding.js';
import { decodeSoapEnvelope, encodeSoapFault } from '../../../src/protocol/soap/index.js';
import { encodeXpressBody } from '../../../src/protocol/xpress/index.js';
import type { XmlElement } from '../../../src/protocol/xml/index.js';

export interface RecordedRequest {
  readonly path: string;
  readonly op: string;
  readonly soapAction: string | undefined;
  readonly body: string;
  readonly payload: XmlElement;
  readonly headers: IncomingMessage['headers'];
}

export type SoapAnswer =
  { status: number; body: string } | 'hang' | { slowDrip: string; bytesPerTick: number; tickMs: number };

export type SoapHandler = (req: RecordedRequest) => SoapAnswer | Promise<SoapAnswer>;

export interface FakeSoapServer {
  readonly url: string;
  readonly serverSyncUrl: string;
  readonly requests: RecordedRequest[];
  /** Requests per operation. */
  count(op: string): number;
  close(): Promise<void>;
}

export function wsusFault(
  errorCode: string,
  code: 'Client' | 'Server',
  op: string,
): { status: number; body: string } {
  const r = encodeSoapFault(
    {
      code,
      errorCode,
      message: '',
      id: '00000000-0000-0000-0000-000000000000',
      method: `http://www.microsoft.com/SoftwareDistribution/${op}`,
    },
    { version: '1.1', style: 'asmx' },
  );
  return { status: r.status, body: r.body };
}

/** Answers a request that is not a SOAP call (e.g. `/Content/` on the same origin); false to pass it on. */
export type OtherHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export async function startFakeSoapServer(
  handler: SoapHandler,
  other?: OtherHandler,
  options: { xpress?: boolean } = {},
): Promise<FakeSoapServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' && other?.(req, res) === true) return;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 32 * 1024 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let payload: XmlElement;
        try {
          payload = decodeSoapEnvelope(body).payload;
        } catch {
          res.writeHead(400).end();
          return;
        }
        const rec: RecordedRequest = {
          path: req.url ?? '',
          op: payload.local,
          soapAction: req.headers.soapaction as string | undefined,
          body,
          payload,
          headers: req.headers,
        };
        requests.push(rec);
        const answer = await handler(rec);
        if (answer === 'hang') return; // never answers: the client's deadline must fire
        if ('slowDrip' in answer) {
          const bytes = Buffer.from(answer.slowDrip, 'utf8');
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': bytes.length });
          let off = 0;
          const timer = setInterval(() => {
            if (res.destroyed || off >= bytes.length) {
              clearInterval(timer);
              if (!res.destroyed) res.end();
              return;
            }
            res.write(bytes.subarray(off, off + answer.bytesPerTick));
            off += answer.bytesPerTick;
          }, answer.tickMs);
          res.on('close', () => clearInterval(timer));
          return;
        }
        let out: Buffer = Buffer.from(answer.body, 'utf8');
        const xpress =
          options.xpress !== false && answer.status === 200 && acceptsXpress(req.headers['accept-encoding']);
        if (xpress) out = encodeXpressBody(out);
        res.writeHead(answer.status, {
          'content-type': 'text/xml; charset=utf-8',
          ...(xpress ? { 'content-encoding': 'xpress', vary: 'Accept-Encoding' } : {}),
          'content-length': out.length,
        });
        res.end(out);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    serverSyncUrl: `${url}/ServerSyncWebService/ServerSyncWebService.asmx`,
    requests,
    count: (op) => requests.filter((r) => r.op === op).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
