/**
 * SOAP endpoints over fastify: one POST route per endpoint path, a raw-body parser with the byte limit
 * enforced before buffering, dispatch by the body element (src/protocol/soap), WSUS-shaped faults.
 *
 * Wire rules (docs/protocol/client.md §1.1, §1.8): every answer carries Content-Length (never chunked) and
 * `Cache-Control: private`; an answer is Xpress-encoded when the request offers `xpress` and the switch is on
 * (docs/protocol/upstream.md §U3: `Content-Encoding: xpress`, `Vary: Accept-Encoding`, as WS2025 sends them);
 * a fault is identity-encoded, HTTP 500 with `Connection: close`, as WS2025 sends it, and never leaks an
 * internal message.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../errors.js';
import {
  decodeSoapRequest,
  encodeSoapFault,
  encodeSoapResponse,
  faultFromError,
  type SoapEnvelopeStyle,
  type SoapHttpResponse,
  type SoapOperationRegistry,
  type SoapVersion,
  type XmlParse,
} from '../protocol/soap/index.js';
import { soapRequestLimits, type XmlElement, type XmlReadLimits } from '../protocol/xml/index.js';
import type { IncomingMessage } from 'node:http';
import { BodyRefused, receiveBody, type BodyReceiveOptions, type BodyReservation } from './body-receive.js';
import { acceptsXpress } from './accept-encoding.js';
import type { XpressAnswers } from './xpress-answer.js';

/** What a handler learns about the call besides the operation element. */
export interface SoapCallContext {
  readonly request: FastifyRequest;
  readonly version: SoapVersion;
  /**
   * `scheme://host:port` clients reach this server at: `server.base_url` when configured, else the request's
   * Host header host with this server's own port (docs/protocol/client.md §1.9). Used for FileLocation URLs.
   */
  readonly baseUrl: string;
  readonly receivedAtMs: number;
}

/** Returns the serialized `…Response` element (the envelope is added by the route). */
export type SoapHandler = (op: XmlElement, ctx: SoapCallContext) => Promise<string> | string;

export interface SoapEndpoint {
  /** Paths, matched case-insensitively (the client server is built with a case-insensitive router). */
  readonly paths: readonly string[];
  readonly style: SoapEnvelopeStyle;
  readonly registry: SoapOperationRegistry<SoapHandler>;
  /** The XML reader for this endpoint's requests (default parseXml); see SoapRequestInput.parse. */
  readonly parseXml?: XmlParse;
  /** This endpoint's XML limits from the body limit (default: the routes' limits, maxBytes = body limit). */
  readonly xmlLimits?: (bodyLimit: number) => XmlReadLimits;
}

export interface SoapRoutesOptions {
  readonly endpoints: readonly SoapEndpoint[];
  /** Largest request body in bytes; enforced on Content-Length and while receiving. */
  readonly bodyLimit: number;
  /** Deadline, minimum rate and the shared byte budget for bodies (body-receive.ts). */
  readonly body: Omit<BodyReceiveOptions, 'limitBytes'>;
  /** `server.base_url` ('' = derive from the request). */
  readonly advertisedBaseUrl: string;
  readonly limits?: XmlReadLimits;
  /** Xpress for answers to requests that offer it (`[server] xpress`); absent = identity only. */
  readonly xpress?: XpressAnswers;
}

const hostName = /^(?:[A-Za-z0-9_-]{1,63}\.?)+$|^\[[0-9A-Fa-f:.]{2,45}\]$/;

/** Host part of a Host header (`host`, `host:port`, `[v6]:port`), or undefined when it is not a plain host. */
function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 300) return undefined;
  const h = header.trim();
  const host = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:[0-9]{1,5}$/, '');
  return host !== '' && hostName.test(host) ? host : undefined;
}

/** docs/protocol/client.md §1.9: the configured base URL, else the Host header's host with the server's own port. */
export function baseUrlFor(request: FastifyRequest, advertised: string): string {
  if (advertised !== '') return advertised.replace(/\/+$/, '');
  const socket = request.raw.socket;
  const encrypted = (socket as { encrypted?: boolean }).encrypted === true;
  const port = socket.localPort ?? (encrypted ? 8531 : 8530);
  let host = hostOf(request.headers.host);
  if (host === undefined) {
    const local = socket.localAddress ?? '127.0.0.1';
    host = local.includes(':') ? `[${local.replace(/^::ffff:/, '')}]` : local;
    if (host.startsWith('[') && !host.slice(1, -1).includes(':')) host = host.slice(1, -1);
  }
  return `${encrypted ? 'https' : 'http'}://${host}:${port}`;
}

