import { base64Parser, readRequired } from '../soap/index.js';
import { el, invalidParameter, textEl, type XmlElement } from '../xml/index.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { shortString } from './values.js';

/**
 * The ServerSync session cookie (`Cookie{Expiration, EncryptedData}`) from GetCookie, sent back in every later
 * call. Opaque to us; `expirationText` is kept as received so the echo is exact (WS2025 writes 5 fraction
 * digits), `expiresAt` drives renewal.
 */
export interface ServerSyncCookie {
  readonly expirationText: string;
  readonly expiresAt: Date;
  readonly encryptedData: Buffer;
}

const dateTimePattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses an `xs:dateTime` (no zone = UTC, as WSUS means it); undefined when malformed. */
export function parseWireDate(text: string): Date | undefined {
  const m = dateTimePattern.exec(text.trim());
  if (!m) return undefined;
  const frac = (m[7] ?? '').padEnd(3, '0').slice(0, 3);
  const zone = m[8] === undefined || m[8] === 'Z' ? 'Z' : m[8];
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac}${zone}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function decodeServerSyncCookie(
  cookieEl: XmlElement,
  ns: string,
  path: string,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): ServerSyncCookie {
  const expirationText = readRequired(cookieEl, ns, 'Expiration', `${path}.Expiration`, shortString(64));
  const expiresAt = parseWireDate(expirationText);
  if (expiresAt === undefined) throw invalidParameter(`${path}.Expiration`, 'not a dateTime');
  return {
    expirationText,
    expiresAt,
    encryptedData: readRequired(
      cookieEl,
      ns,
      'EncryptedData',
      `${path}.EncryptedData`,
      base64Parser(limits.maxCookieBytes),
    ),
  };
}

export function encodeServerSyncCookie(name: string, c: ServerSyncCookie): string {
  return el(name, undefined, [
    textEl('Expiration', c.expirationText),
    textEl('EncryptedData', c.encryptedData.toString('base64')),
  ]);
}
