import type { RevisionKind } from '../../domain/index.js';
import { compareGuidWords, guidWordsToString, writeGuidWords } from './guid-words.js';
import type { RevisionLookup } from './revision-lookup.js';

/** Revision flag bits (`CatalogIndex.revFlags`). */
export const revFlag = {
  kindMask: 0b11,
  expired: 1 << 2,
  /** Highest non-expired revision number of its update. */
  current: 1 << 3,
  /** Current and not a driver: the revision this generation offers for its update. */
  served: 1 << 4,
  /** Served and every prerequisite clause (and bundle group) can be met inside the catalog. */
  deliverable: 1 << 5,
  bundleParent: 1 << 6,
} as const;

/** Update flag bits (`CatalogIndex.updFlags`). */
export const updFlag = {
  /** Target of a prerequisite clause (IsCategory ones included) of a served revision: IsLeaf=false. */
  nonLeaf: 1 << 0,
  /** Target of a served revision's BundledUpdates: Action=Bundle. */
  bundleMember: 1 << 1,
} as const;

export const kindCodes: readonly RevisionKind[] = ['software', 'driver', 'category', 'detectoid'];

export type UndeliverableReason =
  /** A clause none of whose alternatives is served in this generation (docs/protocol/client.md §1.6.12). */
  | 'missing-prerequisite'
  /** A BundledUpdates group none of whose members is served. */
  | 'missing-bundle-member'
  /** Prerequisites exist but can never all be delivered (a cycle, or they are undeliverable themselves). */
  | 'undeliverable-dependency';

/** A served revision the delivery algorithm will never offer; the sync engine's validation quarantines these. */
export interface UndeliverableRevision {
  readonly revisionId: number;
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly reason: UndeliverableReason;
  /** For the missing-* reasons: the update ids the clause or group names (lower case). */
  readonly missingUpdateIds: readonly string[];
}

export interface CatalogIndexStats {
  readonly revisions: number;
  readonly updates: number;
  readonly served: number;
  readonly deliverable: number;
  /** Served non-leaf revisions: a client holds at most 400 installed non-leaf ids (docs/protocol/client.md §1.6.9). */
  readonly nonLeafServed: number;
  readonly clauses: number;
  readonly clauseAlternatives: number;
  readonly bundleGroups: number;
  readonly bundleAlternatives: number;
  readonly maxDepth: number;
  /** Bytes of every typed array the index holds (scratch included). */
  readonly bytes: number;
  readonly buildMs: number;
}

/** Everything `buildCatalogIndex` computes; the index keeps it as flat typed arrays. */
export interface CatalogIndexArrays {
  readonly revisionIds: Int32Array;
  readonly revisionNumbers: Int32Array;
  readonly updateOf: Int32Array;
  /** Seconds since the epoch. */
  readonly lastChange: Uint32Array;
  readonly revFlags: Uint8Array;
  readonly depth: Uint16Array;
  /** Position in the delivery order (non-leaf first, then depth, then revision id); 0x7fffffff if undeliverable. */
  readonly rank: Int32Array;
  /** CSR: clauses of revision r are clauseStart[r]..clauseStart[r+1]. */
  readonly clauseStart: Int32Array;
  /** CSR: alternatives (update indices) of clause c are clauseAlt[clauseAltStart[c]..clauseAltStart[c+1]]. */
  readonly clauseAltStart: Int32Array;
  readonly clauseAlt: Int32Array;
  readonly clauseOwner: Int32Array;
  readonly clauseIsCategory: Uint8Array;
  /** CSR: bundle groups of revision r, members as revision indices. */
  readonly groupStart: Int32Array;
  readonly groupAltStart: Int32Array;
  readonly groupAlt: Int32Array;
  /** CSR transpose: clause indices naming update u. */
  readonly occStart: Int32Array;
  readonly occ: Int32Array;
  /** CSR: deliverable revisions whose key clause names update u, in rank order (the delivery candidates). */
  readonly keyedStart: Int32Array;
  readonly keyed: Int32Array;
  /** Deliverable revisions without prerequisites, in rank order. */
  readonly roots: Int32Array;
  readonly guidWords: Uint32Array;
  /** Update indices sorted by GUID (binary search for FilterCategoryIds). */
  readonly guidOrder: Int32Array;
  /** Current (highest non-expired) revision per update, -1 if none. */
  readonly currentOf: Int32Array;
  readonly updFlags: Uint8Array;
  readonly lookup: RevisionLookup;
  readonly undeliverable: readonly UndeliverableRevision[];
  readonly maxDepth: number;
  readonly buildMs: number;
}

