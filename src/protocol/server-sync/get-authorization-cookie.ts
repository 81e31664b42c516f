import { base64Parser, readRequired } from '../soap/index.js';
import { el, textEl, type XmlElement } from '../xml/index.js';
import { decodeOrProtocolError, expectServerSyncOperation } from './envelope.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { dssAuthNs } from './namespaces.js';
import { shortString } from './values.js';

/**
 * DssAuthWebService GetAuthorizationCookie (docs/protocol/server-sync.md §2.3). Anonymous: REAL WS2025 accepts any FQDN-like
 * `accountName` and any `accountGuid`. For Microsoft Update, MS-SAMPLE sends a GUID string in both fields (its
 * code swaps them); we send a host-like name and the GUID, which is what the field names say and what WS2025
 * accepted in the capture.
 */
export interface GetAuthorizationCookieRequest {
  readonly accountName: string;
  readonly accountGuid: string;
}

/** The authorization cookie handed to GetCookie; `cookieData` is opaque (REAL: 496 bytes). */
export interface AuthorizationCookie {
  readonly plugInId: string;
  readonly cookieData: Buffer;
}

export function encodeGetAuthorizationCookieRequest(r: GetAuthorizationCookieRequest): string {
  return el('GetAuthorizationCookie', { xmlns: dssAuthNs }, [
    textEl('accountName', r.accountName),
    textEl('accountGuid', r.accountGuid),
  ]);
}

export function decodeGetAuthorizationCookieRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetAuthorizationCookieRequest {
  expectServerSyncOperation(op, dssAuthNs, 'GetAuthorizationCookie');
  const s = shortString(Math.min(limits.maxShortString, 256));
  return {
    accountName: readRequired(op, dssAuthNs, 'accountName', 'accountName', s),
    accountGuid: readRequired(op, dssAuthNs, 'accountGuid', 'accountGuid', s),
  };
}

export function decodeGetAuthorizationCookieResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): AuthorizationCookie {
  return decodeOrProtocolError('GetAuthorizationCookie', () => ({
    plugInId: readRequired(result, dssAuthNs, 'PlugInId', 'PlugInId', shortString(256)),
    cookieData: readRequired(
      result,
      dssAuthNs,
      'CookieData',
      'CookieData',
      base64Parser(limits.maxCookieBytes),
    ),
  }));
}

export function encodeGetAuthorizationCookieResponse(c: AuthorizationCookie): string {
  return el('GetAuthorizationCookieResponse', { xmlns: dssAuthNs }, [
    el('GetAuthorizationCookieResult', undefined, [
      textEl('PlugInId', c.plugInId),
      textEl('CookieData', c.cookieData.toString('base64')),
    ]),
  ]);
}