function send(
  reply: FastifyReply,
  r: SoapHttpResponse,
  extra: Record<string, string> = {},
  encode?: (body: Buffer) => Buffer,
): FastifyReply {
  let body: Buffer = Buffer.from(r.body, 'utf8');
  reply.code(r.status);
  for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
  for (const [k, v] of Object.entries(extra)) reply.header(k, v);
  if (encode !== undefined) {
    body = encode(body);
    reply.header('content-encoding', 'xpress');
  }
  reply.header('cache-control', 'private');
  reply.header('content-length', String(body.length));
  return reply.send(body);
}

/** The envelope version a refused request most likely speaks (for the fault's shape). */
function versionOf(request: FastifyRequest): SoapVersion {
  const ct = request.headers['content-type'];
  return typeof ct === 'string' && ct.toLowerCase().includes('application/soap+xml') ? '1.2' : '1.1';
}

function soapActionOf(request: FastifyRequest): string | undefined {
  const a = request.headers['soapaction'];
  if (typeof a !== 'string' || a.length > 500) return undefined;
  return a.trim().replace(/^"(.*)"$/s, '$1') || undefined;
}

/**
 * The `faultactor` of an endpoint's faults: WS2025's ASMX services name the endpoint URL
 * (wsus-m0-wsusss/exchanges/000019); its client web service writes none (wsus-m0 000141), and the encoder
 * drops it for that style.
 */
export function faultActorFor(
  request: FastifyRequest,
  advertisedBaseUrl: string,
  endpoint: Pick<SoapEndpoint, 'style' | 'paths'>,
): string | undefined {
  if (endpoint.style !== 'asmx') return undefined;
  return `${baseUrlFor(request, advertisedBaseUrl)}${endpoint.paths[0] ?? ''}`;
}

/** Sends `error` as a WSUS fault, logging server-side failures with the fault id only the log can tie back. */
export function sendSoapFault(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  style: SoapEnvelopeStyle,
  opts: {
    version?: SoapVersion;
    method?: string | undefined;
    status?: number;
    actor?: string | undefined;
  } = {},
): FastifyReply {
  const fault = faultFromError(error, { method: opts.method ?? soapActionOf(request), actor: opts.actor });
  const version = opts.version ?? versionOf(request);
  if (fault.code === 'Server' && !(isAppError(error) && error.code === 'PB_ERR_SERVER_BUSY'))
    request.log.error({ err: error, faultId: fault.id }, 'SOAP call failed');
  else
    request.log.info(
      {
        errorCode: fault.errorCode,
        parameter: fault.message,
        faultId: fault.id,
        why: error instanceof Error ? error.message.slice(0, 300) : undefined,
      },
      'SOAP fault',
    );
  const r = encodeSoapFault(fault, { version, style });
  return send(reply, opts.status === undefined ? r : { ...r, status: opts.status });
}

/**
 * Registers every endpoint. Call inside its own plugin scope (the body parsers and the error handler are
 * scoped to the SOAP routes): `app.register(soapRoutes, options)`.
 */
