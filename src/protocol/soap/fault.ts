import { randomUUID } from 'node:crypto';
import { errorCatalogue, toAppError } from '../../errors.js';
import {
  childElement,
  childElements,
  escapeXml,
  soapRequestLimits,
  textEl,
  textOf,
  type XmlElement,
  type XmlReadLimits,
} from '../xml/index.js';
import { soapContentType } from './content-type.js';
import { decodeSoapEnvelope } from './envelope.js';
import { envelopeNamespace, type SoapVersion } from './namespaces.js';
import {
  envelopePrefix,
  wrapSoapEnvelope,
  type SoapEncodeOptions,
  type SoapHttpResponse,
} from './response.js';

/** SOAP 1.1 fault code names; SOAP 1.2 writes Client as Sender and Server as Receiver. */
export type SoapFaultCode = 'Client' | 'Server' | 'MustUnderstand' | 'VersionMismatch';

/** A fault in the WSUS shape (docs/protocol/client.md §1.8): the `detail` carries ErrorCode, Message, ID, Method. */
export interface SoapFault {
  readonly code: SoapFaultCode;
  /** The WSUS ErrorCode (`InvalidCookie`, `InvalidParameters`, `InternalServerError`, …). */
  readonly errorCode: string;
  /** The parameter name for InvalidParameters; '' otherwise. Never an internal message. */
  readonly message: string;
  /** A fresh GUID per fault (WSUS logs it server-side; we log it with the error). */
  readonly id: string;
  /** The SOAPAction of the failed call, unquoted; written double-quoted as WSUS does. */
  readonly method: string | undefined;
  /**
   * The endpoint URL (`faultactor` / SOAP 1.2 `Node`); omitted when undefined. Only the `asmx` style writes
   * it (see encodeFaultElement).
   */
  readonly actor?: string | undefined;
}

export interface FaultContext {
  /** The SOAPAction (or operation action) of the request, unquoted. */
  readonly method?: string | undefined;
  /** The endpoint URL for `faultactor`, e.g. `http://host:8530/ServerSyncWebService/ServerSyncWebService.asmx`. */
  readonly actor?: string | undefined;
  /** Injected for tests; a random UUID otherwise. */
  readonly id?: string;
}

/**
 * Maps anything thrown to a WSUS fault. ErrorCode comes from the error catalogue; Message is
 * `detail.parameter` (the InvalidParameters convention) or `detail.faultMessage` (e.g. FileDigestsMissing
 * lists), else ''. Errors with an HTTP status >= 500 (and anything that is not an AppError) become Server
 * faults with an empty Message: internal messages and stacks never reach the wire.
 */
export function faultFromError(error: unknown, ctx: FaultContext = {}): SoapFault {
  const err = toAppError(error);
  const entry = errorCatalogue[err.code];
  let code: SoapFaultCode;
  if (err.code === 'PB_ERR_SOAP_MUST_UNDERSTAND') code = 'MustUnderstand';
  else if (err.code === 'PB_ERR_SOAP_VERSION_MISMATCH') code = 'VersionMismatch';
  else code = entry.status >= 500 ? 'Server' : 'Client';
  let message = '';
  if (code !== 'Server') {
    const p = err.detail?.['parameter'];
    const m = err.detail?.['faultMessage'];
    if (typeof p === 'string') message = p;
    else if (typeof m === 'string') message = m;
  }
  return {
    code,
    errorCode: entry.fault,
    message,
    id: ctx.id ?? randomUUID(),
    method: ctx.method,
    actor: ctx.actor,
  };
}

function detailChildren(f: SoapFault): string {
  return (
    textEl('ErrorCode', f.errorCode) +
    textEl('Message', f.message) +
    textEl('ID', f.id) +
    textEl('Method', f.method === undefined ? '' : `"${f.method}"`)
  );
}

/**
 * Serializes the `Fault` element (1.1: faultcode/faultstring/faultactor/detail; 1.2: Code/Reason/Node/Detail).
 * Each style writes its endpoint's real shape: the ASMX services name the endpoint in `faultactor`
 * (ServerSync, wsus-m0-wsusss 000017/000019), the client web service never does (wsus-m0 000141), so the
 * actor is dropped there whatever the caller passed.
 */
