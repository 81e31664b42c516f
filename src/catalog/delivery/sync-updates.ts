import { deploymentActionFor, type RevisionId } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import type { CatalogIndex } from '../index/index.js';
import type { ClientScope } from '../scope/index.js';
import {
  defaultPageSize,
  maxPageSize,
  type DeliveredRevision,
  type DeliveryRequest,
  type DeliveryResult,
} from './delivery-types.js';

/**
 * The SyncUpdates delivery algorithm (docs/protocol/client.md §1.6) for one call, pure and synchronous.
 *
 * Gating: a revision is offered only when EVERY prerequisite clause has an alternative whose current revision
 * is in the installed set I (ids in O never satisfy); nothing in I ∪ O is resent. Order: non-leaf revisions
 * first, then by depth, then revision id, so every satisfiable non-leaf revision goes out in the first pages
 * and a gated chain advances one level per call (the client calls again after a page with IsLeaf=false).
 *
 * Cost: proportional to the request's ids plus the candidates examined, never to the catalog: candidates come
 * from the index's per-update lists (each revision filed under its rarest prerequisite clause) of the updates
 * in I, merged in delivery order with a heap and cut at page size + 1.
 */
export function syncUpdates(
  index: CatalogIndex,
  scope: ClientScope,
  request: DeliveryRequest,
): DeliveryResult {
  if (scope.index !== index)
    throw new AppError('PB_ERR_INTERNAL', 'client scope was compiled for another catalog generation');
  const requestAnchor = request.anchor ?? 0;
  if (request.skipSoftwareSync === true)
    // No driver is served. The anchor is kept: this pass reports no ChangedUpdates, so advancing it would lose them.
    return {
      newUpdates: [],
      outOfScopeRevisionIds: [],
      changedUpdates: [],
      truncated: false,
      driverSyncNotNeeded: true,
      anchor: requestAnchor,
    };
  const pageSize = clampInt(request.pageSize ?? defaultPageSize, 1, maxPageSize);
  const maxNonLeaf = clampInt(request.maxNonLeafPerPage ?? pageSize, 1, pageSize);

  const epoch = index.nextEpoch();
  const { revStamp, updStamp, updateOf, currentOf } = index;
  const inScope = scope.inScope;
  const outOfScope: RevisionId[] = [];
  let unknownSeen: Set<RevisionId> | undefined;
  const installedUpdates: number[] = [];

  const markCached = (ids: readonly RevisionId[] | undefined, installed: boolean): void => {
    if (ids === undefined) return;
    for (const id of ids) {
      const r = index.findRevision(id);
      if (r < 0) {
        unknownSeen ??= new Set();
        if (!unknownSeen.has(id)) {
          unknownSeen.add(id);
          outOfScope.push(id);
        }
        continue;
      }
      if (revStamp[r] === epoch) {
        // Listed twice (or in both lists): an installed mark still counts.
        if (installed) markInstalled(r);
        continue;
      }
      revStamp[r] = epoch;
      if (inScope[r] === 0) {
        outOfScope.push(id);
        continue;
      }
      if (installed) markInstalled(r);
    }
  };
  const markInstalled = (r: number): void => {
    if (inScope[r] === 0) return;
    const u = updateOf[r]!;
    if (currentOf[u] === r && updStamp[u] !== epoch) {
      updStamp[u] = epoch;
      installedUpdates.push(u);
    }
  };
  markCached(request.installedNonLeafRevisionIds, true);
  markCached(request.otherCachedRevisionIds, false);

  // ChangedUpdates: cached in-scope revisions whose approval-governed deployment changed after the anchor.
  const changedUpdates: DeliveredRevision[] = [];
  const seqs = scope.changeSeqs;
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! <= requestAnchor) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < seqs.length; i++) {
    const r = currentOf[scope.changedUpdates[i]!]!;
    if (r < 0 || inScope[r] === 0 || revStamp[r] !== epoch) continue;
    if (index.kindOf(r) !== 'software' || index.isBundleMember(r)) continue;
    changedUpdates.push(describeDelivery(index, scope, r));
  }

  // NewUpdates: k-way merge of the candidate lists in rank order.
  const filter =
    request.filterCategoryIds !== undefined ? scope.filterMask(request.filterCategoryIds) : undefined;
  const { keyed, keyedStart, rank, clauseStart, clauseAltStart, clauseAlt } = index;
  const listCount = installedUpdates.length + 1;
  const pos = new Int32Array(listCount);
  const end = new Int32Array(listCount);
  // List 0 = roots (no prerequisites); list i > 0 = keyed[] of installedUpdates[i-1]. headKey caches the rank of
  // each list's head so the heap compares plain numbers.
  const lists: Int32Array[] = [index.roots];
  const headKey = new Int32Array(listCount);
  const heap = new Int32Array(listCount);
  let heapSize = 0;
  pos[0] = 0;
  end[0] = index.roots.length;
  for (let i = 1; i < listCount; i++) {
    const u = installedUpdates[i - 1]!;
    lists.push(keyed);
    pos[i] = keyedStart[u]!;
    end[i] = keyedStart[u + 1]!;
  }
  const siftDown = (at: number): void => {
    const l = heap[at]!;
    const key = headKey[l]!;
    let i = at;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && headKey[heap[child + 1]!]! < headKey[heap[child]!]!) child++;
      if (headKey[heap[child]!]! >= key) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = l;
  };
  for (let l = 0; l < listCount; l++)
    if (pos[l]! < end[l]!) {
      headKey[l] = rank[lists[l]![pos[l]!]!]!;
      heap[heapSize++] = l;
    }
  for (let i = (heapSize >> 1) - 1; i >= 0; i--) siftDown(i);

  const page: number[] = [];
  let nonLeafCount = 0;
  let truncated = false;
  while (heapSize > 0) {
    const l = heap[0]!;
    const list = lists[l]!;
    const p = pos[l]!;
    const r = list[p]!;
    pos[l] = p + 1;
    if (p + 1 < end[l]!) headKey[l] = rank[list[p + 1]!]!;
    else heap[0] = heap[--heapSize]!;
    if (heapSize > 0) siftDown(0);

    if (revStamp[r] === epoch) continue;
    revStamp[r] = epoch;
    if (inScope[r] === 0 || (filter !== undefined && filter[r] === 0)) continue;
    let satisfied = true;
    for (let c = clauseStart[r]!; c < clauseStart[r + 1]! && satisfied; c++) {
      satisfied = false;
      for (let k = clauseAltStart[c]!; k < clauseAltStart[c + 1]!; k++)
        if (updStamp[clauseAlt[k]!] === epoch) {
          satisfied = true;
          break;
        }
    }
    if (!satisfied) continue;
    if (page.length === pageSize) {
      truncated = true;
      break;
    }
    if (!index.isLeaf(r)) {
      if (nonLeafCount === maxNonLeaf) {
        truncated = true;
        continue;
      }
      nonLeafCount++;
    }
    page.push(r);
  }

  return {
    newUpdates: page.map((r) => describeDelivery(index, scope, r)),
    outOfScopeRevisionIds: outOfScope,
    changedUpdates,
    truncated,
    // REAL: true on the category-filtered scan's software pass, false otherwise.
    driverSyncNotNeeded: request.filterCategoryIds !== undefined,
    anchor: Math.max(requestAnchor, scope.anchor),
  };
}

