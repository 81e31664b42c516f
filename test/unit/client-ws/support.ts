/**
 * Test support for the client codecs: loading real captures and comparing XML element structure.
 *
 * Normalization used by `structure()` (documented so a failure reads clearly):
 * - elements are identified by `{namespace URI}local name`; prefixes and namespace declarations are ignored
 *   (WS2025 writes `s:` / `soap:` envelopes; we compare only the operation's response element);
 * - child order is kept exactly; whitespace-only text is dropped (the captures have none between elements);
 * - the text of leaf elements is compared exactly (ids, booleans, dates, base64, the escaped `Xml` fragment
 *   after XML unescaping by the reader); cookie bytes need no special case because the fixtures hold zeroed
 *   cookies of the original length and the tests feed zero bytes of that length;
 * - attributes other than namespace declarations are kept (none occur in these response bodies).
 */
import { decodeSoapEnvelope } from '../../../src/protocol/soap/index.js';
import { isNamespaceDeclaration, parseXml, type XmlElement } from '../../../src/protocol/xml/index.js';
import { readFixture } from '../../helpers/fixtures.js';

export type Structure = { name: string; attrs?: string[]; text?: string; children?: Structure[] };

export function structure(el: XmlElement): Structure {
  const children: Structure[] = [];
  let text = '';
  for (const c of el.children) {
    if (c.kind === 'element') children.push(structure(c));
    else text += c.text;
  }
  const out: Structure = { name: `{${el.uri}}${el.local}` };
  const attrs = el.attributes
    .filter((a) => !isNamespaceDeclaration(a))
    .map((a) => `{${a.uri}}${a.local}=${a.value}`);
  if (attrs.length > 0) out.attrs = attrs;
  if (children.length > 0) out.children = children;
  else if (text !== '') out.text = text;
  return out;
}

/** The operation element of a captured request or response body (the single child of soap:Body). */
export function capturedPayload(...path: string[]): XmlElement {
  return decodeSoapEnvelope(readFixture(...path)).payload;
}

/** `…/request.body` of a capture exchange, e.g. request('wsus-m0-native/scan/000006'). */
export function requestOf(exchange: string): XmlElement {
  return capturedPayload('wsus', ...exchange.split('/'), 'request.body');
}

export function responseOf(exchange: string): XmlElement {
  return capturedPayload('wsus', ...exchange.split('/'), 'response.body');
}

/** Raw request body bytes (for the fuzzer). */
export function requestBytes(exchange: string): Buffer {
  return readFixture('wsus', ...exchange.split('/'), 'request.body');
}

/** Our encoded `…Response` element, parsed back for structure comparison. */
export function parseEncoded(xml: string): XmlElement {
  return parseXml(xml);
}

/** Child element by local name (any namespace), for extracting values from real responses. */
export function kid(el: XmlElement, local: string): XmlElement {
  for (const c of el.children) if (c.kind === 'element' && c.local === local) return c;
  throw new Error(`no ${local} under ${el.local}`);
}

export function kids(el: XmlElement, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children)
    if (c.kind === 'element' && (local === undefined || c.local === local)) out.push(c);
  return out;
}

export function text(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.text;
  return s;
}

export function has(el: XmlElement, local: string): boolean {
  return el.children.some((c) => c.kind === 'element' && c.local === local);
}

/** Every native and scripted request exchange in the fixtures, with its operation. */
export const captureExchanges = {
  scan: ['000001', '000002', '000003', '000004', '000006', '000007', '000008', '000009', '000010'].map(
    (n) => `wsus-m0-native/scan/${n}`,
  ),
  flow: ['000001', '000003', '000013', '000014', '000016', '000017', '000018'].map(
    (n) => `wsus-m0-native/flow/${n}`,
  ),
  scripted: ['000001', '000002', '000003', '000004', '000005', '000070'].map((n) => `wsus-m0/${n}`),
};
export const allExchanges = [
  ...captureExchanges.scan,
  ...captureExchanges.flow,
  ...captureExchanges.scripted,
];
