import { AppError } from '../../errors.js';
import { parseXml, soapRequestLimits, type XmlElement, type XmlReadLimits } from '../xml/index.js';
import { parseSoapActionHeader, parseSoapContentType } from './content-type.js';
import { soap11EnvelopeNs, soap12EnvelopeNs, type SoapVersion } from './namespaces.js';

/** A SOAP envelope reduced to what the services use. */
export interface SoapEnvelope {
  readonly version: SoapVersion;
  readonly envelope: XmlElement;
  /** Header blocks (children of soap:Header), in document order; empty when there is no Header. */
  readonly headers: readonly XmlElement[];
  /** The single child element of soap:Body: the operation element of a request, or a response/Fault. */
  readonly payload: XmlElement;
}

/** A decoded SOAP request: the envelope plus what the HTTP headers said. */
export interface SoapRequest extends SoapEnvelope {
  /** SOAPAction (1.1) or the Content-Type `action` parameter (1.2), unquoted; undefined when not given. */
  readonly action: string | undefined;
}

export interface SoapRequestInput {
  /** The raw body. The HTTP layer enforces the byte limit before buffering (see docs in decodeSoapRequest). */
  readonly body: Uint8Array | string;
  readonly contentType: string | undefined;
  /** The raw `SOAPAction` header (quoted or not); ignored for SOAP 1.2, which uses `action=`. */
  readonly soapAction?: string | undefined;
  readonly limits?: XmlReadLimits;
  /**
   * The XML reader (default parseXml). An endpoint may pass one that streams parts its decoders read
   * specially (client-ws parseClientRequestXml); it must keep parseXml's contract: the same envelope
   * shape, the same typed errors.
   */
  readonly parse?: XmlParse;
}

/** A reader with parseXml's contract: a tree or a typed PB_ERR_XML_* AppError. */
export type XmlParse = (body: Uint8Array | string, limits: XmlReadLimits) => XmlElement;

function envelopeError(message: string): AppError {
  return new AppError('PB_ERR_SOAP_ENVELOPE', message);
}

const soap11ActorNext = 'http://schemas.xmlsoap.org/soap/actor/next';
const soap12RoleNext = 'http://www.w3.org/2003/05/soap-envelope/role/next';
const soap12RoleUltimate = 'http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver';

function attr(el: XmlElement, uri: string, local: string): string | undefined {
  for (const a of el.attributes) if (a.local === local && a.uri === uri) return a.value;
  return undefined;
}

/**
 * Parses a SOAP 1.1 or 1.2 envelope (requests, responses and faults alike). The version comes from the
 * Envelope's namespace URI, never its prefix. An `Envelope` in any other namespace is a VersionMismatch;
 * anything else is PB_ERR_SOAP_ENVELOPE. Body must hold exactly one element (document/literal); text
 * between elements is ignored. Unknown elements elsewhere are ignored.
 */
export function decodeSoapEnvelope(
  body: Uint8Array | string,
  limits: XmlReadLimits = soapRequestLimits,
  parse: XmlParse = parseXml,
): SoapEnvelope {
  const root = parse(body, limits);
  let version: SoapVersion;
  if (root.local === 'Envelope' && root.uri === soap11EnvelopeNs) version = '1.1';
  else if (root.local === 'Envelope' && root.uri === soap12EnvelopeNs) version = '1.2';
  else if (root.local === 'Envelope')
    throw new AppError(
      'PB_ERR_SOAP_VERSION_MISMATCH',
      `SOAP Envelope namespace '${root.uri.slice(0, 200)}' is neither SOAP 1.1 nor SOAP 1.2`,
    );
  else throw envelopeError(`Root element '${root.local.slice(0, 100)}' is not a SOAP Envelope`);

  const ns = root.uri;
  let header: XmlElement | undefined;
  let soapBody: XmlElement | undefined;
  for (const c of root.children) {
    if (c.kind !== 'element' || c.uri !== ns) continue;
    if (c.local === 'Header') {
      if (header || soapBody) throw envelopeError('SOAP Header must appear once, before Body');
      header = c;
    } else if (c.local === 'Body') {
      if (soapBody) throw envelopeError('SOAP Envelope has more than one Body');
      soapBody = c;
    }
  }
  if (!soapBody) throw envelopeError('SOAP Envelope has no Body');

  let payload: XmlElement | undefined;
  for (const c of soapBody.children) {
    if (c.kind !== 'element') continue;
    if (payload) throw envelopeError('SOAP Body holds more than one element');
    payload = c;
  }
  if (!payload) throw envelopeError('SOAP Body is empty');

  const headers: XmlElement[] = [];
  if (header) for (const c of header.children) if (c.kind === 'element') headers.push(c);
  return { version, envelope: root, headers, payload };
}

