import { AppError } from '../../errors.js';
import { CatalogInputBuilder, type CatalogInputColumns } from './catalog-input-builder.js';
import type { CatalogRevisionInput } from './catalog-revision-input.js';
import { CatalogIndex, revFlag, updFlag, type UndeliverableRevision } from './catalog-index.js';
import { compareGuidWords, parseGuidWordsOrThrow } from './guid-words.js';
import { buildRevisionLookup } from './revision-lookup.js';
import { satisfiableSet } from './satisfiable-set.js';

const notRanked = 0x7fffffff;

function fail(message: string): never {
  throw new AppError('PB_ERR_CATALOG_INPUT', message);
}

/**
 * Builds the index of one catalog generation from plain revision records (any order). Refuses malformed input
 * (duplicate revision ids or identities, bad GUIDs, out-of-range numbers) with PB_ERR_CATALOG_INPUT; dangling
 * references are not errors but make the revision undeliverable and are listed in `index.undeliverable`.
 * Linear in revisions + edges apart from two sorts (GUIDs and the delivery order).
 */
export function buildCatalogIndex(records: readonly CatalogRevisionInput[]): CatalogIndex {
  const builder = new CatalogInputBuilder();
  builder.addAll(records);
  return buildCatalogIndexFromColumns(builder.finish());
}

