import type { ApprovalDecision } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import { revFlag, updFlag, type CatalogIndex } from '../index/index.js';
import { satisfiableSet } from '../index/satisfiable-set.js';

/**
 * `all-non-declined` (default, real WS2025 behaviour, docs/protocol/client.md §1.6.1): every non-declined software update,
 * approved or not, every category and detectoid, and the prerequisites and bundle members they need.
 * `approved-closure`: only updates approved (install/uninstall) for this client, plus the same closure.
 */
export type ScopeMode = 'all-non-declined' | 'approved-closure';

/** The effective deployment of one update for this client's groups (see `resolveEffectiveApproval`). */
export interface ScopeDeploymentInput {
  readonly updateId: string;
  readonly decision: ApprovalDecision;
  /** Install-by time, ms since the epoch (only meaningful for install/uninstall). */
  readonly deadlineAt?: number | undefined;
  /**
   * `Deployment/ID` for this approval. Revisions no approval governs use their revision id as deployment id,
   * so explicit ids must come from a range revision ids never reach (the storage allocator's concern).
   */
  readonly deploymentId: number;
  /** Deployment change sequence of the last change to this decision (drives ChangedUpdates); 0 = ancient. */
  readonly changeSeq: number;
  /** `LastChangeTime` of the approval, ms since the epoch. */
  readonly lastChangeAt: number;
}

export interface ScopeInput {
  readonly mode?: ScopeMode | undefined;
  /** Declines are global; also accepted as `decision: 'declined'` deployments. */
  readonly declinedUpdateIds?: Iterable<string> | undefined;
  readonly deployments?: Iterable<ScopeDeploymentInput> | undefined;
  /** The newest deployment change sequence this scope reflects; handed to clients as their new anchor. */
  readonly anchor: number;
  /** How many FilterCategoryIds closures to keep (bounded LRU; each costs one byte per revision). */
  readonly filterCacheSize?: number | undefined;
}

interface DeploymentEntry {
  readonly decision: ApprovalDecision;
  readonly deadlineAt: number | undefined;
  readonly deploymentId: number;
  readonly changeSeq: number;
  readonly lastChangeAt: number;
}

export interface ClientScopeStats {
  readonly inScope: number;
  readonly nonLeafInScope: number;
  readonly explicitDeployments: number;
  readonly buildMs: number;
}

/**
 * What one client (one set of groups) may see in one catalog generation, compiled once and shared by every
 * request with the same inputs: an in-scope flag per revision, the explicit deployments, and the deployment
 * changes sorted by sequence for ChangedUpdates. Build cost O(revisions + edges); callers cache scopes per
 * (generation, group set, deployment change sequence).
 */
export class ClientScope {
  readonly index: CatalogIndex;
  readonly mode: ScopeMode;
  readonly anchor: number;
  /** 1 = the revision is in this client's scope (served, deliverable here, not declined, in the closure). */
  readonly inScope: Uint8Array;
  /** Explicit deployments by update index. */
  readonly deployments: ReadonlyMap<number, DeploymentEntry>;
  /** Update indices of explicit deployments, sorted by change sequence (ascending), and their sequences. */
  readonly changedUpdates: Int32Array;
  readonly changeSeqs: Float64Array;
  readonly stats: ClientScopeStats;
  private readonly filterCache = new Map<string, Uint8Array>();
  private readonly filterCacheSize: number;