export function encodeFaultElement(f: SoapFault, options: SoapEncodeOptions): string {
  const p = envelopePrefix(options.style);
  const actorUrl = options.style === 'asmx' ? f.actor : undefined;
  if (options.version === '1.1') {
    const actor = actorUrl === undefined ? '' : textEl('faultactor', actorUrl);
    return (
      `<${p}:Fault><faultcode>${p}:${f.code}</faultcode><faultstring>Fault occurred</faultstring>${actor}` +
      `<detail>${detailChildren(f)}</detail></${p}:Fault>`
    );
  }
  const value = f.code === 'Client' ? 'Sender' : f.code === 'Server' ? 'Receiver' : f.code;
  const node = actorUrl === undefined ? '' : `<${p}:Node>${escapeXml(actorUrl, 'text')}</${p}:Node>`;
  return (
    `<${p}:Fault><${p}:Code><${p}:Value>${p}:${value}</${p}:Value></${p}:Code>` +
    `<${p}:Reason><${p}:Text xml:lang="en">Fault occurred</${p}:Text></${p}:Reason>${node}` +
    `<${p}:Detail>${detailChildren(f)}</${p}:Detail></${p}:Fault>`
  );
}

/**
 * The whole fault response: HTTP 500 for every fault (WS2025 does, for Client faults too; SOAP 1.2's
 * "400 for Sender" is not what WSUS peers expect), `Connection: close` as WS2025 sends it, never compressed.
 */
export function encodeSoapFault(f: SoapFault, options: SoapEncodeOptions): SoapHttpResponse {
  const contentType = soapContentType(options.version);
  return {
    status: 500,
    contentType,
    headers: { 'content-type': contentType, connection: 'close' },
    body: wrapSoapEnvelope(encodeFaultElement(f, options), options, { bodyNamespaces: false }),
  };
}

/** A fault received from a peer (the sync client reads upstream faults). */
export interface DecodedSoapFault {
  readonly version: SoapVersion;
  /** faultcode / Code/Value text as written, e.g. `soap:Client`. */
  readonly faultcode: string;
  /** The local part, with SOAP 1.2 Sender/Receiver mapped to Client/Server. */
  readonly code: string;
  readonly faultstring: string;
  readonly actor: string | undefined;
  /** WSUS detail fields; undefined when the detail lacks them (a non-WSUS fault). */
  readonly errorCode: string | undefined;
  readonly message: string | undefined;
  readonly id: string | undefined;
  /** Method with the surrounding double quotes removed. */
  readonly method: string | undefined;
}

/** A detail child: unqualified as WSUS writes them; a namespaced one is accepted as a fallback. */
function detailText(detail: XmlElement | undefined, local: string): string | undefined {
  if (!detail) return undefined;
  const el = childElement(detail, '', local) ?? childElements(detail).find((c) => c.local === local);
  return el ? textOf(el) : undefined;
}

/**
 * Decodes a SOAP fault body. Returns undefined when the body is a valid envelope without a Fault; throws the
 * reader's/envelope's AppError when the body is not a SOAP envelope at all.
 */
export function decodeSoapFault(
  body: Uint8Array | string,
  limits: XmlReadLimits = soapRequestLimits,
): DecodedSoapFault | undefined {
  const env = decodeSoapEnvelope(body, limits);
  const ns = envelopeNamespace(env.version);
  const fault = env.payload;
  if (fault.local !== 'Fault' || fault.uri !== ns) return undefined;
  let faultcode: string;
  let faultstring: string;
  let actor: string | undefined;
  let detail: XmlElement | undefined;
  if (env.version === '1.1') {
    faultcode = textOfChild(fault, '', 'faultcode').trim();
    faultstring = textOfChild(fault, '', 'faultstring');
    const a = childElement(fault, '', 'faultactor');
    actor = a ? textOf(a) : undefined;
    detail = childElement(fault, '', 'detail');
  } else {
    const codeEl = childElement(fault, ns, 'Code');
    faultcode = codeEl ? textOfChild(codeEl, ns, 'Value').trim() : '';
    const reason = childElement(fault, ns, 'Reason');
    faultstring = reason ? textOfChild(reason, ns, 'Text') : '';
    const n = childElement(fault, ns, 'Node');
    actor = n ? textOf(n) : undefined;
    detail = childElement(fault, ns, 'Detail');
  }
  const localCode = faultcode.slice(faultcode.indexOf(':') + 1);
  const code = localCode === 'Sender' ? 'Client' : localCode === 'Receiver' ? 'Server' : localCode;
  const method = detailText(detail, 'Method');
  return {
    version: env.version,
    faultcode,
    code,
    faultstring,
    actor,
    errorCode: detailText(detail, 'ErrorCode'),
    message: detailText(detail, 'Message'),
    id: detailText(detail, 'ID'),
    method: method === undefined ? undefined : method.replace(/^"(.*)"$/s, '$1'),
  };
}

function textOfChild(el: XmlElement, uri: string, local: string): string {
  const c = childElement(el, uri, local);
  return c ? textOf(c) : '';
}
