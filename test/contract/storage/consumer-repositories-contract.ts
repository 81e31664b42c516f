/**
 * The repositories behind content planning and `content verify|status` (contentPlan, contentState), the sync
 * selection (categories) and the connector's view reader (connectorViews), run on SQLite and PostgreSQL with
 * known answers. The connector and category cases read the public-view seed fleet.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allComputersGroup,
  createRepositories,
  type DbHandle,
  type RevisionInput,
} from '../../../src/storage/index.js';
import { ids, seedFleet, t0 } from '../public-views/seed.js';
import { approve, guid, revision, sha1, type MakeDb } from './repository-contract.js';

const file = (n: number) => ({ sha1: sha1(n), size: 1000 * n, name: `f${n}.cab` });
const child = (n: number) => [{ updateId: guid(n), revisionNumber: 100 }];
const sorted = <T>(xs: readonly T[]) => [...xs].sort();
const hex = (bs: readonly Buffer[]) => bs.map((b) => b.toString('hex')).sort();

/**
 * Bundle 1 installs 2, which installs 3 (files 1, 2, 3; 2 and 3 share file 3); 1 also names 9, which was never
 * imported. 4 is approved but declined, 5 approved but outside the generation, 6 approved for uninstall only.
 */
async function seedPlan(h: DbHandle) {
  const repos = createRepositories(h);
  const inputs: RevisionInput[] = [
    revision(1, { bundledUpdates: [child(2), child(9)], files: [file(1)] }),
    revision(2, { bundledUpdates: [child(3)], files: [file(2), file(3)] }),
    revision(3, { files: [file(3)] }),
    revision(4, { files: [file(4)] }),
    revision(5, { files: [file(5)] }),
    revision(6, { files: [file(6)] }),
  ];
  const [r1, r2, r3, r4, r5, r6] = await repos.revisions.upsertMany(inputs);
  const gen = await repos.generations.createStaged();
  await repos.generations.addMembers(
    gen.generationId,
    [r1!, r2!, r3!, r4!, r6!].map((revisionId) => ({ revisionId, isLeaf: true, isBundleMember: false })),
  );
  await repos.generations.activate(gen.generationId);
  const group = await repos.groups.create({ name: 'Pilot' });
  await repos.approvals.set([
    approve(1, allComputersGroup, 'install'),
    approve(1, group.groupId, 'install'),
    approve(4, allComputersGroup, 'install'),
    approve(5, group.groupId, 'install'),
    approve(6, allComputersGroup, 'uninstall'),
  ]);
  await repos.approvals.decline([guid(4)], { declinedBy: 'alice', declinedVia: 'cli' });
  return { repos, generationId: gen.generationId, r: { r1, r2, r3, r4, r5, r6 } };
}

