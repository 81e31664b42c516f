import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCatalogIndex,
  compileScope,
  syncUpdates,
  type CatalogIndex,
} from '../../../src/catalog/index.js';
import { SimulatedClient } from '../../helpers/simulated-client.js';
import {
  defenderBundle,
  defenderProduct,
  definitionUpdates,
  microsoft,
  oobeZdp,
  realDocsCatalog,
  syntheticDetectoids,
  windows,
} from './real-docs-catalog.js';

// Catalog: the 8 REAL documents of wsus-m0-wsusss/docs plus SYNTHETIC closure records (see real-docs-catalog.ts).
const catalog = realDocsCatalog();
const index = buildCatalogIndex(catalog.records);

function revisionOf(ix: CatalogIndex, updateId: string): number {
  const u = ix.findUpdate(updateId);
  assert.ok(u >= 0, updateId);
  return ix.revisionIds[ix.currentOf[u]!]!;
}

function clientFor(ix: CatalogIndex, scope = compileScope(ix, { anchor: 0 }), filterCategoryIds?: string[]) {
  return new SimulatedClient({
    call: (req) => syncUpdates(ix, scope, req),
    facts: (id) => ix.describe(id),
    filterCategoryIds,
  });
}

void test('index facts on the real documents: IsLeaf, bundle membership, nothing undeliverable once closed', () => {
  assert.deepEqual(index.undeliverable, []);
  const facts = (u: string) => index.describe(revisionOf(index, u))!;
  assert.equal(facts(microsoft).isLeaf, false);
  assert.equal(facts(windows).isLeaf, false);
  // REAL scan 000008: OOBE ZDP arrived with IsLeaf=true (no revision names it).
  assert.equal(facts(oobeZdp).isLeaf, true);
  assert.equal(facts(defenderProduct).isLeaf, false);
  assert.equal(facts(definitionUpdates).isLeaf, false);
  for (const d of syntheticDetectoids) assert.equal(facts(d).isLeaf, false);
  const bundle = facts(defenderBundle);
  assert.equal(bundle.isBundleParent, true);
  assert.equal(bundle.isBundleMember, false);
  assert.equal(bundle.isLeaf, true);
  assert.deepEqual(
    bundle.bundleGroups.map((g) => g.length),
    [7, 7, 7, 103],
  );
  // REAL flow 000013: the sub-bundle 1f9bd9bb is a member (Action=Bundle) and a leaf although it is a bundle.
  const sub = facts('1f9bd9bb-7390-4aa3-bbdb-ded99fac2583');
  assert.equal(sub.isBundleMember, true);
  assert.equal(sub.isBundleParent, true);
  assert.equal(sub.isLeaf, true);
  assert.equal(facts('ff36f0b5-dded-4780-8664-cd78af8b62c1').isBundleMember, true);
  assert.equal(index.maxDepth, 2);
});

void test('category-filtered scan replays the REAL OOBE ZDP rounds: Microsoft, Windows, OOBE ZDP, one per call', async () => {
  const client = clientFor(index, undefined, [oobeZdp]);
  const report = await client.scan();
  assert.equal(report.calls, 3);
  assert.deepEqual(report.pageSizes, [1, 1, 1]);
  assert.deepEqual(
    report.delivered.map((d) => index.describe(d.revisionId)!.updateId),
    [microsoft, windows, oobeZdp],
  );
  assert.deepEqual(
    report.delivered.map((d) => d.isLeaf),
    [false, false, true],
  );
  for (const d of report.delivered) {
    assert.equal(d.deployment.action, 'Evaluate');
    assert.equal(d.deployment.isAssigned, true);
  }
  // First call: no cached-id arrays at all (scan 000006), DriverSyncNotNeeded true on the filtered software pass.
  assert.equal(report.requests[0]!.installedNonLeafRevisionIds, undefined);
  const scope = compileScope(index, { anchor: 0 });
  const again = syncUpdates(index, scope, { ...client.request(), filterCategoryIds: [oobeZdp] });
  assert.equal(again.newUpdates.length, 0);
  assert.equal(again.truncated, false);
  assert.equal(again.driverSyncNotNeeded, true);
  // Driver pass (scan 000009): nothing, DriverSyncNotNeeded true.
  const driver = syncUpdates(index, scope, { ...client.request(), skipSoftwareSync: true });
  assert.deepEqual(driver.newUpdates, []);
  assert.equal(driver.driverSyncNotNeeded, true);
  assert.equal(driver.truncated, false);
});

void test('full scan with the Defender bundle approved (flow capture): Install parent, Bundle members, Evaluate categories', async () => {
  const scope = compileScope(index, {
    anchor: 5,
    deployments: [
      {
        updateId: defenderBundle,
        decision: 'install',
        deploymentId: 1_000_000,
        changeSeq: 5,
        lastChangeAt: Date.UTC(2026, 9, 4, 15),
      },
    ],
  });
  const client = clientFor(index, scope);
  const report = await client.scan();
  assert.ok(report.calls < 10, `calls ${report.calls}`);
  // Every revision delivered exactly once.
  const ids = report.delivered.map((d) => d.revisionId).sort((a, b) => a - b);
  assert.deepEqual(
    ids,
    catalog.records.map((r) => r.revisionId).sort((a, b) => a - b),
  );
  const byUpdate = new Map(report.delivered.map((d) => [index.describe(d.revisionId)!.updateId, d]));
  const parent = byUpdate.get(defenderBundle)!;
  assert.equal(parent.deployment.action, 'Install');
  assert.equal(parent.deployment.id, 1_000_000);
  assert.equal(parent.isLeaf, true);
  for (const [updateId, d] of byUpdate) {
    const f = index.describe(d.revisionId)!;
    if (f.kind !== 'software') assert.equal(d.deployment.action, 'Evaluate', updateId);
    else if (f.isBundleMember) {
      assert.equal(d.deployment.action, 'Bundle', updateId);
      assert.equal(d.isLeaf, true, updateId);
    }
  }
  // Non-leaf revisions come first: the first page holds every root category/detectoid.
  const firstPage = report.delivered.slice(0, report.pageSizes[0]);
  assert.ok(firstPage.some((d) => !d.isLeaf));
  assert.equal(report.outOfScope.length, 0);
});

void test('unapproved bundle parent is PreDeploymentCheck (flow 000013, 1594b429)', async () => {
  const report = await clientFor(index).scan();
  const parent = report.delivered.find((d) => d.revisionId === revisionOf(index, defenderBundle))!;
  assert.equal(parent.deployment.action, 'PreDeploymentCheck');
  assert.equal(parent.deployment.id, parent.revisionId);
});

void test('without the synthetic detectoid be4048db the documents that need it are reported and never offered', async () => {
  const open = catalog.records.filter((r) => r.updateId !== syntheticDetectoids[0]);
  const ix = buildCatalogIndex(open);
  const reported = new Map(ix.undeliverable.map((u) => [u.updateId, u]));
  const bundle = reported.get(defenderBundle);
  assert.equal(bundle?.reason, 'missing-prerequisite');
  assert.deepEqual(bundle?.missingUpdateIds, [syntheticDetectoids[0]]);
  assert.equal(reported.get('7366a74a-ef29-44e1-b738-570b516aca1f')?.reason, 'missing-prerequisite');
  const report = await clientFor(ix).scan();
  const delivered = new Set(report.delivered.map((d) => ix.describe(d.revisionId)!.updateId));
  for (const u of reported.keys())
    assert.ok(!delivered.has(u), `${u} offered despite a dangling prerequisite`);
  assert.ok(delivered.has(microsoft));
});
