import { xmlDeclaration } from '../xml/index.js';
import { soapContentType } from './content-type.js';
import { envelopeNamespace, xsdNs, xsiNs, type SoapVersion } from './namespaces.js';

/**
 * How a service writes its envelope, as WS2025 does (docs/protocol/client.md §1.2):
 * - `client`: Client web service — prefix `s:`, `xmlns:xsi`/`xmlns:xsd` declared on `s:Body`, no XML
 *   declaration (WCF-style).
 * - `asmx`: SimpleAuth, Reporting, ServerSync, DssAuth — XML declaration, prefix `soap:`, `xmlns:xsi`/`xmlns:xsd`
 *   declared on `soap:Envelope` (ASMX-style).
 * SOAP 1.2 uses the same shapes with the 1.2 envelope namespace (the ASMX 1.2 shape is UNVERIFIED beyond the
 * namespace; WS2025 answered a 1.2 request with a 1.2 envelope).
 */
export type SoapEnvelopeStyle = 'client' | 'asmx';

export interface SoapEncodeOptions {
  readonly version: SoapVersion;
  readonly style: SoapEnvelopeStyle;
}

/** What the HTTP layer sends: status, headers and the body (always with Content-Length, never chunked). */
export interface SoapHttpResponse {
  readonly status: number;
  readonly contentType: string;
  /** Headers to set besides Content-Length, lower-case names (includes content-type). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The envelope prefix of a style (`s` or `soap`); fault codes are qualified with it. */
export function envelopePrefix(style: SoapEnvelopeStyle): string {
  return style === 'client' ? 's' : 'soap';
}

/**
 * Wraps serialized body content (the `…Response` element, or a Fault) in the style's envelope. The client
 * style declares xsi/xsd on `s:Body` of a response only: its real fault (wsus-m0 exchange 000141, 442 bytes)
 * has a bare `<s:Body>`, so faults pass `bodyNamespaces: false`.
 */
export function wrapSoapEnvelope(
  content: string,
  options: SoapEncodeOptions,
  { bodyNamespaces = true }: { bodyNamespaces?: boolean } = {},
): string {
  const ns = envelopeNamespace(options.version);
  if (options.style === 'client') {
    const decl = bodyNamespaces ? ` xmlns:xsi="${xsiNs}" xmlns:xsd="${xsdNs}"` : '';
    return `<s:Envelope xmlns:s="${ns}"><s:Body${decl}>${content}</s:Body></s:Envelope>`;
  }
  return `${xmlDeclaration}<soap:Envelope xmlns:soap="${ns}" xmlns:xsi="${xsiNs}" xmlns:xsd="${xsdNs}"><soap:Body>${content}</soap:Body></soap:Envelope>`;
}

/** A successful response: HTTP 200 with the operation's `…Response` element in the style's envelope. */
export function encodeSoapResponse(content: string, options: SoapEncodeOptions): SoapHttpResponse {
  const contentType = soapContentType(options.version);
  return {
    status: 200,
    contentType,
    headers: { 'content-type': contentType },
    body: wrapSoapEnvelope(content, options),
  };
}
