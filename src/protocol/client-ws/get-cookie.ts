import { base64Parser, parseDateTime, readOptional, readRequired } from '../soap/index.js';
import { childElement, childElements, invalidParameter, type XmlElement } from '../xml/index.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import {
  decodeSessionCookieElement,
  encodeSessionCookie,
  type SessionCookie,
  type SessionCookieOut,
} from './session-cookie.js';
import { expectOperation, trimmedStringParser } from './wire.js';
import { el } from '../xml/index.js';

/** An authorization cookie from a plug-in (SimpleAuth's `CookieData`), opaque bytes. */
export interface AuthorizationCookie {
  readonly plugInId: string;
  readonly cookieData: Buffer;
}

export interface GetCookieRequest {
  /** REAL: exactly one (SimpleTargeting). At most 8 accepted; the service picks the one it issued. */
  readonly authorizationCookies: readonly AuthorizationCookie[];
  /** The native first call sends `oldCookie` with only an Expiration (no data). */
  readonly oldCookie: SessionCookie | undefined;
  /** The `LastChange` the client got from GetConfig (ConfigChanged when it differs from ours). */
  readonly configLastChange: Date | undefined;
  readonly clientTime: Date | undefined;
  readonly clientProtocolVersion: string | undefined;
}

const maxAuthorizationCookies = 8;

export function decodeGetCookieRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): GetCookieRequest {
  expectOperation(op, clientNs, 'GetCookie');
  const authEl = childElement(op, clientNs, 'authCookies');
  if (!authEl) throw invalidParameter('authCookies', 'missing element authCookies');
  const items = childElements(authEl, clientNs, 'AuthorizationCookie');
  if (items.length === 0) throw invalidParameter('authCookies', 'no AuthorizationCookie');
  if (items.length > maxAuthorizationCookies)
    throw invalidParameter('authCookies', `more than ${maxAuthorizationCookies} items`);
  const readData = base64Parser(limits.maxCookieBytes);
  const readId = trimmedStringParser(limits.maxShortString);
  const authorizationCookies = items.map((c) => ({
    plugInId: readRequired(c, clientNs, 'PlugInId', 'authCookies.PlugInId', readId),
    cookieData:
      readOptional(c, clientNs, 'CookieData', 'authCookies.CookieData', readData) ?? Buffer.alloc(0),
  }));
  const oldEl = childElement(op, clientNs, 'oldCookie');
  return {
    authorizationCookies,
    oldCookie: oldEl
      ? decodeSessionCookieElement(oldEl, clientNs, 'oldCookie', limits.maxCookieBytes)
      : undefined,
    configLastChange: readOptional(op, clientNs, 'lastChange', 'lastChange', parseDateTime),
    clientTime: readOptional(op, clientNs, 'currentTime', 'currentTime', parseDateTime),
    clientProtocolVersion: readOptional(op, clientNs, 'protocolVersion', 'protocolVersion', readId),
  };
}

/** `GetCookieResponse/GetCookieResult{Expiration, EncryptedData}`. */
export function encodeGetCookieResponse(cookie: SessionCookieOut): string {
  return el('GetCookieResponse', { xmlns: clientNs }, [encodeSessionCookie('GetCookieResult', cookie)]);
}
