/** The adjacency the fixpoint needs (a subset of the index arrays, so the builder can call it before the index exists). */
export interface SatisfiabilityGraph {
  readonly updateOf: Int32Array;
  readonly clauseStart: Int32Array;
  readonly clauseOwner: Int32Array;
  readonly occStart: Int32Array;
  readonly occ: Int32Array;
  readonly groupStart: Int32Array;
  readonly groupAltStart: Int32Array;
  readonly groupAlt: Int32Array;
}

/**
 * Which of the `allowed` revisions a client could ever receive: the least fixpoint of "every prerequisite clause
 * has an alternative that is itself receivable" (a breadth-first pass over the clause transpose, so cycles and
 * dangling clauses stay out), then bundle parents with a group that has no receivable member are dropped and the
 * pass repeats. `allowed` must only contain served revisions (at most one per update). Returns the receivable
 * flags; `depthOut`, when given, receives the delivery round of each (0 = no prerequisites).
 * O(revisions + edges) per pass; a second pass happens only when a bundle parent is dropped.
 */
export function satisfiableSet(
  g: SatisfiabilityGraph,
  allowedIn: Uint8Array,
  depthOut?: Uint16Array,
): Uint8Array {
  const n = g.updateOf.length;
  const allowed = Uint8Array.from(allowedIn);
  const ok = new Uint8Array(n);
  const remaining = new Int32Array(n);
  const clauseSat = new Uint8Array(g.clauseOwner.length);
  const queue = new Int32Array(n);
  const depth = depthOut ?? new Uint16Array(n);
  for (;;) {
    ok.fill(0);
    clauseSat.fill(0);
    let head = 0;
    let tail = 0;
    for (let r = 0; r < n; r++) {
      if (allowed[r] === 0) continue;
      const k = g.clauseStart[r + 1]! - g.clauseStart[r]!;
      remaining[r] = k;
      if (k === 0) {
        depth[r] = 0;
        queue[tail++] = r;
      }
    }
    while (head < tail) {
      const r = queue[head++]!;
      ok[r] = 1;
      const u = g.updateOf[r]!;
      const d = Math.min(depth[r]! + 1, 0xffff);
      for (let k = g.occStart[u]!; k < g.occStart[u + 1]!; k++) {
        const c = g.occ[k]!;
        if (clauseSat[c] === 1) continue;
        clauseSat[c] = 1;
        const o = g.clauseOwner[c]!;
        if (allowed[o] === 0) continue;
        const left = remaining[o]! - 1;
        remaining[o] = left;
        if (left === 0) {
          depth[o] = d;
          queue[tail++] = o;
        }
      }
    }
    let dropped = false;
    for (let r = 0; r < n; r++) {
      if (ok[r] === 0) continue;
      for (let grp = g.groupStart[r]!; grp < g.groupStart[r + 1]!; grp++) {
        let any = false;
        for (let k = g.groupAltStart[grp]!; k < g.groupAltStart[grp + 1]! && !any; k++)
          any = ok[g.groupAlt[k]!] === 1;
        if (!any) {
          allowed[r] = 0;
          dropped = true;
          break;
        }
      }
    }
    if (!dropped) return ok;
  }
}
