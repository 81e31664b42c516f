import type { RevisionId } from '../../domain/index.js';
import { readArray } from '../soap/index.js';
import { el, type XmlElement } from '../xml/index.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { decodeRequestCookie, type SessionCookie, type SessionCookieOut } from './session-cookie.js';
import { encodeSyncInfo } from './sync-info.js';
import { expectOperation, parseRevisionId } from './wire.js';

/**
 * SyncPrinterCatalog (Add-Printer wizard only, never captured). Note the lower-case wire names
 * `installedNonLeafUpdateIDs` / `printerUpdateIDs`, unlike SyncUpdates (docs/protocol/security.md §5.1 item 9).
 */
export interface SyncPrinterCatalogRequest {
  readonly cookie: SessionCookie;
  readonly installedNonLeafRevisionIds: readonly RevisionId[] | undefined;
  readonly printerRevisionIds: readonly RevisionId[] | undefined;
}

export function decodeSyncPrinterCatalogRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): SyncPrinterCatalogRequest {
  expectOperation(op, clientNs, 'SyncPrinterCatalog');
  const installed = readArray(
    op,
    clientNs,
    'installedNonLeafUpdateIDs',
    'installedNonLeafUpdateIDs',
    parseRevisionId,
    {
      maxLength: limits.maxInstalledNonLeafIds,
    },
  );
  return {
    cookie: decodeRequestCookie(op, clientNs, limits.maxCookieBytes),
    installedNonLeafRevisionIds: installed,
    printerRevisionIds: readArray(op, clientNs, 'printerUpdateIDs', 'printerUpdateIDs', parseRevisionId, {
      maxLength: limits.maxOtherCachedIds,
    }),
  };
}

/**
 * We serve no printer catalog: the answer is an empty SyncInfo (no updates, not truncated) carrying the
 * refreshed cookie, as docs/protocol/client.md §1.4 recommends.
 */
export function encodeSyncPrinterCatalogResponse(r: { readonly newCookie: SessionCookieOut }): string {
  return el('SyncPrinterCatalogResponse', { xmlns: clientNs }, [
    encodeSyncInfo('SyncPrinterCatalogResult', {
      newUpdates: [],
      truncated: false,
      newCookie: r.newCookie,
      driverSyncNotNeeded: true,
    }),
  ]);
}
