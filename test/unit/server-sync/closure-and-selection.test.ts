/**
 * The sync engine's pure parts: the closure check that picks a generation's members (fallback to an older valid
 * revision, propagation to dependants, bundle members, leaf flags) and the selection resolution (a product
 * family stands for its products; classification titles resolve before the first category sync).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeClosure, resolveSelection, type GraphRevision } from '../../../src/sync/index.js';

const r = (
  revisionId: number,
  updateId: string,
  revisionNumber: number,
  o: Partial<GraphRevision> = {},
): GraphRevision => ({
  revisionId,
  updateId,
  revisionNumber,
  prerequisites: [],
  bundled: [],
  ...o,
});

void test('closure: dangling prerequisite quarantines its revision and its dependants; a bad new revision falls back', () => {
  const { members, invalid } = computeClosure([
    r(1, 'cat', 100),
    r(2, 'leaf', 100, { prerequisites: [['cat']] }),
    r(3, 'leaf', 200, { prerequisites: [['cat'], ['missing']] }),
    r(4, 'bundle', 100, { prerequisites: [['cat']], bundled: [['leaf/200']] }),
    r(5, 'other', 100, { prerequisites: [['missing', 'cat']] }), // an OR clause with one valid alternative
    r(6, 'needsbundle', 100, { prerequisites: [['bundle']] }),
  ]);
  assert.deepEqual(invalid.get(3), {
    reason: 'dangling_prerequisite',
    detail: 'no revision of prerequisite missing',
    causedByUpdateId: 'missing',
  });
  assert.equal(invalid.get(4)?.reason, 'dependency');
  assert.equal(invalid.get(4)?.causedByUpdateId, 'leaf');
  assert.equal(invalid.get(6)?.reason, 'dependency');
  assert.deepEqual([...members.keys()].sort(), [1, 2, 5]);
  assert.equal(members.get(1)?.isLeaf, false, 'named as a prerequisite');
  assert.equal(members.get(2)?.isLeaf, true);
});

void test('closure: bundle members are flagged and stay leaves; a missing member is reported', () => {
  const ok = computeClosure([r(1, 'child', 100), r(2, 'bundle', 100, { bundled: [['child/100']] })]);
  assert.deepEqual(ok.members.get(1), { isLeaf: true, isBundleMember: true });
  const bad = computeClosure([r(2, 'bundle', 100, { bundled: [['child/100']] })]);
  assert.equal(bad.invalid.get(2)?.reason, 'missing_bundle_member');
  assert.equal(bad.members.size, 0);
});

void test('selection: "Windows" expands to the products below the family; classification titles resolve', () => {
  const cats = [
    { updateId: 'w', revisionNumber: 1, categoryType: 'ProductFamily', title: 'Windows', parents: ['ms'] },
    { updateId: 'p1', revisionNumber: 1, categoryType: 'Product', title: 'Windows 11', parents: ['w'] },
    { updateId: 'p2', revisionNumber: 1, categoryType: 'Product', title: 'Defender', parents: ['w'] },
    { updateId: 'x', revisionNumber: 1, categoryType: 'Product', title: 'Office', parents: ['ms'] },
  ];
  const r1 = resolveSelection(
    { products: ['Windows'], classifications: ['Critical Updates', 'Nope'], languages: ['en'] },
    cats,
  );
  assert.deepEqual(r1.products, ['p1', 'p2']);
  assert.deepEqual(r1.classifications, ['e6cf1350-c01b-414d-a61f-263d14d133b4']);
  assert.deepEqual(r1.unresolved, ['Nope']);
  const r2 = resolveSelection(
    { products: ['8C3FCC84-7410-4A95-8B89-A166A0190486'], classifications: [], languages: [] },
    cats,
  );
  assert.deepEqual(r2.products, ['8c3fcc84-7410-4a95-8b89-a166a0190486']);
});
