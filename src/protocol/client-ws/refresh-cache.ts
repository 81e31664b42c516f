import type { RevisionId, UpdateIdentity } from '../../domain/index.js';
import { readOptional, stringParser } from '../soap/index.js';
import { childElement, el, invalidParameter, textEl, type XmlElement } from '../xml/index.js';
import { ordered, refreshCacheResultOrder } from './element-order.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { decodeRequestCookie, type SessionCookie } from './session-cookie.js';
import { decodeUpdateIdentityElement, encodeUpdateIdentityElement } from './update-identity.js';
import { encodeDeployment, type Deployment } from './update-info.js';
import { complexArrayItems, expectOperation } from './wire.js';

/** After InvalidCookie/ServerChanged the client re-maps its cache: "which revision id is this identity now?". */
export interface RefreshCacheRequest {
  readonly cookie: SessionCookie;
  /** REAL (scripted client vs WS2025): batches of 200 accepted. */
  readonly identities: readonly UpdateIdentity[];
  readonly deviceAttributes: string | undefined;
}

export interface RefreshCacheItem {
  readonly revisionId: RevisionId;
  readonly identity: UpdateIdentity;
  readonly isLeaf: boolean;
  readonly deployment: Deployment;
}

export function decodeRefreshCacheRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): RefreshCacheRequest {
  expectOperation(op, clientNs, 'RefreshCache');
  const arr = childElement(op, clientNs, 'globalIDs');
  if (!arr) throw invalidParameter('globalIDs', 'missing element globalIDs');
  const identities = complexArrayItems(arr, 'globalIDs', limits.maxRefreshCacheIdentities).map((item) =>
    decodeUpdateIdentityElement(item, clientNs, 'globalIDs'),
  );
  return {
    cookie: decodeRequestCookie(op, clientNs, limits.maxCookieBytes),
    identities,
    deviceAttributes: readOptional(
      op,
      clientNs,
      'deviceAttributes',
      'deviceAttributes',
      stringParser(limits.maxAttributeString),
    ),
  };
}

/**
 * `RefreshCacheResponse/RefreshCacheResult/RefreshCacheResult*` — the ASMX shape of an array return value.
 * Item order RevisionID, GlobalID, IsLeaf, [IsShared], Deployment per docs/protocol/client.md §1.4 (UNVERIFIED: no capture
 * holds a RefreshCache exchange). WS2025 omits revisions whose action is Bundle; the caller decides that.
 */
export function encodeRefreshCacheResponse(items: readonly RefreshCacheItem[]): string {
  const encoded = items.map((it) =>
    el(
      'RefreshCacheResult',
      undefined,
      ordered(refreshCacheResultOrder, {
        RevisionID: textEl('RevisionID', it.revisionId),
        GlobalID: encodeUpdateIdentityElement('GlobalID', it.identity),
        IsLeaf: textEl('IsLeaf', it.isLeaf),
        Deployment: encodeDeployment(it.deployment),
      }),
    ),
  );
  return el('RefreshCacheResponse', { xmlns: clientNs }, [el('RefreshCacheResult', undefined, encoded)]);
}
