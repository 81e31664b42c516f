import { AppError, isAppError } from '../../errors.js';
import { decodeSoapEnvelope, decodeSoapFault, soap11EnvelopeNs } from '../soap/index.js';
import { xmlDeclaration, type XmlElement } from '../xml/index.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';

/**
 * A request envelope exactly as ASMX clients write it (REAL request bodies in wsus-m0-wsusss/exchanges): the
 * XML declaration, `soap:Envelope` with only the SOAP 1.1 namespace declared, the operation element in its
 * default namespace. `content` is the serialized operation element.
 */
export function wrapServerSyncRequest(content: string): string {
  return `${xmlDeclaration}<soap:Envelope xmlns:soap="${soap11EnvelopeNs}"><soap:Body>${content}</soap:Body></soap:Envelope>`;
}

/** The WSUS detail of an upstream fault, as carried by PB_ERR_UPSTREAM_FAULT's `detail`. */
export interface UpstreamFaultDetail {
  /** WSUS ErrorCode (`InvalidCookie`, `InternalServerError`, `ServerChanged`...), '' when the fault had none. */
  readonly errorCode: string;
  readonly message: string;
  /** SOAP fault code local part (Client/Server). */
  readonly code: string;
  readonly id: string | undefined;
  readonly operation: string;
}

export function upstreamFaultError(detail: UpstreamFaultDetail): AppError {
  const what = detail.errorCode === '' ? `soap:${detail.code}` : detail.errorCode;
  return new AppError(
    'PB_ERR_UPSTREAM_FAULT',
    `upstream ${detail.operation} fault ${what}${detail.message ? `: ${detail.message.slice(0, 200)}` : ''}`,
    { detail: { ...detail } },
  );
}

/** The WSUS ErrorCode of a PB_ERR_UPSTREAM_FAULT error, undefined for anything else. */
export function upstreamFaultCode(e: unknown): string | undefined {
  if (!isAppError(e) || e.code !== 'PB_ERR_UPSTREAM_FAULT') return undefined;
  const c = e.detail?.errorCode;
  return typeof c === 'string' ? c : undefined;
}

export function protocolError(operation: string, message: string, cause?: unknown): AppError {
  return new AppError('PB_ERR_UPSTREAM_PROTOCOL', `upstream ${operation} answer: ${message}`, {
    cause,
    detail: { operation },
  });
}

/**
 * Decodes an upstream answer: a Fault becomes PB_ERR_UPSTREAM_FAULT (with the WSUS ErrorCode), a body that is
 * not the expected `<operation>Response` in `ns` becomes PB_ERR_UPSTREAM_PROTOCOL; XML limit and syntax errors
 * are wrapped as PB_ERR_UPSTREAM_PROTOCOL too (the answer is unusable, whatever the reason). Returns the
 * `<operation>Result` element.
 */
export function decodeServerSyncResponse(
  body: Uint8Array | string,
  ns: string,
  operation: string,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): XmlElement {
  const payload = decodeServerSyncResponseElement(body, ns, operation, limits);
  for (const c of payload.children)
    if (c.kind === 'element' && c.uri === ns && c.local === `${operation}Result`) return c;
  throw protocolError(operation, `missing ${operation}Result`);
}

/** As decodeServerSyncResponse, but returns the `<operation>Response` element (for answers without a Result). */
export function decodeServerSyncResponseElement(
  body: Uint8Array | string,
  ns: string,
  operation: string,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): XmlElement {
  let payload: XmlElement;
  try {
    const env = decodeSoapEnvelope(body, limits.xml);
    payload = env.payload;
    if (payload.local === 'Fault') {
      const f = decodeSoapFault(body, limits.xml);
      if (f !== undefined)
        throw upstreamFaultError({
          errorCode: f.errorCode?.trim() ?? '',
          message: f.message ?? f.faultstring,
          code: f.code,
          id: f.id,
          operation,
        });
    }
  } catch (e) {
    if (isAppError(e) && e.code === 'PB_ERR_UPSTREAM_FAULT') throw e;
    throw protocolError(operation, isAppError(e) ? e.message : 'not a SOAP envelope', e);
  }
  if (payload.uri !== ns || payload.local !== `${operation}Response`)
    throw protocolError(
      operation,
      `unexpected body element {${payload.uri.slice(0, 100)}}${payload.local.slice(0, 100)}`,
    );
  return payload;
}

/** Runs a decoder over an already located element, turning its InvalidParameters into a protocol error. */
export function decodeOrProtocolError<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isAppError(e) && (e.code === 'PB_ERR_INVALID_PARAMETER' || e.code.startsWith('PB_ERR_XML')))
      throw protocolError(operation, e.message, e);
    throw e;
  }
}

/** The operation element of a request we receive (upstream role), checked by namespace and name. */
export function expectServerSyncOperation(op: XmlElement, ns: string, local: string): void {
  if (op.uri !== ns || op.local !== local)
    throw new AppError('PB_ERR_SOAP_UNKNOWN_OPERATION', `expected ${local}, got ${op.local.slice(0, 100)}`);
}
