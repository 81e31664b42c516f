/**
 * P1/P5 (targets.md) for the pure SyncUpdates delivery algorithm and the catalog index.
 *
 * Catalog: SYNTHETIC, shaped like the real one (test/helpers/synthetic-catalog.ts): 100k revisions (quick: 10k),
 * 200 products with a sub-product level, ~1 % detectoids, leaves with 2-4 clauses, ~1 % bundles with up to ~100
 * alternatives; 3,000 install approvals (a third with deadlines) and 500 declines in the client's scope.
 * Requests: a simulated Windows client (test/helpers/simulated-client.ts) runs a full first scan, and every
 * request it sent is replayed (installed non-leaf ids ~100, cached ids growing to ~1,300 as in the native flow
 * capture); plus the steady-state request of a client that already holds everything.
 *
 * Figures, each beside its same-run anchor:
 *   - pages/s of `syncUpdates` over the scan's requests; anchor: building a JS Set of the same I ∪ O ids per
 *     request (the least any algorithm that honours "never resend I ∪ O" does per call).
 *   - pages/s for the steady-state request (nothing new), same anchor over that request.
 *   - index build time; anchor: interning the same update ids into a Map<string, number>.
 *   - index memory (heapUsed + arrayBuffers after GC, per revision); anchor: the 100-byte P5 budget (a constant,
 *     not a measurement), ratio = budget / value. Full mode also builds a 500k-revision index.
 * Run: `npx tsx bench/delivery.bench.ts [--quick]`.
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  buildCatalogIndex,
  compileScope,
  syncUpdates,
  type CatalogIndex,
  type DeliveryRequest,
} from '../src/catalog/index.js';
import { SimulatedClient } from '../test/helpers/simulated-client.js';
import { buildSyntheticCatalog, mulberry32 } from '../test/helpers/synthetic-catalog.js';
import { formatResult, type BenchResult } from './lib/result.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { heap: number; arrayBuffers: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/** Runs `fn` over `items` repeatedly for about `ms` (after an equal warm-up); returns items per second. */
function rate<T>(items: readonly T[], fn: (item: T) => unknown, ms: number): number {
  let sink = 0;
  const loop = (budget: number): number => {
    const start = performance.now();
    let done = 0;
    while (performance.now() - start < budget) {
      for (const it of items) {
        const r = fn(it);
        if (r !== undefined) sink++;
      }
      done += items.length;
    }
    return done / ((performance.now() - start) / 1000);
  };
  loop(ms / 2);
  const r = loop(ms);
  if (sink < 0) console.error(sink);
  return r;
}

function setOf(req: DeliveryRequest): Set<number> {
  const s = new Set<number>(req.installedNonLeafRevisionIds);
  for (const id of req.otherCachedRevisionIds ?? []) s.add(id);
  return s;
}

/** Bytes of the arrays whose length follows the number of clauses, alternatives and bundle members. */
function edgeBytes(ix: CatalogIndex): number {
  return (
    ix.clauseAltStart.byteLength +
    ix.clauseAlt.byteLength +
    ix.clauseOwner.byteLength +
    ix.clauseIsCategory.byteLength +
    ix.occ.byteLength +
    ix.groupAltStart.byteLength +
    ix.groupAlt.byteLength +
    ix.keyed.byteLength
  );
}

interface MemoryFigures {
  readonly perRevision: number;
  readonly edges: number;
  readonly typed: number;
  readonly buildMs: number;
  readonly internMs: number;
  readonly index: CatalogIndex;
}

