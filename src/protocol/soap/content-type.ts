import { AppError } from '../../errors.js';
import type { SoapVersion } from './namespaces.js';

/** What the HTTP headers say about a SOAP request. */
export interface SoapContentType {
  /** `text/xml` means SOAP 1.1, `application/soap+xml` means SOAP 1.2. */
  readonly version: SoapVersion;
  /** Lower-cased charset parameter, if any (only utf-8 and utf-16 variants are accepted). */
  readonly charset: string | undefined;
  /** The SOAP 1.2 `action` parameter, unquoted; undefined for 1.1 or when absent. */
  readonly action: string | undefined;
}

const acceptedCharsets = new Set(['utf-8', 'utf8', 'utf-16', 'utf-16le', 'utf-16be']);

function contentTypeError(message: string): AppError {
  return new AppError('PB_ERR_SOAP_CONTENT_TYPE', message);
}

/** RFC 9110 parameter value: a token or a quoted-string (backslash escapes allowed). */
function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

/**
 * Parses the Content-Type of a SOAP request. A missing header is refused: a SOAP endpoint cannot tell
 * 1.1 from 1.2 otherwise and ASMX refuses it too. Other charsets than UTF-8/UTF-16 are refused (415).
 */
export function parseSoapContentType(header: string | undefined): SoapContentType {
  if (header === undefined || header.trim() === '') throw contentTypeError('Content-Type is missing');
  if (header.length > 1024) throw contentTypeError('Content-Type is too long');
  // Split on ';' outside quotes (an action URI in quotes may contain ';').
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (c === '"') quoted = !quoted;
    if (c === '\\' && quoted && i + 1 < header.length) {
      cur += c + header[++i]!;
      continue;
    }
    if (c === ';' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  const media = parts[0]!.trim().toLowerCase();
  let version: SoapVersion;
  if (media === 'text/xml') version = '1.1';
  else if (media === 'application/soap+xml') version = '1.2';
  else throw contentTypeError(`Content-Type ${media} is not a SOAP media type`);
  let charset: string | undefined;
  let action: string | undefined;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = unquote(p.slice(eq + 1));
    if (name === 'charset') charset = value.toLowerCase();
    else if (name === 'action' && version === '1.2') action = value;
  }
  if (charset !== undefined && !acceptedCharsets.has(charset))
    throw contentTypeError(`charset ${charset} is not supported (utf-8 or utf-16)`);
  return { version, charset, action };
}

/**
 * The SOAP 1.1 `SOAPAction` header value, unquoted (WUA sends it double-quoted; some clients do not).
 * `""` and an absent header both mean "no action given" (SOAP 1.1 section 6.1.1: the intent is the URI).
 */
export function parseSoapActionHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const v = unquote(header);
  return v === '' ? undefined : v;
}

/** Content-Type of our responses and faults for a SOAP version. */
export function soapContentType(version: SoapVersion): string {
  return version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
}
