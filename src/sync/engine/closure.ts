import type { QuarantineReason } from './prepare-revision.js';

/** One held revision and its relationships, as the closure check needs them. */
export interface GraphRevision {
  readonly revisionId: number;
  readonly updateId: string;
  readonly revisionNumber: number;
  /** CNF clauses of update ids ("their current revision"). */
  readonly prerequisites: readonly (readonly string[])[];
  /** Bundled groups of exact identities (`updateId/revisionNumber`). */
  readonly bundled: readonly (readonly string[])[];
}

export interface ClosureVerdict {
  readonly reason: Extract<
    QuarantineReason,
    'dangling_prerequisite' | 'missing_bundle_member' | 'dependency'
  >;
  readonly detail: string;
  readonly causedByUpdateId: string | null;
}

export interface ClosureResult {
  /** The revision chosen for each update id, with the generation flags. */
  readonly members: Map<number, { isLeaf: boolean; isBundleMember: boolean }>;
  /** Revisions refused by the closure check (each the best candidate of its update id at the time). */
  readonly invalid: Map<number, ClosureVerdict>;
}

/**
 * Chooses the catalog generation's members and validates the relationship closure (docs/protocol/update-xml.md §3.3, §3.7):
 * for every update id the highest held revision that is valid is the member; a revision is valid when every
 * prerequisite clause has at least one alternative with a valid member and every bundled child is held and
 * valid. Refusals propagate: whatever depends on a refused revision is refused too (`dependency`, with the
 * update id that caused it), and an update whose newest revision is refused falls back to its next valid
 * revision, so a bad new revision never takes a good old one out of service. Runs to a fixpoint.
 */
export function computeClosure(revisions: readonly GraphRevision[]): ClosureResult {
  const byUpdate = new Map<string, GraphRevision[]>();
  const byIdentity = new Map<string, GraphRevision>();
  for (const r of revisions) {
    let list = byUpdate.get(r.updateId);
    if (list === undefined) byUpdate.set(r.updateId, (list = []));
    list.push(r);
    byIdentity.set(`${r.updateId}/${r.revisionNumber}`, r);
  }
  for (const list of byUpdate.values()) list.sort((a, b) => b.revisionNumber - a.revisionNumber);

  const invalid = new Map<number, ClosureVerdict>();
  const current = new Map<string, GraphRevision>();
  const pick = (u: string): GraphRevision | undefined =>
    byUpdate.get(u)?.find((r) => !invalid.has(r.revisionId));
  for (const u of byUpdate.keys()) {
    const r = pick(u);
    if (r) current.set(u, r);
  }

  const check = (r: GraphRevision): ClosureVerdict | undefined => {
    for (const clause of r.prerequisites) {
      if (clause.some((u) => current.has(u))) continue;
      const known = clause.find((u) => byUpdate.has(u));
      if (known !== undefined)
        return {
          reason: 'dependency',
          detail: `prerequisite ${known} has no valid revision`,
          causedByUpdateId: known,
        };
      return {
        reason: 'dangling_prerequisite',
        detail: `no revision of prerequisite ${clause.slice(0, 8).join(' | ')}`,
        causedByUpdateId: clause[0] ?? null,
      };
    }
    for (const group of r.bundled)
      for (const child of group) {
        const c = byIdentity.get(child);
        if (c === undefined)
          return {
            reason: 'missing_bundle_member',
            detail: `bundled ${child} is not held`,
            causedByUpdateId: child.split('/')[0] ?? null,
          };
        if (invalid.has(c.revisionId))
          return {
            reason: 'dependency',
            detail: `bundled ${child} is quarantined`,
            causedByUpdateId: c.updateId,
          };
      }
    return undefined;
  };

  for (let changed = true; changed;) {
    changed = false;
    for (const [u, r] of current) {
      const verdict = check(r);
      if (verdict === undefined) continue;
      invalid.set(r.revisionId, verdict);
      const next = pick(u);
      if (next) current.set(u, next);
      else current.delete(u);
      changed = true;
    }
  }

  const prerequisiteTargets = new Set<string>();
  const bundleMembers = new Set<number>();
  for (const r of current.values()) {
    for (const clause of r.prerequisites) for (const u of clause) prerequisiteTargets.add(u);
    for (const group of r.bundled)
      for (const child of group) {
        const c = byIdentity.get(child);
        if (c) bundleMembers.add(c.revisionId);
      }
  }
  const members = new Map<number, { isLeaf: boolean; isBundleMember: boolean }>();
  for (const r of current.values())
    members.set(r.revisionId, {
      // A leaf is what no member names as a prerequisite (bundle members are leaves; docs/protocol/security.md §5.1 item 4).
      isLeaf: !prerequisiteTargets.has(r.updateId),
      isBundleMember: bundleMembers.has(r.revisionId),
    });
  return { members, invalid };
}