async function measureMemory(revisions: number): Promise<MemoryFigures> {
  const cat = buildSyntheticCatalog({ revisions, seed: 42 });
  const before = memory();
  const index = buildCatalogIndex(cat.records);
  const after = memory();
  // The index is typed arrays (arrayBuffers); its few JS objects hide in heap noise (the generator's garbage can
  // make the heap delta negative), so a negative heap delta counts as zero.
  const delta = after.arrayBuffers - before.arrayBuffers + Math.max(0, after.heap - before.heap);
  const t = performance.now();
  const interned = new Map<string, number>();
  for (const r of cat.records)
    if (!interned.has(r.updateId)) interned.set(r.updateId.toLowerCase(), interned.size);
  const internMs = performance.now() - t;
  await Promise.resolve();
  return {
    perRevision: delta / revisions,
    edges: edgeBytes(index) / revisions,
    typed: index.bytes() / revisions,
    buildMs: index.buildMs,
    internMs,
    index,
  };
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const revisions = opts.quick ? 10_000 : 100_000;
  const ms = opts.quick ? 300 : 3000;
  const results: BenchResult[] = [];

  const mem = await measureMemory(revisions);
  const index = mem.index;
  const cat = buildSyntheticCatalog({ revisions, seed: 42 });
  const rnd = mulberry32(9);
  const software = cat.softwareByProduct.flat();
  const approvals = Array.from({ length: Math.min(3000, software.length / 4) }, (_, i) => ({
    updateId: software[Math.floor(rnd() * software.length)]!,
    decision: 'install' as const,
    deadlineAt: i % 3 === 0 ? Date.UTC(2026, 10, 1) : undefined,
    deploymentId: 0x40000000 + i,
    changeSeq: 1 + i,
    lastChangeAt: Date.UTC(2026, 9, 5),
  }));
  const declined = Array.from({ length: 500 }, () => software[Math.floor(rnd() * software.length)]!);
  const scope = compileScope(index, {
    anchor: approvals.length,
    deployments: approvals,
    declinedUpdateIds: declined,
  });

  // The client: 4 of the 200 products installed (with their detectoids) and 15 root detectoids.
  const products = new Set([0, 1, 2, 3].flatMap((i) => [cat.productIds[i]!, cat.subProductIds[i]!]));
  const productCats = new Set([...cat.productIds, ...cat.subProductIds]);
  const dets = new Set([0, 1, 2, 3].flatMap((i) => cat.productDetectoidIds[i]!));
  const roots = new Set(cat.rootDetectoidIds.slice(0, 15));
  const client = new SimulatedClient({
    call: (req) => syncUpdates(index, scope, req),
    facts: (id) => index.describe(id),
    isInstalled: (f) =>
      f.kind === 'category'
        ? !productCats.has(f.updateId) || products.has(f.updateId)
        : f.kind === 'detectoid' && (dets.has(f.updateId) || roots.has(f.updateId)),
  });
  const scan = await client.scan();
  const requests = scan.requests;
  const steady = client.request();
  const inst = steady.installedNonLeafRevisionIds?.length ?? 0;
  const other = steady.otherCachedRevisionIds?.length ?? 0;

  const pages = rate(requests, (r) => syncUpdates(index, scope, r), ms);
  const anchorSets = rate(requests, setOf, ms);
  const us = 1e6 / pages;
  results.push({
    id: 'P1',
    name: `syncUpdates pages/s over a full first scan (${requests.length} pages, ${scan.delivered.length} updates; ${revisions / 1000}k-revision index, ${approvals.length} approvals; ${us.toFixed(1)} us/page)`,
    value: pages,
    unit: 'pages/s',
    anchor: anchorSets,
    anchorName: 'Set of the same I+O ids per request',
    ratio: pages / anchorSets,
    target: 'well under 1 ms/page (>= 10,000 pages/s)',
    pass: us < 1000,
  });
  const steadyPages = rate([steady], (r) => syncUpdates(index, scope, r), ms);
  const steadyAnchor = rate([steady], setOf, ms);
  results.push({
    id: 'P1',
    name: `syncUpdates pages/s, steady state (${inst} installed + ${other} cached ids, nothing new; ${(1e6 / steadyPages).toFixed(1)} us/page)`,
    value: steadyPages,
    unit: 'pages/s',
    anchor: steadyAnchor,
    anchorName: 'Set of the same I+O ids',
    ratio: steadyPages / steadyAnchor,
    target: 'well under 1 ms/page',
    pass: steadyPages > 1000,
  });
  results.push({
    id: 'P5',
    name: `index build time, ${revisions / 1000}k revisions (lower is better; ratio = anchor/value)`,
    value: mem.buildMs,
    unit: 'ms',
    anchor: mem.internMs,
    anchorName: 'interning the update ids into a Map',
    ratio: mem.internMs / mem.buildMs,
    target: 'a few seconds for 500k',
  });
  const memSizes = opts.quick ? [] : [500_000];
  for (const [n, m] of [[revisions, mem] as const, ...memSizes.map((n) => [n, undefined] as const)]) {
    const r = m ?? (await measureMemory(n));
    results.push({
      id: 'P5',
      name: `index memory per revision, ${n / 1000}k revisions, edges included (of which edges ${r.edges.toFixed(1)} B, per-revision arrays ${(r.perRevision - r.edges).toFixed(1)} B; build ${r.buildMs.toFixed(0)} ms) (lower is better; ratio = budget/value)`,
      value: r.perRevision,
      unit: 'B/revision',
      anchor: 100,
      anchorName: 'P5 budget (constant)',
      ratio: 100 / r.perRevision,
      target: '<= 100 B/revision plus edges',
      pass: r.perRevision - r.edges <= 100,
    });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
