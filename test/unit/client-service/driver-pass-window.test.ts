/**
 * answerDriverPass (src/client-service/driver-source.ts) over an in-memory driver source that keeps the
 * repository's contract (newest first per id, `perId` window): the first read is windowed, and an approved
 * driver older than the window is still found; prerequisites are read only for the chosen drivers and a
 * chosen driver whose prerequisite is not installed yields to the next.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCatalogIndex, compileScope, type DriverCandidate } from '../../../src/catalog/index.js';
import { answerDriverPass, type DriverSource } from '../../../src/client-service/driver-source.js';
import { syntheticGuid } from '../../helpers/synthetic-catalog.js';

const hw = 'pci\\ven_1&dev_1';
const detectoid = syntheticGuid(1, 0xde);

function fixture(approvedIndexes: readonly number[], gated: ReadonlySet<number>) {
  const n = 300;
  const updateIds = Array.from({ length: n }, (_, i) => syntheticGuid(i, 0xd1));
  const rows: DriverCandidate[] = updateIds.map((_, i) => ({
    revisionId: 1000 + i,
    hardwareId: hw,
    matchedId: hw,
    // Driver i is i days older than driver 0: newest first is index order.
    verDate: new Date(Date.UTC(2030, 0, 1) - i * 86_400_000).toISOString().slice(0, 10),
    verVersion: '000a000000000000',
    manufacturer: null,
    provider: null,
  }));
  const index = buildCatalogIndex([
    {
      revisionId: 1,
      updateId: detectoid,
      revisionNumber: 1,
      kind: 'detectoid',
      prerequisites: [],
      expired: false,
      lastChangeAt: 0,
    },
    ...updateIds.map((updateId, i) => ({
      revisionId: 1000 + i,
      updateId,
      revisionNumber: 100,
      kind: 'driver' as const,
      prerequisites: [],
      expired: false,
      lastChangeAt: 0,
    })),
  ]);
  const scope = compileScope(index, {
    anchor: 1,
    deployments: approvedIndexes.map((i) => ({
      updateId: updateIds[i]!,
      decision: 'install' as const,
      deploymentId: 2 ** 30 + i,
      changeSeq: 1,
      lastChangeAt: 0,
    })),
  });
  const reads: { perId: number | undefined; rows: number }[] = [];
  const prereqReads: number[][] = [];
  const source: DriverSource = {
    candidates: (ids, perId) => {
      const want = new Set(ids.map((i) => i.toLowerCase()));
      const out = rows.filter((r) => want.has(r.hardwareId)).slice(0, perId ?? Infinity);
      reads.push({ perId, rows: out.length });
      return Promise.resolve(out);
    },
    prerequisites: (revisionIds) => {
      prereqReads.push([...revisionIds]);
      return Promise.resolve(
        new Map(revisionIds.filter((r) => gated.has(r - 1000)).map((r) => [r, [[detectoid]]])),
      );
    },
  };
  return { index, scope, source, reads, prereqReads };
}

void test('an approved driver beyond the first window is found by reading its id in full', async () => {
  const f = fixture([250], new Set());
  const r = await answerDriverPass(f.index, f.scope, f.source, { devices: [{ ids: ['PCI\\VEN_1&DEV_1'] }] });
  assert.deepEqual(
    r.newUpdates.map((u) => u.revisionId),
    [1250],
  );
  assert.equal(r.newUpdates[0]!.deployment.action, 'Install');
  assert.deepEqual(f.reads, [
    { perId: 64, rows: 64 },
    { perId: undefined, rows: 300 },
  ]);
});

void test('the newest approved driver inside the window needs one windowed read only', async () => {
  const f = fixture([3, 7, 250], new Set());
  const r = await answerDriverPass(f.index, f.scope, f.source, { devices: [{ ids: [hw] }] });
  assert.deepEqual(
    r.newUpdates.map((u) => u.revisionId),
    [1003],
  );
  assert.equal(f.reads.length, 1);
  assert.deepEqual(f.prereqReads, [[1003]]);
});

void test('a chosen driver whose prerequisite is not installed yields to the next; installed, it wins', async () => {
  const f = fixture([3, 7], new Set([3]));
  const r = await answerDriverPass(f.index, f.scope, f.source, { devices: [{ ids: [hw] }] });
  assert.deepEqual(
    r.newUpdates.map((u) => u.revisionId),
    [1007],
  );
  assert.deepEqual(f.prereqReads, [[1003], [1007]]);
  const g = fixture([3, 7], new Set([3]));
  const installed = await answerDriverPass(g.index, g.scope, g.source, {
    devices: [{ ids: [hw] }],
    installedNonLeafRevisionIds: [1],
  });
  assert.deepEqual(
    installed.newUpdates.map((u) => u.revisionId),
    [1003],
  );
});

void test('not better than the installed driver: nothing offered; a cached driver no longer chosen is out of scope', async () => {
  const f = fixture([3], new Set());
  const r = await answerDriverPass(f.index, f.scope, f.source, {
    devices: [
      { ids: [hw], installed: { matchedId: hw, verDate: '2031-01-01', verVersion: '0001000000000000' } },
    ],
    cachedDriverRevisionIds: [1003],
  });
  assert.deepEqual(r.newUpdates, []);
  assert.deepEqual(r.outOfScopeRevisionIds, [1003]);
});
