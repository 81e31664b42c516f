import { base64Parser, readOptional, readRequired } from '../soap/index.js';
import { childElement, childElements, el, invalidParameter, textEl, type XmlElement } from '../xml/index.js';
import { decodeOrProtocolError, expectServerSyncOperation } from './envelope.js';
import type { AuthorizationCookie } from './get-authorization-cookie.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import { decodeServerSyncCookie, encodeServerSyncCookie, type ServerSyncCookie } from './session-cookie.js';
import { shortString } from './values.js';

/**
 * The MS-WSUSSS version we announce in GetCookie. `1.20` is what the captured exchange 000003 sent and what
 * WS2025 reports in GetConfigData (WSUS 10.x); WS2025 answered it with a 240-minute cookie. MS-SAMPLE sends
 * `1.7` to Microsoft Update; whether MU refuses 1.20 is UNVERIFIED, so the engine lets the admin override it.
 */
export const defaultDssProtocolVersion = '1.20';

export interface GetCookieRequest {
  readonly authCookies: readonly AuthorizationCookie[];
  readonly oldCookie: ServerSyncCookie | undefined;
  /** `major.minor`. */
  readonly protocolVersion: string;
}

export function encodeGetCookieRequest(r: GetCookieRequest): string {
  return el('GetCookie', { xmlns: serverSyncNs }, [
    el(
      'authCookies',
      undefined,
      r.authCookies.map((c) =>
        el('AuthorizationCookie', undefined, [
          textEl('PlugInId', c.plugInId),
          textEl('CookieData', c.cookieData.toString('base64')),
        ]),
      ),
    ),
    r.oldCookie === undefined ? '' : encodeServerSyncCookie('oldCookie', r.oldCookie),
    textEl('protocolVersion', r.protocolVersion),
  ]);
}

const maxAuthCookies = 8;

export function decodeGetCookieRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetCookieRequest {
  expectServerSyncOperation(op, serverSyncNs, 'GetCookie');
  const authEl = childElement(op, serverSyncNs, 'authCookies');
  if (!authEl) throw invalidParameter('authCookies', 'missing element authCookies');
  const items = childElements(authEl, serverSyncNs, 'AuthorizationCookie');
  if (items.length === 0 || items.length > maxAuthCookies)
    throw invalidParameter('authCookies', `expected 1 to ${maxAuthCookies} cookies`);
  const s = shortString(256);
  const oldEl = childElement(op, serverSyncNs, 'oldCookie');
  const protocolVersion = readRequired(op, serverSyncNs, 'protocolVersion', 'protocolVersion', s);
  if (!/^\d{1,4}\.\d{1,4}$/.test(protocolVersion)) throw invalidParameter('protocolVersion', 'not x.y');
  return {
    authCookies: items.map((c) => ({
      plugInId: readRequired(c, serverSyncNs, 'PlugInId', 'authCookies.PlugInId', s),
      cookieData:
        readOptional(
          c,
          serverSyncNs,
          'CookieData',
          'authCookies.CookieData',
          base64Parser(limits.maxCookieBytes),
        ) ?? Buffer.alloc(0),
    })),
    oldCookie: oldEl ? decodeServerSyncCookie(oldEl, serverSyncNs, 'oldCookie', limits) : undefined,
    protocolVersion,
  };
}

/** `GetCookieResult` is the cookie itself (`Expiration`, `EncryptedData`). */
export function decodeGetCookieResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): ServerSyncCookie {
  return decodeOrProtocolError('GetCookie', () =>
    decodeServerSyncCookie(result, serverSyncNs, 'GetCookieResult', limits),
  );
}

export function encodeGetCookieResponse(c: ServerSyncCookie): string {
  return el('GetCookieResponse', { xmlns: serverSyncNs }, [encodeServerSyncCookie('GetCookieResult', c)]);
}
