import { base64Parser, parseDateTime, readOptional } from '../soap/index.js';
import { childElement, el, textEl, type XmlElement } from '../xml/index.js';
import { cookieOrder, ordered } from './element-order.js';
import { formatDateTime, type WireTime } from './wire-time.js';

/**
 * The session cookie as it travels (`<cookie><Expiration/><EncryptedData/></cookie>`, docs/protocol/client.md §1.4). The
 * bytes are opaque here: the authenticated codec in src/domain/cookies/ verifies them. These codecs only carry
 * them, size-bounded, and never look inside (CVE-2025-59287, docs/protocol/security.md §5.2).
 */
export interface SessionCookie {
  /** Absent only in GetCookie's `oldCookie` of a native first call. */
  readonly expiration: Date | undefined;
  /** Empty when the element is absent (the native first `oldCookie`): the cookie codec then refuses it. */
  readonly encryptedData: Buffer;
}

/** What a response carries: the cookie codec's output plus the expiration to show the client. */
export interface SessionCookieOut {
  /** REAL: issue time + 1 h, not extended by later NewCookies; echo the received text to keep it byte-exact. */
  readonly expiration: WireTime;
  readonly encryptedData: Buffer;
}

/**
 * Reads a cookie-shaped element's children. Bad values are InvalidParameters naming `path.Expiration` or
 * `path.EncryptedData`; an oversized EncryptedData never gets decoded into memory.
 */
export function decodeSessionCookieElement(
  cookieEl: XmlElement,
  ns: string,
  path: string,
  maxBytes: number,
): SessionCookie {
  const expiration = readOptional(cookieEl, ns, 'Expiration', `${path}.Expiration`, parseDateTime);
  const data = readOptional(cookieEl, ns, 'EncryptedData', `${path}.EncryptedData`, base64Parser(maxBytes));
  return { expiration, encryptedData: data ?? Buffer.alloc(0) };
}

/** The required `cookie` child of an operation element. */
export function decodeRequestCookie(
  op: XmlElement,
  ns: string,
  maxBytes: number,
  name = 'cookie',
): SessionCookie {
  const c = childElement(op, ns, name);
  if (!c) return { expiration: undefined, encryptedData: Buffer.alloc(0) };
  return decodeSessionCookieElement(c, ns, name, maxBytes);
}

/** Writes `<name><Expiration/><EncryptedData/></name>` (GetCookieResult, NewCookie). */
export function encodeSessionCookie(name: string, c: SessionCookieOut): string {
  return el(
    name,
    undefined,
    ordered(cookieOrder, {
      Expiration: textEl('Expiration', formatDateTime(c.expiration)),
      EncryptedData: textEl('EncryptedData', c.encryptedData.toString('base64')),
    }),
  );
}
