import { el } from '../xml/index.js';
import { expectServerSyncOperation } from './envelope.js';
import { decodeRequestCookie } from './get-config-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import type { ServerSyncCookie } from './session-cookie.js';
import type { XmlElement } from '../xml/index.js';

/**
 * GetRelatedRevisionsForUpdates (upstream role). SPEC: unused by the protocol, the USS ignores its ids and
 * answers an empty list; only the cookie is read (and checked by the caller).
 */
export function decodeGetRelatedRevisionsRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): { readonly cookie: ServerSyncCookie } {
  expectServerSyncOperation(op, serverSyncNs, 'GetRelatedRevisionsForUpdates');
  return { cookie: decodeRequestCookie(op, limits) };
}

export function encodeGetRelatedRevisionsResponse(): string {
  return el('GetRelatedRevisionsForUpdatesResponse', { xmlns: serverSyncNs }, [
    el('GetRelatedRevisionsForUpdatesResult'),
  ]);
}
