import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCatalogIndex,
  compileScope,
  syncUpdates,
  type CatalogIndex,
  type CatalogRevisionInput,
  type ClientScope,
} from '../../../src/catalog/index.js';
import { AppError } from '../../../src/errors.js';
import { SimulatedClient, type SimulatedRevisionFacts } from '../../helpers/simulated-client.js';
import { buildSyntheticCatalog, syntheticGuid } from '../../helpers/synthetic-catalog.js';

// SYNTHETIC catalogs (test/helpers/synthetic-catalog.ts), not captured data.
const day = Date.UTC(2026, 9, 4);

function rec(
  revisionId: number,
  updateId: string,
  kind: CatalogRevisionInput['kind'],
  prereqs: string[][] = [],
  extra: Partial<CatalogRevisionInput> = {},
): CatalogRevisionInput {
  return {
    revisionId,
    updateId,
    revisionNumber: 200,
    kind,
    prerequisites: prereqs.map((anyOf) => ({ isCategory: false, anyOf })),
    expired: false,
    lastChangeAt: day,
    ...extra,
  };
}

function client(
  ix: CatalogIndex,
  scope: ClientScope,
  extra: Partial<ConstructorParameters<typeof SimulatedClient>[0]> = {},
) {
  return new SimulatedClient({
    call: (req) => syncUpdates(ix, scope, req),
    facts: (id) => ix.describe(id),
    ...extra,
  });
}

/**
 * Independent oracle: the current revisions a client with `installed` evaluation can ever receive, by a naive
 * fixpoint straight over the input records (no index code involved).
 */
function receivable(
  records: readonly CatalogRevisionInput[],
  isInstalled: (f: SimulatedRevisionFacts) => boolean,
  declined = new Set<string>(),
): Set<number> {
  const current = new Map<string, CatalogRevisionInput>();
  for (const r of records) {
    if (r.expired || r.kind === 'driver') continue;
    const c = current.get(r.updateId);
    if (!c || c.revisionNumber < r.revisionNumber) current.set(r.updateId, r);
  }
  const named = new Set<string>();
  for (const r of current.values()) for (const c of r.prerequisites) for (const id of c.anyOf) named.add(id);
  const got = new Set<number>();
  const installed = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const r of current.values()) {
      if (got.has(r.revisionId) || declined.has(r.updateId)) continue;
      if (!r.prerequisites.every((c) => c.anyOf.some((id) => installed.has(id)))) continue;
      got.add(r.revisionId);
      if (
        named.has(r.updateId) &&
        isInstalled({ updateId: r.updateId, kind: r.kind, prerequisites: r.prerequisites })
      )
        installed.add(r.updateId);
      changed = true;
    }
  }
  return got;
}

void test('100k synthetic catalog: a full first scan stays under 200 calls, gated, nothing resent, all receivable delivered once', async () => {
  const cat = buildSyntheticCatalog({ revisions: 100_000, seed: 7 });
  const ix = buildCatalogIndex(cat.records);
  assert.deepEqual(ix.undeliverable, []);
  // This client has 4 of the 200 products (and their sub-products and detectoids) and 15 of the 100 root detectoids.
  const products = new Set([0, 1, 2, 3].flatMap((i) => [cat.productIds[i]!, cat.subProductIds[i]!]));
  const dets = new Set([0, 1, 2, 3].flatMap((i) => cat.productDetectoidIds[i]!));
  const roots = new Set(cat.rootDetectoidIds.slice(0, 15));
  const isInstalled = (f: SimulatedRevisionFacts): boolean =>
    f.kind === 'category'
      ? !cat.productIds.includes(f.updateId) && !cat.subProductIds.includes(f.updateId)
        ? true
        : products.has(f.updateId)
      : f.kind === 'detectoid'
        ? dets.has(f.updateId) || roots.has(f.updateId)
        : false;
  const scope = compileScope(ix, { anchor: 0 });
  const c = client(ix, scope, { isInstalled });
  const report = await c.scan();
  const expected = receivable(cat.records, isInstalled);
  const got = report.delivered.map((d) => d.revisionId);
  assert.equal(new Set(got).size, got.length, 'a revision arrived twice');
  assert.deepEqual(new Set(got), expected);
  assert.ok(expected.size > 1_000, `scope too small to mean anything: ${expected.size}`);
  assert.ok(report.calls < 200, `calls ${report.calls}`);
  const installedCount = [...c.cache.values()].filter((x) => x.installed).length;
  assert.ok(installedCount < 400, `installed non-leaf ${installedCount} would break the 400 cap`);
  // Deep chains: sub-product leaves need company -> family -> product -> sub-product.
  assert.ok(ix.maxDepth >= 4);
  for (const d of report.delivered) {
    const f = ix.describe(d.revisionId)!;
    if (f.kind !== 'software') assert.equal(d.deployment.action, 'Evaluate');
    else if (f.isBundleMember) assert.equal(d.deployment.action, 'Bundle');
    else assert.equal(d.deployment.action, 'PreDeploymentCheck');
  }
});