/** The same from columns a `CatalogInputBuilder` collected (chunk by chunk, for a large generation). */
export function buildCatalogIndexFromColumns(input: CatalogInputColumns): CatalogIndex {
  const started = performance.now();
  const n = input.revisionIds.length;
  const names = input.names;

  // 1. Revisions and their update ids, numbered in order of first appearance (names only a prerequisite or
  //    bundle names are no update of this generation).
  const revisionIds = input.revisionIds;
  const revisionNumbers = input.revisionNumbers;
  const lastChange = input.lastChange;
  const revFlags = input.kindFlags.slice();
  const updateOf = new Int32Array(n);
  const updateOfName = new Int32Array(names.length).fill(-1);
  const updateNames: string[] = [];
  for (let r = 0; r < n; r++) {
    const name = input.updateName[r]!;
    let u = updateOfName[name]!;
    if (u < 0) {
      u = updateNames.length;
      updateOfName[name] = u;
      updateNames.push(names[name]!);
    }
    updateOf[r] = u;
  }
  const lookup = buildRevisionLookup(revisionIds);
  const seen = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const at = lookup.find(revisionIds[r]!);
    if (at !== r || seen[at] === 1) fail(`duplicate revision id ${revisionIds[r]}`);
    seen[at] = 1;
  }
  const u0 = updateNames.length;
  const guidWords = new Uint32Array(u0 * 4);
  for (let u = 0; u < u0; u++) parseGuidWordsOrThrow(updateNames[u]!, guidWords, u * 4, 'updateId');
  const guidOrder = Int32Array.from({ length: u0 }, (_, i) => i).sort((a, b) =>
    compareGuidWords(guidWords, a * 4, guidWords, b * 4),
  );

  // 2. Current revision per update: the highest non-expired revision number.
  const currentOf = new Int32Array(u0).fill(-1);
  for (let r = 0; r < n; r++) {
    if (revFlags[r]! & revFlag.expired) continue;
    const u = updateOf[r]!;
    const c = currentOf[u]!;
    if (c >= 0 && revisionNumbers[c] === revisionNumbers[r])
      fail(`duplicate identity ${updateNames[u]}/${revisionNumbers[r]}`);
    if (c < 0 || revisionNumbers[c]! < revisionNumbers[r]!) currentOf[u] = r;
  }
  const servedOf = (u: number): number => {
    const c = currentOf[u]!;
    return c >= 0 && (revFlags[c]! & revFlag.kindMask) !== 1 ? c : -1;
  };
  for (let u = 0; u < u0; u++) {
    const c = currentOf[u]!;
    if (c < 0) continue;
    revFlags[c]! |= revFlag.current;
    if (servedOf(u) === c) revFlags[c]! |= revFlag.served;
  }

  // 3. Prerequisite clauses and bundle groups of served revisions, resolved to dense indices. Alternatives that
  //    are not served here are dropped (an empty clause or group = a dangling reference).
  const missing = new Map<number, { reason: UndeliverableRevision['reason']; ids: string[] }>();
  let clauseCount = 0;
  let altCount = 0;
  let groupCount = 0;
  let memberCount = 0;
  for (let r = 0; r < n; r++) {
    if (!(revFlags[r]! & revFlag.served)) continue;
    const c0 = input.clauseStart[r]!;
    const c1 = input.clauseStart[r + 1]!;
    clauseCount += c1 - c0;
    altCount += input.clauseAltStart[c1]! - input.clauseAltStart[c0]!;
    const g0 = input.groupStart[r]!;
    const g1 = input.groupStart[r + 1]!;
    groupCount += g1 - g0;
    memberCount += input.groupAltStart[g1]! - input.groupAltStart[g0]!;
  }
  const clauseStart = new Int32Array(n + 1);
  const clauseAltStart = new Int32Array(clauseCount + 1);
  let clauseAlt = new Int32Array(altCount);
  const clauseOwner = new Int32Array(clauseCount);
  const clauseIsCategory = new Uint8Array(clauseCount);
  const groupStart = new Int32Array(n + 1);
  const groupAltStart = new Int32Array(groupCount + 1);
  let groupAlt = new Int32Array(memberCount);
  const updFlags = new Uint8Array(u0);
  const resolve = (name: number): number => {
    const u = updateOfName[name]!;
    return u < 0 ? -1 : servedOf(u);
  };
  const namesOf = (from: number, to: number, alts: Int32Array): string[] =>
    Array.from(alts.subarray(from, to), (x) => names[x]!);
  let c = 0;
  let a = 0;
  let grpI = 0;
  let m = 0;
  for (let r = 0; r < n; r++) {
    clauseStart[r] = c;
    groupStart[r] = grpI;
    if (!(revFlags[r]! & revFlag.served)) continue;
    for (let ic = input.clauseStart[r]!; ic < input.clauseStart[r + 1]!; ic++) {
      const i0 = input.clauseAltStart[ic]!;
      const i1 = input.clauseAltStart[ic + 1]!;
      clauseOwner[c] = r;
      clauseIsCategory[c] = input.clauseIsCategory[ic]!;
      clauseAltStart[c] = a;
      const from = a;
      for (let k = i0; k < i1; k++) {
        const s = resolve(input.clauseAlt[k]!);
        if (s < 0) continue;
        const u = updateOf[s]!;
        // Duplicate alternatives are harmless downstream; only short clauses are checked (no quadratic input).
        let dup = false;
        if (i1 - i0 <= 16) for (let q = from; q < a && !dup; q++) dup = clauseAlt[q] === u;
        if (!dup) clauseAlt[a++] = u;
      }
      if (a === from && !missing.has(r))
        missing.set(r, { reason: 'missing-prerequisite', ids: namesOf(i0, i1, input.clauseAlt) });
      c++;
    }
    const g0 = input.groupStart[r]!;
    const g1 = input.groupStart[r + 1]!;
    for (let ig = g0; ig < g1; ig++) {
      const i0 = input.groupAltStart[ig]!;
      const i1 = input.groupAltStart[ig + 1]!;
      groupAltStart[grpI] = m;
      const from = m;
      for (let k = i0; k < i1; k++) {
        // We serve one revision per update; a bundle naming an older revision of a member gets the current one,
        // which is the only one a client can receive from this generation.
        const s = resolve(input.groupAlt[k]!);
        if (s >= 0 && s !== r) groupAlt[m++] = s;
      }
      if (m === from && !missing.has(r))
        missing.set(r, { reason: 'missing-bundle-member', ids: namesOf(i0, i1, input.groupAlt) });
      grpI++;
    }
    if (g1 > g0) revFlags[r]! |= revFlag.bundleParent;
  }
  clauseStart[n] = c;
  clauseAltStart[c] = a;
  groupStart[n] = grpI;
  groupAltStart[grpI] = m;
  if (a < clauseAlt.length) clauseAlt = clauseAlt.slice(0, a);
  if (m < groupAlt.length) groupAlt = groupAlt.slice(0, m);
  for (let k = 0; k < a; k++) updFlags[clauseAlt[k]!]! |= updFlag.nonLeaf;
  for (let k = 0; k < m; k++) updFlags[updateOf[groupAlt[k]!]!]! |= updFlag.bundleMember;

  // 4. Clause transpose (update -> clauses naming it), used for the satisfiability pass and filters.
  const occStart = new Int32Array(u0 + 1);
  for (let k = 0; k < a; k++) occStart[clauseAlt[k]! + 1]!++;
  for (let u = 0; u < u0; u++) occStart[u + 1]! += occStart[u]!;
  const occ = new Int32Array(a);
  const fillAt = occStart.slice(0, u0);
  for (let cl = 0; cl < c; cl++)
    for (let k = clauseAltStart[cl]!; k < clauseAltStart[cl + 1]!; k++) occ[fillAt[clauseAlt[k]!]!++] = cl;

  // 5. Deliverability and depth within the catalog.
  const servedMask = new Uint8Array(n);
  for (let r = 0; r < n; r++) if (revFlags[r]! & revFlag.served) servedMask[r] = 1;
  const depth = new Uint16Array(n);
  const graph = { updateOf, clauseStart, clauseOwner, occStart, occ, groupStart, groupAltStart, groupAlt };
  const ok = satisfiableSet(graph, servedMask, depth);
  const undeliverable: UndeliverableRevision[] = [];
  let maxDepth = 0;
  let deliverableCount = 0;
  for (let r = 0; r < n; r++) {
    if (ok[r] === 1) {
      revFlags[r]! |= revFlag.deliverable;
      deliverableCount++;
      if (depth[r]! > maxDepth) maxDepth = depth[r]!;
      continue;
    }
    depth[r] = 0xffff;
    if (servedMask[r] === 0) continue;
    const why = missing.get(r);
    undeliverable.push({
      revisionId: revisionIds[r]!,
      updateId: updateNames[updateOf[r]!]!,
      revisionNumber: revisionNumbers[r]!,
      reason: why?.reason ?? 'undeliverable-dependency',
      missingUpdateIds: why?.ids ?? [],
    });
  }

  // 6. Delivery order: non-leaf first (they unlock the next round), then depth, then revision id.
  const keys = new Float64Array(deliverableCount);
  let kI = 0;
  for (let r = 0; r < n; r++) {
    if (ok[r] !== 1) continue;
    const leaf = (updFlags[updateOf[r]!]! & updFlag.nonLeaf) === 0 ? 1 : 0;
    keys[kI++] = leaf * 2 ** 47 + depth[r]! * 2 ** 31 + revisionIds[r]!;
  }
  keys.sort();
  const rank = new Int32Array(n).fill(notRanked);
  const ordered = new Int32Array(deliverableCount);
  for (let i = 0; i < deliverableCount; i++) {
    const r = lookup.find(keys[i]! % 2 ** 31);
    rank[r] = i;
    ordered[i] = r;
  }

  // 7. Candidate lists: each deliverable revision is filed under every alternative of ONE "key" clause, the
  //    one whose alternatives are named least often, so a client that lacks a rare prerequisite (an
  //    architecture detectoid) never makes the delivery pass walk the revisions gated on it. Ties prefer
  //    non-category clauses: products and classifications are named by almost everything.
  const keyClause = new Int32Array(n).fill(-1);
  const keyedStart = new Int32Array(u0 + 1);
  let rootCount = 0;
  for (let i = 0; i < deliverableCount; i++) {
    const r = ordered[i]!;
    let best = -1;
    let bestCost = Infinity;
    for (let cl = clauseStart[r]!; cl < clauseStart[r + 1]!; cl++) {
      let cost = clauseIsCategory[cl] === 1 ? 0.5 : 0;
      for (let k = clauseAltStart[cl]!; k < clauseAltStart[cl + 1]!; k++) {
        const u = clauseAlt[k]!;
        cost += occStart[u + 1]! - occStart[u]!;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = cl;
      }
    }
    keyClause[r] = best;
    if (best < 0) rootCount++;
    else
      for (let k = clauseAltStart[best]!; k < clauseAltStart[best + 1]!; k++)
        keyedStart[clauseAlt[k]! + 1]!++;
  }
  for (let u = 0; u < u0; u++) keyedStart[u + 1]! += keyedStart[u]!;
  const keyed = new Int32Array(keyedStart[u0]!);
  const keyedFill = keyedStart.slice(0, u0);
  const roots = new Int32Array(rootCount);
  let rootI = 0;
  for (let i = 0; i < deliverableCount; i++) {
    const r = ordered[i]!;
    const best = keyClause[r]!;
    if (best < 0) roots[rootI++] = r;
    else
      for (let k = clauseAltStart[best]!; k < clauseAltStart[best + 1]!; k++)
        keyed[keyedFill[clauseAlt[k]!]!++] = r;
  }

  return new CatalogIndex({
    revisionIds,
    revisionNumbers,
    updateOf,
    lastChange,
    revFlags,
    depth,
    rank,
    clauseStart,
    clauseAltStart,
    clauseAlt,
    clauseOwner,
    clauseIsCategory,
    groupStart,
    groupAltStart,
    groupAlt,
    occStart,
    occ,
    keyedStart,
    keyed,
    roots,
    guidWords,
    guidOrder,
    currentOf,
    updFlags,
    lookup,
    undeliverable,
    maxDepth,
    buildMs: performance.now() - started,
  });
}