/**
 * SOAP processing model for headers: we implement no header blocks (WSUS uses none), so a header block
 * that targets us (no actor/role, or the `next` / `ultimateReceiver` role) and carries
 * mustUnderstand="1"/"true" must be faulted with MustUnderstand (SOAP 1.1 section 4.2.3, SOAP 1.2 part 1
 * section 5.2.3) instead of being silently ignored. Every other header block is ignored.
 */
export function assertHeadersUnderstood(env: SoapEnvelope): void {
  const ns = env.version === '1.1' ? soap11EnvelopeNs : soap12EnvelopeNs;
  for (const h of env.headers) {
    const mu = attr(h, ns, 'mustUnderstand')?.trim();
    if (mu !== '1' && mu !== 'true') continue;
    if (env.version === '1.1') {
      const actor = attr(h, ns, 'actor')?.trim();
      if (actor !== undefined && actor !== soap11ActorNext) continue;
    } else {
      const role = attr(h, ns, 'role')?.trim();
      if (role !== undefined && role !== soap12RoleNext && role !== soap12RoleUltimate) continue;
    }
    throw new AppError(
      'PB_ERR_SOAP_MUST_UNDERSTAND',
      `SOAP header {${h.uri.slice(0, 200)}}${h.local.slice(0, 100)} is mandatory but not understood`,
      { detail: { header: `{${h.uri.slice(0, 200)}}${h.local.slice(0, 100)}` } },
    );
  }
}

/**
 * Decodes an incoming SOAP request: Content-Type (`text/xml` = 1.1, `application/soap+xml` = 1.2; charset
 * utf-8 or utf-16), the action (SOAPAction header for 1.1, `action=` for 1.2), the envelope, and the
 * mustUnderstand check. The envelope version must agree with the Content-Type (else VersionMismatch).
 *
 * Size: the reader refuses a body above `limits.maxBytes` before decoding it, but a body must already be in
 * memory to get here — the HTTP layer enforces the same byte limit on Content-Length and while receiving
 * (fastify `bodyLimit`), so a 1 GB body is refused without being buffered.
 *
 * Throws AppError only: PB_ERR_SOAP_CONTENT_TYPE, PB_ERR_SOAP_ENVELOPE, PB_ERR_SOAP_VERSION_MISMATCH,
 * PB_ERR_SOAP_MUST_UNDERSTAND and the reader's PB_ERR_XML_*.
 */
export function decodeSoapRequest(input: SoapRequestInput): SoapRequest {
  const ct = parseSoapContentType(input.contentType);
  const env = decodeSoapEnvelope(input.body, input.limits ?? soapRequestLimits, input.parse);
  if (env.version !== ct.version)
    throw new AppError(
      'PB_ERR_SOAP_VERSION_MISMATCH',
      `A SOAP ${env.version} envelope was sent with the SOAP ${ct.version} content type`,
    );
  assertHeadersUnderstood(env);
  const action = ct.version === '1.1' ? parseSoapActionHeader(input.soapAction) : ct.action || undefined;
  return { ...env, action };
}