void test('declines and approvals between scans: OutOfScope for declined, ChangedUpdates after the anchor, new anchor', async () => {
  const cat = buildSyntheticCatalog({ revisions: 3_000, seed: 3, products: 10 });
  const ix = buildCatalogIndex(cat.records);
  const scope1 = compileScope(ix, { anchor: 10 });
  const c = client(ix, scope1, { pageSize: 100 });
  const first = await c.scan();
  assert.equal(c.anchor, 10);
  assert.equal(first.changed.length, 0);
  const software = first.delivered
    .map((d) => ix.describe(d.revisionId)!)
    .filter((f) => f.kind === 'software' && !f.isBundleMember);
  const [declineA, declineB, approveA, approveB, oldApproval] = software;
  assert.ok(declineA && declineB && approveA && approveB && oldApproval);
  const scope2 = compileScope(ix, {
    anchor: 20,
    declinedUpdateIds: [declineA.updateId],
    deployments: [
      {
        updateId: declineB.updateId,
        decision: 'declined',
        deploymentId: 0,
        changeSeq: 12,
        lastChangeAt: day,
      },
      {
        updateId: approveA.updateId,
        decision: 'install',
        deadlineAt: day + 86_400_000,
        deploymentId: 2_000_001,
        changeSeq: 15,
        lastChangeAt: day + 3_600_000,
      },
      {
        updateId: approveB.updateId,
        decision: 'uninstall',
        deploymentId: 2_000_002,
        changeSeq: 20,
        lastChangeAt: day,
      },
      // Changed before the client's anchor: not reported again.
      {
        updateId: oldApproval.updateId,
        decision: 'install',
        deploymentId: 2_000_003,
        changeSeq: 9,
        lastChangeAt: day,
      },
    ],
  });
  const c2 = new SimulatedClient({
    call: (req) => syncUpdates(ix, scope2, req),
    facts: (id) => ix.describe(id),
    pageSize: 100,
  });
  for (const [k, v] of c.cache) c2.cache.set(k, v);
  c2.anchor = c.anchor;
  const second = await c2.scan();
  assert.deepEqual(new Set(second.outOfScope), new Set([declineA.revisionId, declineB.revisionId]));
  assert.deepEqual(
    second.changed
      .map((x) => [x.revisionId, x.deployment.action, x.deployment.deadlineAt, x.deployment.id])
      .sort(),
    [
      [approveA.revisionId, 'Install', day + 86_400_000, 2_000_001],
      [approveB.revisionId, 'Uninstall', undefined, 2_000_002],
    ].sort(),
  );
  assert.equal(second.delivered.length, 0);
  assert.equal(c2.anchor, 20);
  // The next call with the new anchor reports nothing again.
  const third = syncUpdates(ix, scope2, c2.request());
  assert.deepEqual(
    [third.changedUpdates.length, third.outOfScopeRevisionIds.length, third.newUpdates.length],
    [0, 0, 0],
  );
  // The driver pass keeps the anchor it was given (it reports no ChangedUpdates).
  assert.equal(syncUpdates(ix, scope2, { ...c.request(), skipSoftwareSync: true }).anchor, 10);
  // Undeclining brings the update back as a new revision.
  const scope3 = compileScope(ix, { anchor: 21 });
  const back = syncUpdates(ix, scope3, c2.request());
  assert.deepEqual(
    back.newUpdates.map((u) => u.revisionId).sort(),
    [declineA.revisionId, declineB.revisionId].sort(),
  );
});

