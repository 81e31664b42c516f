import { base64Parser } from '../soap/index.js';
import { childElement, childElements, el, invalidParameter, textOf, type XmlElement } from '../xml/index.js';
import { expectServerSyncOperation } from './envelope.js';
import { decodeRequestCookie } from './get-config-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import type { ServerSyncCookie } from './session-cookie.js';

/** SPEC (MS-WSUSSS 3.1.4.9): at most 100 digests per DownloadFiles (a Windows DSS sends one). */
export const maxDownloadFilesDigests = 100;

/** DownloadFiles (upstream role): the SHA-1 digests a downstream got a 404 for on our /Content/. */
export interface DownloadFilesRequest {
  readonly cookie: ServerSyncCookie;
  /** 20-byte SHA-1s, in request order. */
  readonly digests: readonly Buffer[];
}

export function decodeDownloadFilesRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): DownloadFilesRequest {
  expectServerSyncOperation(op, serverSyncNs, 'DownloadFiles');
  const cookie = decodeRequestCookie(op, limits);
  const listEl = childElement(op, serverSyncNs, 'fileDigestList');
  if (!listEl) throw invalidParameter('fileDigestList', 'missing element fileDigestList');
  const items = childElements(listEl, serverSyncNs, 'base64Binary');
  if (items.length === 0 || items.length > maxDownloadFilesDigests)
    throw invalidParameter('fileDigestList', `expected 1 to ${maxDownloadFilesDigests} digests`);
  const parse = base64Parser(20);
  return {
    cookie,
    digests: items.map((i) => {
      const d = parse(textOf(i), 'fileDigestList');
      if (d.length !== 20) throw invalidParameter('fileDigestList', 'not a SHA-1 digest');
      return d;
    }),
  };
}

/** SPEC: an empty answer; the downloads run after it. */
export function encodeDownloadFilesResponse(): string {
  return el('DownloadFilesResponse', { xmlns: serverSyncNs });
}