/**
 * The in-memory index of ONE catalog generation: compact typed arrays (interned update ids as dense indices,
 * CSR adjacency for prerequisite clauses and bundle membership), the precomputed per-update facts the
 * delivery algorithm needs (current revision, IsLeaf, bundle membership, depth), and per-call scratch.
 * Immutable after build except the scratch stamps, which `syncUpdates` uses synchronously.
 */
export class CatalogIndex implements CatalogIndexArrays {
  readonly revisionIds!: Int32Array;
  readonly revisionNumbers!: Int32Array;
  readonly updateOf!: Int32Array;
  readonly lastChange!: Uint32Array;
  readonly revFlags!: Uint8Array;
  readonly depth!: Uint16Array;
  readonly rank!: Int32Array;
  readonly clauseStart!: Int32Array;
  readonly clauseAltStart!: Int32Array;
  readonly clauseAlt!: Int32Array;
  readonly clauseOwner!: Int32Array;
  readonly clauseIsCategory!: Uint8Array;
  readonly groupStart!: Int32Array;
  readonly groupAltStart!: Int32Array;
  readonly groupAlt!: Int32Array;
  readonly occStart!: Int32Array;
  readonly occ!: Int32Array;
  readonly keyedStart!: Int32Array;
  readonly keyed!: Int32Array;
  readonly roots!: Int32Array;
  readonly guidWords!: Uint32Array;
  readonly guidOrder!: Int32Array;
  readonly currentOf!: Int32Array;
  readonly updFlags!: Uint8Array;
  readonly lookup!: RevisionLookup;
  readonly undeliverable!: readonly UndeliverableRevision[];
  readonly maxDepth!: number;
  readonly buildMs!: number;

  /** Per-call scratch: revStamp[r] === epoch marks a revision cached or visited in the current call. */
  readonly revStamp: Int32Array;
  /** updStamp[u] === epoch marks an update whose current revision is in the installed set. */
  readonly updStamp: Int32Array;
  private epoch = 0;
  private readonly guidProbe = new Uint32Array(4);

  constructor(arrays: CatalogIndexArrays) {
    Object.assign(this, arrays);
    this.revStamp = new Int32Array(arrays.revisionIds.length);
    this.updStamp = new Int32Array(arrays.currentOf.length);
  }

  get size(): number {
    return this.revisionIds.length;
  }

  get updateCount(): number {
    return this.currentOf.length;
  }

