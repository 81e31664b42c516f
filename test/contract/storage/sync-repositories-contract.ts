/**
 * The repository methods behind the sync engine's in-memory state and closure check (revisionGraph,
 * categories.types) and `catalog status` / `catalog rollback --dry-run` (quarantine.count,
 * generations.memberUpdates), run on SQLite and PostgreSQL with known answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRepositories, type DbHandle } from '../../../src/storage/index.js';
import { guid, revision, type MakeDb } from './repository-contract.js';

const id = (n: number, revisionNumber = 100) => ({ updateId: guid(n), revisionNumber });
const byIdentity = (a: { updateId: string; revisionNumber: number }, b: typeof a) =>
  a.updateId.localeCompare(b.updateId) || a.revisionNumber - b.revisionNumber;

/**
 * 1 (two revisions) bundles 2 or 3 in group 0 and 4 in group 1 (4 never imported) and requires (5 or 6) and
 * 7; 2 requires 7 too; 5 is a category (Product), 6 a generic one; 7 bundles 2 as well.
 */
async function seedGraph(h: DbHandle) {
  const repos = createRepositories(h);
  const [r1a, r1b, r2] = await repos.revisions.upsertMany([
    revision(1),
    revision(1, {
      revisionNumber: 101,
      bundledUpdates: [[id(2), id(3, 200)], [id(4)]],
      prerequisites: [
        { isCategory: true, updateIds: [guid(5), guid(6)] },
        { isCategory: false, updateIds: [guid(7)] },
      ],
    }),
    revision(2, { prerequisites: [{ isCategory: false, updateIds: [guid(7)] }] }),
    revision(5, { updateType: 'Category', category: { categoryType: 'Product' } }),
    revision(6, { updateType: 'Category', category: { categoryType: null } }),
    revision(7, { bundledUpdates: [[id(2)]] }),
  ]);
  return { repos, r1a: r1a!, r1b: r1b!, r2: r2! };
}

export function runSyncRepositoriesContract(name: string, makeDb: MakeDb): void {
  void describe(`sync engine and catalog status repositories on ${name}`, () => {
    void test('revisionGraph: held identities, bundle children, prerequisite ids, graph nodes', async (t) => {
      const h = await makeDb(t);
      const { repos, r1a, r1b, r2 } = await seedGraph(h);
      const g = repos.revisionGraph;
      assert.deepEqual((await g.identities()).sort(byIdentity), [
        id(1),
        id(1, 101),
        id(2),
        id(5),
        id(6),
        id(7),
      ]);
      // Children once each (2 is named by two bundles), whether held (2) or not (3 at 200, 4).
      assert.deepEqual((await g.bundledIdentities()).sort(byIdentity), [id(2), id(3, 200), id(4)]);
      // 7 is named by two revisions and listed once.
      assert.deepEqual((await g.prerequisiteUpdateIds()).sort(), [guid(5), guid(6), guid(7)]);

      // Alternatives within a clause come in no particular order.
      const nodes = new Map(
        (await g.nodes()).map((n) => [
          n.revisionId,
          { ...n, prerequisites: n.prerequisites.map((c) => [...c].sort()) },
        ]),
      );
      assert.equal(nodes.size, 6);
      assert.deepEqual(nodes.get(r1b), {
        revisionId: r1b,
        ...id(1, 101),
        prerequisites: [[guid(5), guid(6)], [guid(7)]],
        bundled: [[id(2), id(3, 200)], [id(4)]],
      });
      assert.deepEqual(nodes.get(r1a), { revisionId: r1a, ...id(1), prerequisites: [], bundled: [] });
      assert.deepEqual(nodes.get(r2)?.prerequisites, [[guid(7)]]);
    });

    void test('revisionGraph reads an empty catalog as empty', async (t) => {
      const { revisionGraph } = createRepositories(await makeDb(t));
      assert.deepEqual(await revisionGraph.identities(), []);
      assert.deepEqual(await revisionGraph.bundledIdentities(), []);
      assert.deepEqual(await revisionGraph.prerequisiteUpdateIds(), []);
      assert.deepEqual(await revisionGraph.nodes(), []);
    });

    void test('an upsert replaces the relationships the graph reads', async (t) => {
      const h = await makeDb(t);
      const { repos, r1b } = await seedGraph(h);
      await repos.revisions.upsertMany([revision(1, { revisionNumber: 101 })]);
      const node = (await repos.revisionGraph.nodes()).find((n) => n.revisionId === r1b);
      assert.deepEqual(node, { revisionId: r1b, ...id(1, 101), prerequisites: [], bundled: [] });
      assert.deepEqual(await repos.revisionGraph.bundledIdentities(), [id(2)]);
      assert.deepEqual(await repos.revisionGraph.prerequisiteUpdateIds(), [guid(7)]);
    });

    void test('categories.types: the type of each stored category, null for a generic one', async (t) => {
      const h = await makeDb(t);
      const { repos } = await seedGraph(h);
      assert.deepEqual(
        [...(await repos.categories.types())].sort(([a], [b]) => a.localeCompare(b)),
        [
          [guid(5), 'Product'],
          [guid(6), null],
        ],
      );
    });

    void test('quarantine.count counts every entry, whatever its reason', async (t) => {
      const { quarantine } = createRepositories(await makeDb(t));
      assert.equal(await quarantine.count(), 0);
      await quarantine.add([
        { ...id(1), reasonCode: 'xml_malformed' },
        { ...id(2), reasonCode: 'dependency', causedByUpdateId: guid(1) },
        { ...id(2, 101), reasonCode: 'revision_rollback' },
      ]);
      // Adding an entry again counts a retry, not a second entry.
      await quarantine.add([{ ...id(1), reasonCode: 'xml_malformed' }]);
      assert.equal(await quarantine.count(), 3);
      await quarantine.clear([id(2)]);
      assert.equal(await quarantine.count(), 2);
    });

    void test('generations.memberUpdates: the member revisions of one generation only', async (t) => {
      const h = await makeDb(t);
      const { repos, r1a, r1b, r2 } = await seedGraph(h);
      const member = (revisionId: number) => ({ revisionId, isLeaf: true, isBundleMember: false });
      const first = await repos.generations.createStaged();
      await repos.generations.addMembers(first.generationId, [member(r1a), member(r1b)]);
      const second = await repos.generations.createStaged();
      await repos.generations.addMembers(second.generationId, [member(r2)]);
      assert.deepEqual((await repos.generations.memberUpdates(first.generationId)).sort(byIdentity), [
        { ...id(1), updateType: 'Software', title: 'Update 1' },
        { ...id(1, 101), updateType: 'Software', title: 'Update 1' },
      ]);
      assert.deepEqual(await repos.generations.memberUpdates(second.generationId), [
        { ...id(2), updateType: 'Software', title: 'Update 2' },
      ]);
      assert.deepEqual(await repos.generations.memberUpdates(second.generationId + 1), []);
    });
  });
}
