import type { DeploymentAction, RevisionId } from '../../domain/index.js';

/** One SyncUpdates call in domain terms (the client-ws codec decodes the wire into this). */
export interface DeliveryRequest {
  /** Non-leaf revisions the client evaluated as installed: the only ids that satisfy prerequisites. */
  readonly installedNonLeafRevisionIds?: readonly RevisionId[] | undefined;
  /** Everything else the client caches (never resent, never satisfies a prerequisite). */
  readonly otherCachedRevisionIds?: readonly RevisionId[] | undefined;
  /** The driver pass. */
  readonly skipSoftwareSync?: boolean | undefined;
  /** Category-filtered scan (FilterCategoryIds). */
  readonly filterCategoryIds?: readonly string[] | undefined;
  /** The deployment change sequence carried in the client's session cookie (0 = none yet). */
  readonly anchor?: number | undefined;
  /** NewUpdates per page: default 30 (REAL WS2025), 1..200 (native WUA accepted 200). */
  readonly pageSize?: number | undefined;
  /** At most this many non-leaf revisions per page (default: no limit beyond the page size). */
  readonly maxNonLeafPerPage?: number | undefined;
}

export interface DeliveredDeployment {
  /** `Deployment/ID`. */
  readonly id: number;
  readonly action: DeploymentAction;
  /** ms since the epoch; only for Install/Uninstall approvals with a deadline. */
  readonly deadlineAt?: number | undefined;
  /** ms since the epoch; written date-only on the wire. */
  readonly lastChangeAt: number;
  /** REAL: always true. */
  readonly isAssigned: boolean;
}

export interface DeliveredRevision {
  readonly revisionId: RevisionId;
  readonly isLeaf: boolean;
  readonly deployment: DeliveredDeployment;
}

export interface DeliveryResult {
  /** At most one page, in delivery order. The caller adds each revision's Core fragment. */
  readonly newUpdates: readonly DeliveredRevision[];
  /** Cached ids (installed or other) no longer in scope: declined, expired, replaced, unknown here. */
  readonly outOfScopeRevisionIds: readonly RevisionId[];
  /** Cached in-scope revisions whose deployment changed after the request's anchor. */
  readonly changedUpdates: readonly DeliveredRevision[];
  /** More deliverable revisions remain beyond this page; never true with an empty page. */
  readonly truncated: boolean;
  readonly driverSyncNotNeeded: boolean;
  /** The anchor to seal into the NewCookie. */
  readonly anchor: number;
}

export const defaultPageSize = 30;
export const maxPageSize = 200;
