/**
 * SYNTHETIC catalogs shaped like a real WSUS catalog (docs/protocol/client.md §1.6, docs/protocol/update-xml.md §3.6; the wsus-m0 captures): a company
 * category, product families, products (some with a sub-product level, for deep IsCategory chains),
 * classifications, root detectoids, product-specific detectoids gated on their product, leaves with 2-4
 * prerequisite clauses, ~1 % bundles with groups of up to ~100 alternatives, a few expired revisions and
 * superseded revision numbers. Deterministic for a seed. Used by the catalog tests and bench/delivery.bench.ts.
 */
import type { CatalogRevisionInput } from '../../src/catalog/index.js';

export interface SyntheticCatalogOptions {
  readonly revisions: number;
  readonly seed?: number;
  readonly products?: number;
  /** Fraction of revisions that are bundle parents. */
  readonly bundleRate?: number;
}

export interface SyntheticCatalog {
  readonly records: CatalogRevisionInput[];
  readonly companyId: string;
  readonly familyIds: string[];
  readonly productIds: string[];
  /** Sub-products (depth 3 category chain) by product index. */
  readonly subProductIds: string[];
  readonly classificationIds: string[];
  readonly rootDetectoidIds: string[];
  /** Product-specific detectoids by product index. */
  readonly productDetectoidIds: string[][];
  /** Software update ids by product index (leaves, bundle members and bundle parents). */
  readonly softwareByProduct: string[][];
  readonly bundleParentIds: string[];
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A GUID from a counter and a salt: unique, deterministic, readable in failures. */
export function syntheticGuid(n: number, salt = 0x5e): string {
  const h = (n >>> 0).toString(16).padStart(8, '0');
  const s = (salt & 0xffff).toString(16).padStart(4, '0');
  return `${h}-${s}-4000-8000-${((n * 2654435761) >>> 0).toString(16).padStart(12, '0')}`;
}

export function buildSyntheticCatalog(opts: SyntheticCatalogOptions): SyntheticCatalog {
  const rnd = mulberry32(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const records: CatalogRevisionInput[] = [];
  let guidN = 1;
  let revisionId = 1000;
  const day = Date.UTC(2026, 9, 4);
  const nextRevisionId = (): number => {
    revisionId += rnd() < 0.1 ? 2 + Math.floor(rnd() * 5) : 1; // never-reused ids leave gaps
    return revisionId;
  };
  const add = (
    updateId: string,
    kind: CatalogRevisionInput['kind'],
    prerequisites: CatalogRevisionInput['prerequisites'],
    extra: Partial<CatalogRevisionInput> = {},
  ): void => {
    records.push({
      revisionId: nextRevisionId(),
      updateId,
      revisionNumber: 200,
      kind,
      prerequisites,
      expired: false,
      lastChangeAt: day,
      ...extra,
    });
  };
  const cat = (id: string) => ({ isCategory: true, anyOf: [id] });
  const req = (id: string) => ({ isCategory: false, anyOf: [id] });

  const companyId = syntheticGuid(guidN++);
  add(companyId, 'category', []);
  const familyIds = Array.from({ length: 5 }, () => syntheticGuid(guidN++));
  for (const f of familyIds) add(f, 'category', [cat(companyId)]);
  const productCount = opts.products ?? 200;
  const productIds = Array.from({ length: productCount }, () => syntheticGuid(guidN++));
  for (const p of productIds) add(p, 'category', [cat(pick(familyIds))]);
  const subProductIds = productIds.map(() => syntheticGuid(guidN++));
  subProductIds.forEach((s, i) => add(s, 'category', [cat(productIds[i]!)]));
  const classificationIds = Array.from({ length: 12 }, () => syntheticGuid(guidN++));
  for (const c of classificationIds) add(c, 'category', []);

  const detectoidCount = Math.max(20, Math.floor(opts.revisions * 0.01));
  const rootDetectoidIds = Array.from({ length: Math.max(10, Math.floor(detectoidCount / 10)) }, () =>
    syntheticGuid(guidN++),
  );
  for (const d of rootDetectoidIds) add(d, 'detectoid', []);
  const productDetectoidIds: string[][] = productIds.map(() => []);
  const perProduct = Math.max(1, Math.floor((detectoidCount - rootDetectoidIds.length) / productCount));
  productIds.forEach((p, i) => {
    for (let k = 0; k < perProduct; k++) {
      const d = syntheticGuid(guidN++);
      productDetectoidIds[i]!.push(d);
      // Product detectoids need their product and an architecture-style root detectoid.
      add(d, 'detectoid', [req(p), req(pick(rootDetectoidIds))]);
    }
  });

  const softwareByProduct: string[][] = productIds.map(() => []);
  const bundleParentIds: string[] = [];
  const bundleRate = opts.bundleRate ?? 0.01;
  while (records.length < opts.revisions) {
    const pi = Math.floor(rnd() * productCount);
    const product = rnd() < 0.2 ? subProductIds[pi]! : productIds[pi]!;
    const clauses = [cat(product), cat(pick(classificationIds))];
    const dets = productDetectoidIds[pi]!;
    const extraClauses = Math.floor(rnd() * 3); // 2-4 clauses
    for (let k = 0; k < extraClauses; k++)
      clauses.push(k === 0 && dets.length > 0 ? req(pick(dets)) : req(pick(rootDetectoidIds)));
    const id = syntheticGuid(guidN++);
    softwareByProduct[pi]!.push(id);
    if (rnd() < bundleRate && softwareByProduct[pi]!.length > 8) {
      // A bundle over earlier leaves of the same product: 1-4 groups of 1..~100 alternatives.
      const pool = softwareByProduct[pi]!.slice(0, -1);
      const groups = 1 + Math.floor(rnd() * 4);
      const bundledUpdates = Array.from({ length: groups }, () => {
        const size = 1 + Math.floor(rnd() ** 3 * Math.min(100, pool.length));
        const anyOf = Array.from({ length: size }, () => ({ updateId: pick(pool), revisionNumber: 200 }));
        return { anyOf };
      });
      add(id, 'software', clauses, { bundledUpdates });
      bundleParentIds.push(id);
      continue;
    }
    const roll = rnd();
    if (roll < 0.01) {
      // An expired older revision beside the current one.
      add(id, 'software', clauses, { revisionNumber: 100, expired: true });
      add(id, 'software', clauses, { revisionNumber: 200 });
    } else if (roll < 0.02) {
      // Two live revisions: 201 replaces 200.
      add(id, 'software', clauses, { revisionNumber: 200 });
      add(id, 'software', clauses, { revisionNumber: 201 });
    } else add(id, 'software', clauses);
  }
  return {
    records,
    companyId,
    familyIds,
    productIds,
    subProductIds,
    classificationIds,
    rootDetectoidIds,
    productDetectoidIds,
    softwareByProduct,
    bundleParentIds,
  };
}
