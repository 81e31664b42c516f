import type { GroupId } from '../ids.js';

/** An approval decision set on one computer group for one update. Declines are global and are not here. */
export interface GroupApproval {
  readonly groupId: GroupId;
  readonly action: 'install' | 'uninstall' | 'notApproved' | 'block';
  /** Install-by time (ms since the epoch); an approval with a deadline is "required", without is "optional". */
  readonly deadlineAt?: number | undefined;
}

/** The group tree: each group's parent (undefined for the root, All Computers). */
export type GroupParentLookup = (groupId: GroupId) => GroupId | undefined;

export interface EffectiveApproval {
  readonly action: GroupApproval['action'];
  readonly deadlineAt: number | undefined;
  /** The group whose explicit approval decided (the membership itself or an ancestor). */
  readonly sourceGroupId: GroupId;
  /** Depth of `sourceGroupId` in the tree (root = 0). */
  readonly depth: number;
}

/** Ties between groups at the same depth: install beats uninstall beats block beats "not approved". */
const actionRank: Readonly<Record<GroupApproval['action'], number>> = {
  install: 3,
  uninstall: 2,
  block: 1,
  notApproved: 0,
};

/** Group trees are shallow; a longer parent chain is a cycle in corrupt data and must not hang the caller. */
const maxGroupDepth = 64;

function depthOf(groupId: GroupId, parentOf: GroupParentLookup): number {
  let depth = 0;
  for (let g = parentOf(groupId); g !== undefined; g = parentOf(g)) {
    if (++depth > maxGroupDepth)
      throw new RangeError(`group tree deeper than ${maxGroupDepth} (cycle?) at ${groupId}`);
  }
  return depth;
}

/**
 * The approval that applies to a computer for one update, from the approvals set on groups (the rule the admin
 * service and the delivery scope share):
 * 1. Inheritance: for each group the computer belongs to, the nearest explicit approval walking up from that
 *    group to the root applies (an explicit "not approved" on a child stops inheritance from its parents).
 * 2. Several memberships: the candidate set on the DEEPEST group wins (the most specific decision).
 * 3. Same depth: install over uninstall (over block over not approved).
 * 4. Same action: required (with a deadline) over optional, then the earliest deadline.
 * Returns undefined when no group on any path has an approval (= not approved). Deterministic for any input
 * order: remaining ties are broken by the smaller group id.
 */
export function resolveEffectiveApproval(
  memberships: readonly GroupId[],
  parentOf: GroupParentLookup,
  approvalOf: (groupId: GroupId) => GroupApproval | undefined,
): EffectiveApproval | undefined {
  let best: EffectiveApproval | undefined;
  for (const member of memberships) {
    let found: GroupApproval | undefined;
    let steps = 0;
    for (let g: GroupId | undefined = member; g !== undefined; g = parentOf(g)) {
      if (++steps > maxGroupDepth + 1)
        throw new RangeError(`group tree deeper than ${maxGroupDepth} (cycle?) at ${member}`);
      found = approvalOf(g);
      if (found !== undefined) break;
    }
    if (found === undefined) continue;
    const candidate: EffectiveApproval = {
      action: found.action,
      deadlineAt: found.deadlineAt,
      sourceGroupId: found.groupId,
      depth: depthOf(found.groupId, parentOf),
    };
    if (best === undefined || beats(candidate, best)) best = candidate;
  }
  return best;
}

function beats(a: EffectiveApproval, b: EffectiveApproval): boolean {
  if (a.depth !== b.depth) return a.depth > b.depth;
  if (a.action !== b.action) return actionRank[a.action] > actionRank[b.action];
  if ((a.deadlineAt === undefined) !== (b.deadlineAt === undefined)) return a.deadlineAt !== undefined;
  if (a.deadlineAt !== undefined && b.deadlineAt !== undefined && a.deadlineAt !== b.deadlineAt)
    return a.deadlineAt < b.deadlineAt;
  return a.sourceGroupId < b.sourceGroupId;
}