void test('a newer revision replaces the cached one: old id out of scope, new id delivered; expired never offered', async () => {
  const company = syntheticGuid(1);
  const leaf = syntheticGuid(2);
  const gone = syntheticGuid(3);
  const gen1 = [
    rec(10, company, 'category'),
    rec(11, leaf, 'software', [[company]]),
    rec(12, gone, 'software', [[company]]),
  ];
  const ix1 = buildCatalogIndex(gen1);
  const c = client(ix1, compileScope(ix1, { anchor: 0 }));
  await c.scan();
  assert.deepEqual([...c.cache.keys()].sort(), [10, 11, 12]);
  const gen2 = [
    ...gen1.filter((r) => r.revisionId !== 12),
    rec(12, gone, 'software', [[company]], { expired: true }),
    rec(20, leaf, 'software', [[company]], { revisionNumber: 201 }),
  ];
  const ix2 = buildCatalogIndex(gen2);
  const scope2 = compileScope(ix2, { anchor: 0 });
  const r = syncUpdates(ix2, scope2, { ...c.request(), otherCachedRevisionIds: [11, 12, 999_999] });
  assert.deepEqual(
    [...r.outOfScopeRevisionIds].sort((a, b) => a - b),
    [11, 12, 999_999],
  );
  assert.deepEqual(
    r.newUpdates.map((u) => u.revisionId),
    [20],
  );
  assert.equal(ix2.describe(11)?.current, false);
  assert.equal(ix2.describe(12)?.served, false);
});

void test('dangling and cyclic prerequisites are reported and never offered; dependents of them too', async () => {
  const company = syntheticGuid(1);
  const [a, b, c, d, e] = [2, 3, 4, 5, 6].map((n) => syntheticGuid(n));
  const missing = syntheticGuid(99);
  const recs = [
    rec(1, company, 'category'),
    rec(2, a!, 'detectoid', [[company], [missing]]),
    rec(3, b!, 'software', [[a!]]),
    rec(4, c!, 'detectoid', [[d!]]),
    rec(5, d!, 'detectoid', [[c!]]),
    rec(6, e!, 'software', [[company], [missing, company]]), // an OR clause with one live alternative is fine
  ];
  const ix = buildCatalogIndex(recs);
  const reasons = Object.fromEntries(ix.undeliverable.map((u) => [u.revisionId, u.reason]));
  assert.deepEqual(reasons, {
    2: 'missing-prerequisite',
    3: 'undeliverable-dependency',
    4: 'undeliverable-dependency',
    5: 'undeliverable-dependency',
  });
  assert.deepEqual(ix.undeliverable.find((u) => u.revisionId === 2)?.missingUpdateIds, [missing]);
  const report = await client(ix, compileScope(ix, { anchor: 0 })).scan();
  assert.deepEqual(report.delivered.map((x) => x.revisionId).sort(), [1, 6]);
});

void test('ids in OtherCached do not satisfy prerequisites; installed ones do', () => {
  const company = syntheticGuid(1);
  const det = syntheticGuid(2);
  const leaf = syntheticGuid(3);
  const ix = buildCatalogIndex([
    rec(1, company, 'category'),
    rec(2, det, 'detectoid', [[company]]),
    rec(3, leaf, 'software', [[company], [det]]),
  ]);
  const scope = compileScope(ix, { anchor: 0 });
  assert.deepEqual(
    syncUpdates(ix, scope, {}).newUpdates.map((u) => u.revisionId),
    [1],
  );
  assert.deepEqual(
    syncUpdates(ix, scope, { installedNonLeafRevisionIds: [1] }).newUpdates.map((u) => u.revisionId),
    [2],
  );
  const notInstalled = syncUpdates(ix, scope, {
    installedNonLeafRevisionIds: [1],
    otherCachedRevisionIds: [2],
  });
  assert.deepEqual(notInstalled.newUpdates, []);
  assert.equal(notInstalled.truncated, false);
  assert.deepEqual(
    syncUpdates(ix, scope, { installedNonLeafRevisionIds: [1, 2] }).newUpdates.map((u) => u.revisionId),
    [3],
  );
});

function flatCatalog(leaves: number): CatalogRevisionInput[] {
  return Array.from({ length: leaves }, (_, i) => rec(100 + i, syntheticGuid(1000 + i), 'software'));
}