/** Deployment fields of an in-scope revision for this scope (docs/protocol/client.md §1.6.2, §1.10). */
export function describeDelivery(index: CatalogIndex, scope: ClientScope, r: number): DeliveredRevision {
  const u = index.updateOf[r]!;
  // The index holds the ids storage assigned to served revisions: revision ids by construction.
  const revisionId = index.revisionIds[r]!;
  const kind = index.kindOf(r);
  const isBundleMember = index.isBundleMember(r);
  const explicit = scope.deployments.get(u);
  const action =
    deploymentActionFor({ kind, isBundleMember, decision: explicit?.decision ?? 'notApproved' }) ??
    'Evaluate';
  // Only Install/Uninstall/PreDeploymentCheck of a non-member software update follow the approval; Evaluate and
  // Bundle keep the revision's own deployment whatever was approved.
  const governed = explicit !== undefined && kind === 'software' && !isBundleMember;
  const deadline =
    governed && (action === 'Install' || action === 'Uninstall') ? explicit.deadlineAt : undefined;
  return {
    revisionId,
    isLeaf: index.isLeaf(r),
    deployment: {
      id: governed ? explicit.deploymentId : revisionId,
      action,
      ...(deadline !== undefined ? { deadlineAt: deadline } : {}),
      lastChangeAt: governed ? explicit.lastChangeAt : index.lastChange[r]! * 1000,
      isAssigned: true,
    },
  };
}

function clampInt(v: number, min: number, max: number): number {
  if (!Number.isFinite(v)) return min;
  return Math.max(min, Math.min(max, Math.trunc(v)));
}
