/**
 * What a ringed catalog change needs of a rollout ring (docs/rings.md): its groups, its soak time and the
 * part of its health gate that measures scans. Rings are ordered; ring 0 sees a new catalog generation first.
 */
export interface CatalogRing {
  readonly name: string;
  readonly groupIds: readonly string[];
  /** How long the ring is served the new generation before the gate decides (ms). */
  readonly soakMs: number;
  /** Fewest ring computers that must have reported (scanned the generation, cleanly or not). */
  readonly minReported: number;
  /** Highest share (0..1) of the ring's active computers that fault or stop scanning. */
  readonly maxFaultRate: number;
}

/**
 * The ring a computer is in: the first (lowest) ring that holds one of its groups. A computer in no ring
 * follows the last ring (docs/rings.md), so with no ring configured every computer is in "ring -1", which no
 * rollout ever reaches: everyone is served the active generation, as without rings.
 */
export function ringIndexOf(
  rings: readonly { readonly groupIds: readonly string[] }[],
  groupIds: readonly string[],
): number {
  for (let i = 0; i < rings.length; i++) {
    const ring = rings[i]!.groupIds;
    for (const g of groupIds) if (ring.includes(g)) return i;
  }
  return rings.length - 1;
}

/**
 * Where the ring definitions come from (the rings model, docs/rings.md); read again on every use, so a ring
 * created or changed applies to the next scan and the next gate evaluation. No source: no rings.
 */
export interface CatalogRingSource {
  catalogRings(): Promise<readonly CatalogRing[]>;
}

export const noCatalogRings: CatalogRingSource = Object.freeze({
  catalogRings: () => Promise.resolve([]),
});