void test('paging edge cases: 0, exactly 30, 31, page size clamp, max non-leaf per page', () => {
  for (const [n, pages] of [
    [0, [[0, false]]],
    [30, [[30, false]]],
    [
      31,
      [
        [30, true],
        [1, false],
      ],
    ],
  ] as const) {
    const ix = buildCatalogIndex(flatCatalog(n));
    const scope = compileScope(ix, { anchor: 0 });
    const other: number[] = [];
    const seen: [number, boolean][] = [];
    for (let i = 0; i < pages.length; i++) {
      const r = syncUpdates(ix, scope, { otherCachedRevisionIds: other });
      seen.push([r.newUpdates.length, r.truncated]);
      other.push(...r.newUpdates.map((u) => u.revisionId));
    }
    assert.deepEqual(
      seen,
      pages.map((p) => [...p]),
      `n=${n}`,
    );
  }
  const ix = buildCatalogIndex(flatCatalog(250));
  const scope = compileScope(ix, { anchor: 0 });
  assert.equal(syncUpdates(ix, scope, { pageSize: 1000 }).newUpdates.length, 200);
  assert.equal(syncUpdates(ix, scope, { pageSize: 0 }).newUpdates.length, 1);
  assert.equal(syncUpdates(ix, scope, {}).newUpdates.length, 30);
  // Deterministic order: revision id within the same depth.
  assert.deepEqual(
    syncUpdates(ix, scope, { pageSize: 3 }).newUpdates.map((u) => u.revisionId),
    [100, 101, 102],
  );
  // Non-leaf first, and capped per page when asked.
  const company = syntheticGuid(1);
  const cats = Array.from({ length: 5 }, (_, i) => syntheticGuid(10 + i));
  const recs = [
    rec(1, company, 'category'),
    ...cats.map((id, i) => rec(50 + i, id, 'category')),
    ...cats.map((id, i) => rec(60 + i, syntheticGuid(30 + i), 'software', [[id]])),
    rec(70, syntheticGuid(40), 'software'),
  ];
  const ix2 = buildCatalogIndex(recs);
  const s2 = compileScope(ix2, { anchor: 0 });
  const all = syncUpdates(ix2, s2, {});
  assert.deepEqual(
    all.newUpdates.map((u) => [u.revisionId, u.isLeaf]),
    [
      [50, false],
      [51, false],
      [52, false],
      [53, false],
      [54, false],
      [1, true],
      [70, true],
    ],
  );
  const capped = syncUpdates(ix2, s2, { maxNonLeafPerPage: 2 });
  assert.deepEqual(
    capped.newUpdates.map((u) => u.revisionId),
    [50, 51, 1, 70],
  );
  assert.equal(capped.truncated, true);
});

void test('approved-closure mode: only approved updates and what they need', async () => {
  const cat = buildSyntheticCatalog({ revisions: 2_000, seed: 11, products: 5 });
  const ix = buildCatalogIndex(cat.records);
  const facts = (updateId: string) => ix.describe(ix.revisionIds[ix.currentOf[ix.findUpdate(updateId)]!]!)!;
  const bundle = cat.bundleParentIds.find((id) => !facts(id).isBundleMember)!;
  const standalone = cat.softwareByProduct[1]!.find((id) => {
    const f = facts(id);
    return !f.isBundleMember && !f.isBundleParent;
  })!;
  const scope = compileScope(ix, {
    mode: 'approved-closure',
    anchor: 1,
    deployments: [bundle, standalone].map((updateId, i) => ({
      updateId,
      decision: 'install' as const,
      deploymentId: 5_000 + i,
      changeSeq: 1,
      lastChangeAt: day,
    })),
  });
  const report = await client(ix, scope, { isInstalled: () => true }).scan();
  const software = report.delivered.filter((d) => ix.describe(d.revisionId)!.kind === 'software');
  const installs = software
    .filter((d) => d.deployment.action === 'Install')
    .map((d) => ix.describe(d.revisionId)!.updateId);
  assert.deepEqual(installs.sort(), [bundle, standalone].sort());
  const members = new Set(
    ix.describe(ix.revisionIds[ix.currentOf[ix.findUpdate(bundle)]!]!)!.bundleGroups.flat(),
  );
  for (const d of software)
    if (d.deployment.action === 'Bundle')
      assert.ok(members.has(d.revisionId), `${d.revisionId} is not a member`);
  assert.equal(software.length, 2 + members.size);
  assert.ok(report.delivered.length < 200);
});

void test('refuses bad input and a scope from another generation', () => {
  assert.throws(
    () => buildCatalogIndex([rec(1, syntheticGuid(1), 'software'), rec(1, syntheticGuid(2), 'software')]),
    AppError,
  );
  assert.throws(() => buildCatalogIndex([rec(1, 'not-a-guid', 'software')]), AppError);
  assert.throws(() => buildCatalogIndex([rec(0, syntheticGuid(1), 'software')]), AppError);
  const a = buildCatalogIndex(flatCatalog(2));
  const b = buildCatalogIndex(flatCatalog(2));
  assert.throws(() => syncUpdates(a, compileScope(b, { anchor: 0 }), {}), AppError);
  // Sparse revision ids use the hashed lookup.
  const sparse = buildCatalogIndex([
    rec(5, syntheticGuid(1), 'software'),
    rec(2_000_000_000, syntheticGuid(2), 'software'),
  ]);
  assert.equal(sparse.describe(2_000_000_000)?.updateId, syntheticGuid(2));
  assert.equal(sparse.findRevision(6), -1);
});
