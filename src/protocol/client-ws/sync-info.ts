import type { RevisionId } from '../../domain/index.js';
import { literalArray, textEl } from '../xml/index.js';
import { concatElement } from './concat-element.js';
import { ordered, syncInfoOrder } from './element-order.js';
import { encodeSessionCookie, type SessionCookieOut } from './session-cookie.js';
import { encodeUpdateInfo, type UpdateInfo } from './update-info.js';

/** The SyncInfo answer of SyncUpdates and SyncPrinterCatalog (docs/protocol/client.md §1.4, §1.6). */
export interface SyncUpdatesResult {
  /** At most one page; omitted from the wire when empty (REAL: the driver pass answer has no NewUpdates). */
  readonly newUpdates: readonly UpdateInfo[];
  /** Cached ids no longer in scope; omitted when empty. */
  readonly outOfScopeRevisionIds?: readonly RevisionId[] | undefined;
  /** Cached revisions whose deployment changed since the cookie's anchor; omitted when empty. */
  readonly changedUpdates?: readonly UpdateInfo[] | undefined;
  /** True when more deliverable revisions remain. Never true with an empty page. */
  readonly truncated: boolean;
  readonly newCookie: SessionCookieOut;
  /** Only for NeedTwoGroupOutOfScopeUpdates (semantics UNVERIFIED; WS2025 never wrote it). */
  readonly deployedOutOfScopeRevisionIds?: readonly RevisionId[] | undefined;
  /** Typed string on the wire, carries true/false; REAL: always written. */
  readonly driverSyncNotNeeded: boolean;
}

function nonEmpty<T>(list: readonly T[] | undefined): list is readonly T[] {
  return list !== undefined && list.length > 0;
}

/** `<resultName>` with the SyncInfo children in WSDL order. */
export function encodeSyncInfo(resultName: string, r: SyncUpdatesResult): string {
  return concatElement(
    resultName,
    ordered(syncInfoOrder, {
      NewUpdates: nonEmpty(r.newUpdates)
        ? concatElement('NewUpdates', r.newUpdates.map(encodeUpdateInfo))
        : undefined,
      OutOfScopeRevisionIDs: nonEmpty(r.outOfScopeRevisionIds)
        ? literalArray('OutOfScopeRevisionIDs', 'int', r.outOfScopeRevisionIds)
        : undefined,
      ChangedUpdates: nonEmpty(r.changedUpdates)
        ? concatElement('ChangedUpdates', r.changedUpdates.map(encodeUpdateInfo))
        : undefined,
      Truncated: textEl('Truncated', r.truncated),
      NewCookie: encodeSessionCookie('NewCookie', r.newCookie),
      DeployedOutOfScopeRevisionIds: nonEmpty(r.deployedOutOfScopeRevisionIds)
        ? literalArray('DeployedOutOfScopeRevisionIds', 'int', r.deployedOutOfScopeRevisionIds)
        : undefined,
      DriverSyncNotNeeded: textEl('DriverSyncNotNeeded', r.driverSyncNotNeeded),
    }),
  );
}