  /** A fresh stamp value for one delivery call (the stamp arrays are reset only when the counter wraps). */
  nextEpoch(): number {
    if (this.epoch >= 0x7ffffff0) {
      this.revStamp.fill(0);
      this.updStamp.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }

  /** Dense index of a revision id, or -1 (unknown here: another server's id, or not in this generation). */
  findRevision(revisionId: number): number {
    return this.lookup.find(revisionId);
  }

  /** Dense update index for a GUID (any case), or -1. */
  findUpdate(updateId: string): number {
    if (!writeGuidWords(updateId, this.guidProbe, 0)) return -1;
    let lo = 0;
    let hi = this.guidOrder.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = this.guidOrder[mid]!;
      const c = compareGuidWords(this.guidWords, u * 4, this.guidProbe, 0);
      if (c === 0) return u;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  updateIdOf(updateIndex: number): string {
    return guidWordsToString(this.guidWords, updateIndex * 4);
  }

  kindOf(r: number): RevisionKind {
    return kindCodes[this.revFlags[r]! & revFlag.kindMask]!;
  }

  isServed(r: number): boolean {
    return (this.revFlags[r]! & revFlag.served) !== 0;
  }

  isDeliverable(r: number): boolean {
    return (this.revFlags[r]! & revFlag.deliverable) !== 0;
  }

  isLeaf(r: number): boolean {
    return (this.updFlags[this.updateOf[r]!]! & updFlag.nonLeaf) === 0;
  }

  isBundleMember(r: number): boolean {
    return (this.updFlags[this.updateOf[r]!]! & updFlag.bundleMember) !== 0;
  }

  /** Plain description of a revision (tests, diagnostics, admin views); not for hot paths. */
  describe(revisionId: number): RevisionFacts | undefined {
    const r = this.findRevision(revisionId);
    if (r < 0) return undefined;
    const clauses: { isCategory: boolean; anyOf: string[] }[] = [];
    for (let c = this.clauseStart[r]!; c < this.clauseStart[r + 1]!; c++) {
      const anyOf: string[] = [];
      for (let k = this.clauseAltStart[c]!; k < this.clauseAltStart[c + 1]!; k++)
        anyOf.push(this.updateIdOf(this.clauseAlt[k]!));
      clauses.push({ isCategory: this.clauseIsCategory[c] === 1, anyOf });
    }
    const bundleGroups: number[][] = [];
    for (let g = this.groupStart[r]!; g < this.groupStart[r + 1]!; g++) {
      const members: number[] = [];
      for (let k = this.groupAltStart[g]!; k < this.groupAltStart[g + 1]!; k++)
        members.push(this.revisionIds[this.groupAlt[k]!]!);
      bundleGroups.push(members);
    }
    const f = this.revFlags[r]!;
    return {
      revisionId,
      updateId: this.updateIdOf(this.updateOf[r]!),
      revisionNumber: this.revisionNumbers[r]!,
      kind: this.kindOf(r),
      expired: (f & revFlag.expired) !== 0,
      current: (f & revFlag.current) !== 0,
      served: (f & revFlag.served) !== 0,
      deliverable: (f & revFlag.deliverable) !== 0,
      isLeaf: this.isLeaf(r),
      isBundleMember: this.isBundleMember(r),
      isBundleParent: (f & revFlag.bundleParent) !== 0,
      depth: this.depth[r]!,
      prerequisites: clauses,
      bundleGroups,
    };
  }

  stats(): CatalogIndexStats {
    let served = 0;
    let deliverable = 0;
    let nonLeafServed = 0;
    for (let r = 0; r < this.size; r++) {
      const f = this.revFlags[r]!;
      if (f & revFlag.served) {
        served++;
        if (!this.isLeaf(r)) nonLeafServed++;
      }
      if (f & revFlag.deliverable) deliverable++;
    }
    return {
      revisions: this.size,
      updates: this.updateCount,
      served,
      deliverable,
      nonLeafServed,
      clauses: this.clauseOwner.length,
      clauseAlternatives: this.clauseAlt.length,
      bundleGroups: this.groupAltStart.length - 1,
      bundleAlternatives: this.groupAlt.length,
      maxDepth: this.maxDepth,
      bytes: this.bytes(),
      buildMs: this.buildMs,
    };
  }

  /** Bytes held in typed arrays (the index proper, plus scratch). */
  bytes(): number {
    let total = this.lookup.bytes;
    for (const v of Object.values(this) as unknown[]) if (ArrayBuffer.isView(v)) total += v.byteLength;
    return total;
  }
}

export interface RevisionFacts {
  readonly revisionId: number;
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly kind: RevisionKind;
  readonly expired: boolean;
  readonly current: boolean;
  readonly served: boolean;
  readonly deliverable: boolean;
  readonly isLeaf: boolean;
  readonly isBundleMember: boolean;
  readonly isBundleParent: boolean;
  readonly depth: number;
  readonly prerequisites: readonly { readonly isCategory: boolean; readonly anyOf: readonly string[] }[];
  /** Member revision ids per group. */
  readonly bundleGroups: readonly (readonly number[])[];
}