export async function soapRoutes(app: FastifyInstance, opts: SoapRoutesOptions): Promise<void> {
  const limits: XmlReadLimits = {
    ...(opts.limits ?? soapRequestLimits),
    maxBytes: Math.min(opts.bodyLimit, (opts.limits ?? soapRequestLimits).maxBytes),
  };
  // One buffering parser for every media type: a wrong or missing Content-Type must become a SOAP fault
  // (decodeSoapRequest checks it), not fastify's generic 415.
  app.removeAllContentTypeParsers();
  const reservations = new WeakMap<FastifyRequest, BodyReservation>();
  app.addHook('onRequest', (request, reply, done) => {
    const reservation: BodyReservation = { bytes: 0 };
    reservations.set(request, reservation);
    // The body Buffer lives until the answer is sent (or the client is gone): hold the budget until then.
    reply.raw.once('close', () => {
      opts.body.budget.release(reservation.bytes);
      reservation.bytes = 0;
    });
    done();
  });
  const bodyOptions: BodyReceiveOptions = { ...opts.body, limitBytes: opts.bodyLimit };
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) =>
    receiveBody(payload, bodyOptions, reservations.get(request) ?? { bytes: 0 }),
  );

  const xpress = opts.xpress;
  for (const endpoint of opts.endpoints) {
    const endpointLimits = endpoint.xmlLimits?.(opts.bodyLimit) ?? limits;
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const receivedAtMs = Date.now();
      let method: string | undefined;
      let version: SoapVersion = versionOf(request);
      try {
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.length === 0)
          throw new AppError('PB_ERR_SOAP_ENVELOPE', 'empty request body');
        const ct = request.headers['content-type'];
        const soapAction = request.headers['soapaction'];
        const soap = decodeSoapRequest({
          body,
          contentType: typeof ct === 'string' ? ct : undefined,
          soapAction: typeof soapAction === 'string' ? soapAction : undefined,
          limits: endpointLimits,
          ...(endpoint.parseXml ? { parse: endpoint.parseXml } : {}),
        });
        version = soap.version;
        const op = endpoint.registry.resolve(soap);
        method = op.action;
        const content = await op.handler.call(undefined, soap.payload, {
          request,
          version,
          baseUrl: baseUrlFor(request, opts.advertisedBaseUrl),
          receivedAtMs,
        });
        const answer = encodeSoapResponse(content, { version, style: endpoint.style });
        if (xpress === undefined) return send(reply, answer);
        // Both variants name the header they depend on, so no cache between client and server mixes them.
        const offered = acceptsXpress(request.headers['accept-encoding']);
        return send(
          reply,
          answer,
          { vary: 'Accept-Encoding' },
          offered ? (b) => xpress.encode(b) : undefined,
        );
      } catch (e) {
        const actor = faultActorFor(request, opts.advertisedBaseUrl, endpoint);
        return sendSoapFault(request, reply, e, endpoint.style, { version, method, actor });
      }
    };
    for (const url of endpoint.paths) app.post(url, handler);
    // GET on an .asmx (browsers, scanners): WSUS shows a help page; we answer a plain 405 without a body leak.
    for (const url of endpoint.paths)
      app.get(url, async (_req, reply) =>
        reply.code(405).header('allow', 'POST').type('text/plain; charset=utf-8').send('POST SOAP here\n'),
      );
  }

  // Body too large, aborted uploads and other transport-level refusals on these routes: still a WSUS fault.
  const endpointOf = new Map<string, SoapEndpoint>();
  for (const e of opts.endpoints) for (const p of e.paths) endpointOf.set(p.toLowerCase(), e);
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const endpoint = endpointOf.get((request.routeOptions.url ?? '').toLowerCase());
    const style = endpoint?.style ?? 'client';
    const status = (error as FastifyError).statusCode;
    // A body too slow for the deadline or the minimum rate: the sender is not a working client, so a plain
    // 408 and the connection closed, as servers answer an incomplete request.
    if (error instanceof BodyRefused && status === 408) {
      request.log.info({ why: error.message }, 'request body timed out; connection closed');
      return reply
        .code(408)
        .header('connection', 'close')
        .type('text/plain; charset=utf-8')
        .send('request body timeout\n');
    }
    if (isAppError(error) && error.code === 'PB_ERR_SERVER_BUSY') {
      reply.header('retry-after', '1');
      const actor = endpoint && faultActorFor(request, opts.advertisedBaseUrl, endpoint);
      return sendSoapFault(request, reply, error, style, { status: 503, actor });
    }
    let mapped: unknown = error;
    if (!isAppError(error) && status === 413)
      mapped = new AppError('PB_ERR_XML_LIMIT', 'request body exceeds the limit', {
        detail: { parameter: 'body' },
      });
    else if (!isAppError(error) && status !== undefined && status >= 400 && status < 500)
      mapped = new AppError('PB_ERR_SOAP_ENVELOPE', error.message.slice(0, 200));
    const actor = endpoint && faultActorFor(request, opts.advertisedBaseUrl, endpoint);
    return sendSoapFault(request, reply, mapped, style, { actor });
  });
  await Promise.resolve();
}

/** The SOAP endpoint a path belongs to, case-insensitively; for the busy responder. */
export function soapEndpointForPath(
  endpoints: readonly SoapEndpoint[],
  url: string | undefined,
): SoapEndpoint | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  for (const e of endpoints) for (const p of e.paths) if (p.toLowerCase() === path) return e;
  return undefined;
}