  constructor(index: CatalogIndex, input: ScopeInput) {
    const started = performance.now();
    this.index = index;
    this.mode = input.mode ?? 'all-non-declined';
    if (!Number.isFinite(input.anchor) || input.anchor < 0)
      throw new AppError(
        'PB_ERR_CATALOG_INPUT',
        `scope anchor must be a non-negative number: ${input.anchor}`,
      );
    this.anchor = input.anchor;
    this.filterCacheSize = Math.max(1, Math.min(input.filterCacheSize ?? 8, 64));

    const declined = new Uint8Array(index.updateCount);
    for (const id of input.declinedUpdateIds ?? []) {
      const u = index.findUpdate(id);
      if (u >= 0) declined[u] = 1;
    }
    const deployments = new Map<number, DeploymentEntry>();
    for (const d of input.deployments ?? []) {
      const u = index.findUpdate(d.updateId);
      if (u < 0) continue;
      if (d.decision === 'declined') {
        declined[u] = 1;
        continue;
      }
      deployments.set(u, {
        decision: d.decision,
        deadlineAt: d.deadlineAt,
        deploymentId: d.deploymentId,
        changeSeq: d.changeSeq,
        lastChangeAt: d.lastChangeAt,
      });
    }
    this.deployments = deployments;
    const changes = [...deployments.entries()]
      .filter(([, d]) => d.changeSeq > 0)
      .sort((x, y) => x[1].changeSeq - y[1].changeSeq);
    this.changedUpdates = Int32Array.from(changes, ([u]) => u);
    this.changeSeqs = Float64Array.from(changes, ([, d]) => d.changeSeq);

    // Roots of the scope, then the closure, then drop what can never be delivered inside it, then the closure of
    // the surviving roots again (so a dropped root does not leave categories only it needed).
    const n = index.size;
    const candidate = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      if (!(index.revFlags[r]! & revFlag.deliverable)) continue;
      if (declined[index.updateOf[r]!] === 1) continue;
      candidate[r] = 1;
    }
    const roots: number[] = [];
    for (let r = 0; r < n; r++) {
      if (candidate[r] === 0) continue;
      const kind = index.kindOf(r);
      const u = index.updateOf[r]!;
      if (kind !== 'software') {
        // Default mode offers every category and detectoid, referenced or not: the REAL scan delivered the OOBE ZDP
        // chain with no update in it, and the flow scan an unreferenced leaf detectoid (9e682aaa).
        if (this.mode === 'all-non-declined') roots.push(r);
        continue;
      }
      if (this.mode === 'approved-closure') {
        const d = deployments.get(u)?.decision;
        if (d === 'install' || d === 'uninstall') roots.push(r);
      } else if ((index.updFlags[u]! & updFlag.bundleMember) === 0) roots.push(r);
    }
    const firstClosure = closureOf(index, roots, candidate);
    const ok = satisfiableSet(index, firstClosure);
    this.inScope = closureOf(
      index,
      roots.filter((r) => ok[r] === 1),
      ok,
    );
    let inScopeCount = 0;
    let nonLeaf = 0;
    for (let r = 0; r < n; r++)
      if (this.inScope[r] === 1) {
        inScopeCount++;
        if (!index.isLeaf(r)) nonLeaf++;
      }
    this.stats = {
      inScope: inScopeCount,
      nonLeafInScope: nonLeaf,
      explicitDeployments: deployments.size,
      buildMs: performance.now() - started,
    };
  }

  /**
   * The revisions a category-filtered scan may receive (FilterCategoryIds, REAL: the OOBE ZDP scan): the named
   * categories, the categories below them, the in-scope updates that name any of those, and everything their
   * delivery needs (prerequisite chain up to the company category, bundle members). Unknown ids select nothing.
   * Cached in a bounded LRU.
   */
  filterMask(filterCategoryIds: readonly string[]): Uint8Array {
    const key = [...new Set(filterCategoryIds.map((s) => s.toLowerCase()))].sort().join(',');
    const hit = this.filterCache.get(key);
    if (hit) {
      this.filterCache.delete(key);
      this.filterCache.set(key, hit);
      return hit;
    }
    const ix = this.index;
    const categories = new Uint8Array(ix.updateCount);
    const work: number[] = [];
    for (const id of filterCategoryIds) {
      const u = ix.findUpdate(id);
      if (u >= 0 && categories[u] === 0) {
        categories[u] = 1;
        work.push(u);
      }
    }
    const seeds: number[] = [];
    while (work.length > 0) {
      const u = work.pop()!;
      const own = ix.currentOf[u]!;
      if (own >= 0 && this.inScope[own] === 1) seeds.push(own);
      for (let k = ix.occStart[u]!; k < ix.occStart[u + 1]!; k++) {
        const o = ix.clauseOwner[ix.occ[k]!]!;
        if (this.inScope[o] === 0) continue;
        const ou = ix.updateOf[o]!;
        if (ix.kindOf(o) === 'category') {
          if (categories[ou] === 0) {
            categories[ou] = 1;
            work.push(ou);
          }
        } else if (ix.kindOf(o) !== 'detectoid') seeds.push(o);
      }
    }
    const mask = closureOf(ix, seeds, this.inScope);
    this.filterCache.set(key, mask);
    if (this.filterCache.size > this.filterCacheSize) {
      const oldest = this.filterCache.keys().next().value;
      if (oldest !== undefined) this.filterCache.delete(oldest);
    }
    return mask;
  }
}

/** Revisions reachable from `roots` through prerequisite alternatives and bundle members, within `allowed`. */
function closureOf(ix: CatalogIndex, roots: readonly number[], allowed: Uint8Array): Uint8Array {
  const out = new Uint8Array(ix.size);
  const stack: number[] = [];
  for (const r of roots)
    if (allowed[r] === 1 && out[r] === 0) {
      out[r] = 1;
      stack.push(r);
    }
  while (stack.length > 0) {
    const r = stack.pop()!;
    for (let c = ix.clauseStart[r]!; c < ix.clauseStart[r + 1]!; c++)
      for (let k = ix.clauseAltStart[c]!; k < ix.clauseAltStart[c + 1]!; k++) {
        const t = ix.currentOf[ix.clauseAlt[k]!]!;
        if (t >= 0 && allowed[t] === 1 && out[t] === 0) {
          out[t] = 1;
          stack.push(t);
        }
      }
    for (let g = ix.groupStart[r]!; g < ix.groupStart[r + 1]!; g++)
      for (let k = ix.groupAltStart[g]!; k < ix.groupAltStart[g + 1]!; k++) {
        const t = ix.groupAlt[k]!;
        if (allowed[t] === 1 && out[t] === 0) {
          out[t] = 1;
          stack.push(t);
        }
      }
  }
  return out;
}

export function compileScope(index: CatalogIndex, input: ScopeInput): ClientScope {
  return new ClientScope(index, input);
}
