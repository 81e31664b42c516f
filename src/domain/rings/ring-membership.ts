/**
 * Which ring a computer is in (docs/rings.md "Membership"): its groups decide. A ring holds groups; a group's
 * child groups are in the ring too (approvals inherit down the tree, so the ring's computers are exactly those
 * an approval of its groups reaches). A computer whose groups fall into several rings is in the EARLIEST of
 * them: it then gets a ringed change at the first moment any of its groups would, never later, and the gate of
 * that earliest ring counts it. A computer in no ring follows the last ring.
 */

export interface RingGroups {
  readonly ringId: number;
  readonly groupIds: readonly string[];
}

export interface RingPlacement {
  /** Index in the ring list given (0 = first). */
  readonly index: number;
  readonly ringId: number;
  /** False when the computer is in no ring and follows the last one. */
  readonly isMember: boolean;
}

/** Walks are bounded: the group tree is at most this deep (GroupRepository refuses deeper trees). */
const maxDepth = 64;

/**
 * Places a computer given its group ids, each group's parent, and the rings in order. Undefined when there are
 * no rings (nothing is ringed then).
 */
export function placeInRing(
  computerGroupIds: readonly string[],
  parentOf: ReadonlyMap<string, string | null>,
  rings: readonly RingGroups[],
): RingPlacement | undefined {
  if (rings.length === 0) return undefined;
  const ringOfGroup = new Map<string, number>();
  rings.forEach((r, i) => {
    for (const g of r.groupIds) if (!ringOfGroup.has(g)) ringOfGroup.set(g, i);
  });
  let best = Number.POSITIVE_INFINITY;
  for (const start of computerGroupIds) {
    let g: string | null | undefined = start.toLowerCase();
    for (let depth = 0; g !== null && g !== undefined && depth <= maxDepth; depth++) {
      const i = ringOfGroup.get(g);
      if (i !== undefined && i < best) best = i;
      g = parentOf.get(g);
    }
  }
  if (best === Number.POSITIVE_INFINITY)
    return { index: rings.length - 1, ringId: rings[rings.length - 1]!.ringId, isMember: false };
  return { index: best, ringId: rings[best]!.ringId, isMember: true };
}

/**
 * Every group that is in each ring: the ring's own groups and their descendants, minus those already in an
 * earlier ring. The result is what an approval of ring i's groups reaches first.
 */
export function expandRingGroups(
  parentOf: ReadonlyMap<string, string | null>,
  rings: readonly RingGroups[],
): string[][] {
  const out = rings.map(() => [] as string[]);
  for (const g of parentOf.keys()) {
    const p = placeInRing([g], parentOf, rings);
    if (p?.isMember === true) out[p.index]!.push(g);
  }
  return out;
}
