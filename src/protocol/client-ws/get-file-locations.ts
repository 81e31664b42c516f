import { fixedBase64Parser, readArray } from '../soap/index.js';
import { el, invalidParameter, type XmlElement } from '../xml/index.js';
import { getFileLocationsResultOrder, ordered } from './element-order.js';
import { encodeFileLocations, type FileLocation } from './file-location.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import {
  decodeRequestCookie,
  encodeSessionCookie,
  type SessionCookie,
  type SessionCookieOut,
} from './session-cookie.js';
import { expectOperation } from './wire.js';

/** Called by the client after a FileLocationChanged fault. */
export interface GetFileLocationsRequest {
  readonly cookie: SessionCookie;
  /** Raw SHA-1 digests, each exactly 20 bytes (anything else is InvalidParameters `fileDigests`). */
  readonly fileDigests: readonly Buffer[];
}

export interface GetFileLocationsResult {
  readonly fileLocations: readonly FileLocation[];
  readonly newCookie: SessionCookieOut;
}

const parseSha1 = fixedBase64Parser(20);

export function decodeGetFileLocationsRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): GetFileLocationsRequest {
  expectOperation(op, clientNs, 'GetFileLocations');
  const fileDigests = readArray(op, clientNs, 'fileDigests', 'fileDigests', parseSha1, {
    maxLength: limits.maxFileDigests,
  });
  if (fileDigests === undefined) throw invalidParameter('fileDigests', 'missing element fileDigests');
  return { cookie: decodeRequestCookie(op, clientNs, limits.maxCookieBytes), fileDigests };
}

export function encodeGetFileLocationsResponse(r: GetFileLocationsResult): string {
  const result = el(
    'GetFileLocationsResult',
    undefined,
    ordered(getFileLocationsResultOrder, {
      FileLocations: encodeFileLocations(r.fileLocations),
      NewCookie: encodeSessionCookie('NewCookie', r.newCookie),
    }),
  );
  return el('GetFileLocationsResponse', { xmlns: clientNs }, [result]);
}