export function runConsumerRepositoriesContract(name: string, makeDb: MakeDb): void {
  void describe(`content, category and connector-view repositories on ${name}`, () => {
    void test('contentPlan: generation members, install approvals, bundle children, files', async (t) => {
      const h = await makeDb(t);
      const { repos, generationId, r } = await seedPlan(h);
      const plan = repos.contentPlan;
      assert.deepEqual(
        sorted(await plan.memberRevisionIds(generationId)),
        sorted([r.r1, r.r2, r.r3, r.r4, r.r6]),
      );
      assert.deepEqual(await plan.memberRevisionIds(generationId + 1), []);
      // Approved twice (two groups) counts once; declined and uninstall-only approvals do not count.
      assert.deepEqual(sorted(await plan.installApprovedUpdateIds()), [guid(1), guid(5)]);
      // More ids than one statement may bind (chunked): only served revisions come back.
      const many = [...Array.from({ length: 9000 }, (_, i) => guid(100_000 + i)), guid(1), guid(5)];
      assert.deepEqual(await plan.memberRevisionIdsOfUpdates(generationId, many), [r.r1]);
      assert.deepEqual(await plan.memberRevisionIdsOfUpdates(generationId, []), []);
      // Children by exact identity; 9 was never imported; a leaf has none.
      assert.deepEqual(await plan.bundledRevisionIds([r.r1!]), [r.r2]);
      assert.deepEqual(sorted(await plan.bundledRevisionIds([r.r1!, r.r2!])), sorted([r.r2, r.r3]));
      assert.deepEqual(await plan.bundledRevisionIds([r.r3!]), []);
      // Files once each, however many revisions name them.
      const files = await plan.fileSha1sOf([r.r2!, r.r3!]);
      assert.deepEqual(hex(files), hex([sha1(2), sha1(3)]));
      assert.deepEqual(hex(await plan.fileSha1sOf([r.r1!, r.r2!, r.r3!])), hex([1, 2, 3].map(sha1)));
      assert.deepEqual(await plan.fileSha1sOf([]), []);
    });

    void test('contentState: queue absent files, adopt stored ones, totals and recent failures', async (t) => {
      const h = await makeDb(t);
      const { repos } = await seedPlan(h);
      const state = repos.contentState;
      await repos.files.setState([sha1(2)], 'downloading', null, 10);
      // Only absent files move; unknown ones are ignored.
      assert.equal(await state.queueAbsent([sha1(1), sha1(2), sha1(3), sha1(77)], 20), 2);
      assert.equal(await state.queueAbsent([sha1(1), sha1(3)], 21), 0);
      const f1 = await repos.files.get(sha1(1));
      assert.deepEqual([f1?.contentState, f1?.stateChangedAt], ['queued', 20]);
      assert.equal((await repos.files.get(sha1(2)))?.contentState, 'downloading');

      await repos.files.setState([sha1(4)], 'verified', null, 30);
      assert.deepEqual(hex(await state.verifiedSha1s()), hex([sha1(4)]));
      // Adoption skips running downloads and rows already verified.
      assert.equal(await state.adoptStored([sha1(1), sha1(2), sha1(4), sha1(5), sha1(77)], 40), 2);
      assert.deepEqual(hex(await state.verifiedSha1s()), hex([1, 4, 5].map(sha1)));
      assert.equal((await repos.files.get(sha1(5)))?.stateChangedAt, 40);
      assert.equal((await repos.files.get(sha1(4)))?.stateChangedAt, 30);

      await repos.files.setState([sha1(3)], 'failed', 'digest mismatch', 50);
      await repos.files.setState([sha1(6)], 'failed', 'HTTP 404', 60);
      const totals = await state.totals();
      assert.deepEqual(
        [...totals].sort((a, b) => a.state.localeCompare(b.state)),
        [
          { state: 'downloading', files: 1, bytes: 2000 },
          { state: 'failed', files: 2, bytes: 9000 },
          { state: 'verified', files: 3, bytes: 10_000 },
        ],
      );
      assert.deepEqual(await state.recentFailures(20), [
        { sha1: sha1(6), name: 'f6.cab', lastError: 'HTTP 404', attempts: 0 },
        { sha1: sha1(3), name: 'f3.cab', lastError: 'digest mismatch', attempts: 0 },
      ]);
      assert.equal((await state.recentFailures(1)).length, 1);
    });

    void test('categories: every stored category with its parents, by type then title', async (t) => {
      const h = await makeDb(t);
      const repos = createRepositories(h);
      const category = (n: number, categoryType: string, title: string, parents: number[]) =>
        revision(n, {
          updateType: 'Category',
          title,
          category: { categoryType },
          prerequisites: [{ isCategory: true, updateIds: parents.map(guid) }],
        });
      await repos.revisions.upsertMany([
        category(50, 'Company', 'Microsoft', []),
        category(51, 'ProductFamily', 'Windows', [50]),
        category(52, 'Product', 'Windows 11', [51]),
        category(53, 'Product', 'Microsoft Defender Antivirus', [50]),
        category(54, 'UpdateClassification', 'Security Updates', []),
        // A software update with prerequisites is no category.
        revision(55, { prerequisites: [{ isCategory: true, updateIds: [guid(52)] }] }),
      ]);
      // A newer revision of a category replaces its parents.
      await repos.revisions.upsertMany([
        { ...category(52, 'Product', 'Windows 11', [50, 51]), revisionNumber: 101 },
      ]);
      const cats = await repos.categories.listWithParents();
      assert.deepEqual(
        cats.map((c) => [c.categoryType, c.title, c.updateId, c.revisionNumber, sorted(c.parents)]),
        [
          ['Company', 'Microsoft', guid(50), 100, []],
          ['Product', 'Microsoft Defender Antivirus', guid(53), 100, [guid(50)]],
          ['Product', 'Windows 11', guid(52), 101, [guid(50), guid(51)]],
          ['ProductFamily', 'Windows', guid(51), 100, [guid(50)]],
          ['UpdateClassification', 'Security Updates', guid(54), 100, []],
        ],
      );
    });

    void test('connectorViews: groups by name or id', async (t) => {
      const h = await makeDb(t);
      await seedFleet(h);
      const views = createRepositories(h).connectorViews;
      assert.deepEqual(await views.findGroups({ name: 'Web' }, 3), [{ id: ids.web, name: 'Web' }]);
      assert.deepEqual(await views.findGroups({ name: ids.servers.toUpperCase(), id: ids.servers }, 3), [
        { id: ids.servers, name: 'Servers' },
      ]);
      // Names are exact: no case folding, no id match unless asked.
      assert.deepEqual(await views.findGroups({ name: 'web' }, 3), []);
      assert.deepEqual(await views.findGroups({ name: ids.servers }, 3), []);
      await createRepositories(h).groups.create({ name: 'Web', parentGroupId: ids.workstations });
      assert.equal((await views.findGroups({ name: 'Web' }, 3)).length, 2);
      assert.equal((await views.findGroups({ name: 'Web' }, 1)).length, 1);
    });

    void test('connectorViews: update pages with the group approval, without declined updates', async (t) => {
      const h = await makeDb(t);
      await seedFleet(h);
      const views = createRepositories(h).connectorViews;
      const page = (groupId: string, after: string, limit: number, classificationId?: string) =>
        views.updatePage({ groupId, classificationId, afterUpdateId: after, limit });
      const security = await page(ids.servers, '', 10, ids.securityUpdates);
      assert.deepEqual(security, [
        {
          updateId: ids.secCritical,
          title: '2026-10 Cumulative Update for Windows 11 (KB5040001)',
          kbArticle: '5040001',
          securityBulletin: 'MS26-001',
          msrcSeverity: 'Critical',
          creationMs: Date.parse('2026-10-13T17:00:00.000Z'),
          approvalAction: 'Install',
        },
        {
          updateId: ids.secImportant,
          title: '=HYPERLINK("x") Sécurité Übersicht 更新 (KB5040002)',
          kbArticle: '5040002',
          securityBulletin: 'MS26-002,MS26-003',
          msrcSeverity: 'Important',
          creationMs: Date.parse('2026-09-09T17:00:00.000Z'),
          approvalAction: null,
        },
      ]);
      // Every classification, in update id order, one row per page after the cursor.
      const all = (await page(ids.web, '', 10)).map((u) => [u.updateId, u.approvalAction]);
      assert.deepEqual(all, [
        // An explicit "not approved" reads as Block in vUpdateApproval (docs/public-views.md).
        [ids.secCritical, 'Block'],
        [ids.secImportant, 'Install'],
        [ids.kb2267602, null],
      ]);
      assert.deepEqual(
        (await page(ids.web, ids.secCritical, 1)).map((u) => u.updateId),
        [ids.secImportant],
      );
      assert.deepEqual(await page(ids.web, ids.kb2267602, 10), []);
    });

    void test('connectorViews: member computers in a report window, in id order', async (t) => {
      const h = await makeDb(t);
      await seedFleet(h);
      const views = createRepositories(h).connectorViews;
      const hour = 3_600_000;
      const page = (extra: {
        reportedAfterMs?: number;
        reportedUpToMs?: number;
        after?: string;
        limit?: number;
      }) =>
        views.computerPage({
          groupId: ids.web,
          includeDownstreamServers: false,
          reportedAfterMs: extra.reportedAfterMs,
          reportedUpToMs: extra.reportedUpToMs,
          afterComputerId: extra.after ?? '',
          limit: extra.limit ?? 10,
        });
      assert.deepEqual(await page({}), [
        { computerId: ids.pc2, name: 'srv-web01.contoso.local', lastReportedMs: t0 + 2 * hour + 60_000 },
        { computerId: ids.pc3, name: 'ws-müller.contoso.local', lastReportedMs: t0 + 3 * hour + 60_000 },
      ]);
      const after = await page({ reportedAfterMs: t0 + 2.5 * hour });
      assert.deepEqual(
        after.map((c) => c.computerId),
        [ids.pc3],
      );
      // The upper end is inclusive, the lower one exclusive.
      const window = await page({ reportedAfterMs: t0, reportedUpToMs: t0 + 2 * hour + 60_000 });
      assert.deepEqual(
        window.map((c) => c.computerId),
        [ids.pc2],
      );
      assert.deepEqual(await page({ reportedAfterMs: t0 + 3 * hour + 60_000 }), []);
      assert.deepEqual(
        (await page({ after: ids.pc2, limit: 1 })).map((c) => c.computerId),
        [ids.pc3],
      );
      const withDownstream = await views.computerPage({
        groupId: ids.servers,
        includeDownstreamServers: true,
        afterComputerId: '',
        limit: 10,
      });
      assert.deepEqual(
        withDownstream.map((c) => c.computerId),
        [ids.pc1],
      );
    });

    void test('connectorViews: reported states by (computer, update) cursor, without declined updates', async (t) => {
      const h = await makeDb(t);
      await seedFleet(h);
      const views = createRepositories(h).connectorViews;
      const page = (
        afterComputerId: string,
        afterUpdateId: string,
        limit: number,
        classificationId?: string,
      ) =>
        views.statusPage({
          computerIds: [ids.pc1, ids.pc2, ids.pc4],
          classificationId,
          afterComputerId,
          afterUpdateId,
          limit,
        });
      const s = (computerId: string, updateId: string, state: number) => ({ computerId, updateId, state });
      assert.deepEqual(await page('', '', 10, ids.securityUpdates), [
        s(ids.pc1, ids.secCritical, 3),
        s(ids.pc1, ids.secImportant, 5),
        s(ids.pc2, ids.secCritical, 1),
        s(ids.pc2, ids.secImportant, 2),
      ]);
      assert.deepEqual(await page(ids.pc1, ids.secImportant, 2), [
        s(ids.pc1, ids.kb2267602, 4),
        s(ids.pc2, ids.secCritical, 1),
      ]);
      assert.deepEqual(await page(ids.pc2, ids.kb2267602, 10), []);
      assert.deepEqual(
        await views.statusPage({ computerIds: [], afterComputerId: '', afterUpdateId: '', limit: 10 }),
        [],
      );
    });
  });
}
