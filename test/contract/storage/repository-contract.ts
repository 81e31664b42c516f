/**
 * One contract suite for the repositories, run against every database (hono style). Each test gets a
 * fresh, migrated database from `makeDb` and cleans up through `t.after`.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import {
  allComputersGroup,
  createRepositories,
  decodeBlob,
  encodeBlob,
  migrateToLatest,
  unassignedComputersGroup,
  type DbHandle,
  type RevisionInput,
} from '../../../src/storage/index.js';
import { AppError } from '../../../src/errors.js';

export type MakeDb = (t: TestContext) => Promise<DbHandle>;

export const guid = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
export const sha1 = (n: number) => Buffer.alloc(20, n);

export function revision(n: number, extra: Partial<RevisionInput> = {}): RevisionInput {
  return {
    updateId: guid(n),
    revisionNumber: 100,
    updateType: 'Software',
    title: `Update ${n}`,
    document: encodeBlob(`<Update id="${n}">${'x'.repeat(600)}</Update>`),
    coreFragment: `<UpdateIdentity UpdateID="${guid(n)}" RevisionNumber="100" />`,
    extendedFragment: `<ExtendedProperties n="${n}" />`,
    localized: [
      { language: 'en', title: `Update ${n}`, fragment: `<Language>en</Language><Title>U${n}</Title>` },
    ],
    ...extra,
  };
}

/** An approval of update `n` as `approvals.set` takes it (upper-case id: repositories lower-case it). */
export const approve = (n: number, groupId: string, action: 'install' | 'uninstall') => ({
  updateId: guid(n).toUpperCase(),
  groupId,
  action,
  approvedBy: 'alice',
  approvedVia: 'cli',
});

function isConflict(e: unknown): boolean {
  return e instanceof AppError && e.code === 'PB_ERR_CONFLICT';
}

export function runRepositoryContract(name: string, makeDb: MakeDb): void {
  void describe(`storage repositories on ${name}`, () => {
    void test('migrations seed the built-in groups and are idempotent', async (t) => {
      const h = await makeDb(t);
      assert.deepEqual((await migrateToLatest(h)).applied, []);
      const repos = createRepositories(h);
      const all = await repos.groups.get(allComputersGroup);
      const unassigned = await repos.groups.get(unassignedComputersGroup);
      assert.equal(all?.parentGroupId, null);
      assert.equal(all?.isBuiltin, true);
      assert.equal(unassigned?.parentGroupId, allComputersGroup);
    });

    void test('knownUpdateIds names the ids with any stored revision, in one call for thousands', async (t) => {
      const h = await makeDb(t);
      const { revisions } = createRepositories(h);
      await revisions.upsertMany([revision(1), revision(2), revision(2, { revisionNumber: 101 })]);
      const asked = [
        guid(1).toUpperCase(),
        guid(2),
        ...Array.from({ length: 9_000 }, (_, i) => guid(10 + i)),
      ];
      assert.deepEqual([...(await revisions.knownUpdateIds(asked))].sort(), [guid(1), guid(2)]);
      assert.equal((await revisions.knownUpdateIds([])).size, 0);
    });

    void test('revision ids are stable per identity and never reused', async (t) => {
      const h = await makeDb(t);
      const { revisions } = createRepositories(h);
      const [a, b] = await revisions.upsertMany([revision(1), revision(2)]);
      assert.ok(a !== undefined && b !== undefined && a !== b);
      // Same identity again (upper-case id): same revision id.
      const [a2] = await revisions.upsertMany([
        revision(1, { updateId: guid(1).toUpperCase(), title: 'renamed' }),
      ]);
      assert.equal(a2, a);
      assert.equal((await revisions.getById(a))?.title, 'renamed');
      // Remove revision 2 completely, even its id mapping: the number must still never come back.
      await h.db.deleteFrom('revision_files').execute();
      await h.db.deleteFrom('revision_documents').where('revision_id', '=', b).execute();
      await h.db.deleteFrom('revision_fragments').where('revision_id', '=', b).execute();
      await h.db.deleteFrom('revision_localized').where('revision_id', '=', b).execute();
      await h.db.deleteFrom('revisions').where('revision_id', '=', b).execute();
      await h.db.deleteFrom('revision_ids').where('revision_id', '=', b).execute();
      const [c] = await revisions.upsertMany([revision(3)]);
      assert.ok(c! > b, `new id ${c} must be above the removed ${b}`);
      // A removed revision whose mapping is kept gets its old id back on re-import.
      await h.db.deleteFrom('revision_documents').where('revision_id', '=', c!).execute();
      await h.db.deleteFrom('revision_fragments').where('revision_id', '=', c!).execute();
      await h.db.deleteFrom('revision_localized').where('revision_id', '=', c!).execute();
      await h.db.deleteFrom('revisions').where('revision_id', '=', c!).execute();
      assert.deepEqual(await revisions.upsertMany([revision(3)]), [c]);
      const ids = await revisions.lookupIds([
        { updateId: guid(1), revisionNumber: 100 },
        { updateId: guid(3), revisionNumber: 100 },
        { updateId: guid(9), revisionNumber: 100 },
      ]);
      assert.equal(ids.size, 2);
      assert.equal(ids.get(`${guid(3)}/100`), c);
    });

    void test('revision ids are int32: the database refuses a larger one', async (t) => {
      const h = await makeDb(t);
      await assert.rejects(
        h.db
          .insertInto('revision_ids')
          .values({ revision_id: 2 ** 31, update_id: guid(1), revision_number: 1, allocated_at: 0 })
          .execute(),
      );
    });

    void test('a revision round-trips with document, fragments, relationships and files', async (t) => {
      const h = await makeDb(t);
      const { revisions, files } = createRepositories(h);
      const sha256 = Buffer.alloc(32, 7);
      const input = revision(10, {
        updateType: 'Software',
        isExplicitlyDeployable: true,
        kbArticleId: '2267602',
        creationDateAt: Date.UTC(2024, 0, 2),
        maxDownloadSize: 5_000_000_000,
        document: encodeBlob('<Update>' + 'd'.repeat(5000) + '</Update>', 'br'),
        localized: [
          { language: 'en', title: 'T', description: 'D', fragment: '<Title>T</Title>' },
          { language: 'de', title: 'T-de', fragment: '<Title>T-de</Title>' },
        ],
        prerequisites: [
          { isCategory: false, updateIds: [guid(20)] },
          { isCategory: true, updateIds: [guid(21), guid(22)] },
        ],
        bundledUpdates: [
          [
            { updateId: guid(30), revisionNumber: 200 },
            { updateId: guid(31), revisionNumber: 201 },
          ],
        ],
        supersededUpdateIds: [guid(40)],
        categories: [
          { updateId: guid(21), kind: 'product' },
          { updateId: guid(22), kind: 'classification' },
        ],
        files: [
          {
            sha1: sha1(1),
            sha256,
            size: 5_000_000_000,
            name: 'big.cab',
            muUrl: 'http://x/1',
            patchingType: 'SelfContained',
          },
          { sha1: sha1(2), size: 12, name: 'small.exe' },
        ],
      });
      const [id] = await revisions.upsertMany([
        input,
        revision(11, { files: [{ sha1: sha1(2), size: 12, name: 'small.exe' }] }),
      ]);
      const rec = await revisions.getByIdentity({ updateId: guid(10), revisionNumber: 100 });
      assert.equal(rec?.revisionId, id);
      assert.equal(rec?.isBundle, true);
      assert.equal(rec?.isExplicitlyDeployable, true);
      assert.equal(rec?.maxDownloadSize, 5_000_000_000);
      assert.equal(rec?.creationDateAt, Date.UTC(2024, 0, 2));
      const doc = await revisions.getDocument(id!);
      assert.equal(doc?.codec, 'br');
      assert.equal(decodeBlob(doc).toString('utf8'), '<Update>' + 'd'.repeat(5000) + '</Update>');
      const core = await revisions.getFragments([id!], 'core');
      assert.match(decodeBlob(core.get(id!)!).toString(), /UpdateID="00000000-0000-0000-0000-00000000000a"/);
      const de = await revisions.getLocalized([id!], ['de']);
      assert.deepEqual(
        de.map((l) => [l.language, l.title, decodeBlob(l.fragment).toString()]),
        [['de', 'T-de', '<Title>T-de</Title>']],
      );
      const rel = await revisions.getRelationships(id!);
      assert.deepEqual(rel.prerequisites, [
        { isCategory: false, updateIds: [guid(20)] },
        { isCategory: true, updateIds: [guid(21), guid(22)] },
      ]);
      assert.deepEqual(rel.bundledUpdates, [
        [
          { updateId: guid(30), revisionNumber: 200 },
          { updateId: guid(31), revisionNumber: 201 },
        ],
      ]);
      assert.deepEqual(rel.supersededUpdateIds, [guid(40)]);
      assert.equal(rel.categories.length, 2);
      const f = await revisions.getFiles(id!);
      assert.deepEqual(
        f.map((x) => [x.fileName, x.size, x.sha256?.length ?? null, x.contentState]),
        [
          ['big.cab', 5_000_000_000, 32, 'absent'],
          ['small.exe', 12, null, 'absent'],
        ],
      );
      assert.equal((await files.revisionsUsing(sha1(2))).length, 2);
      // Re-import with fewer relationships replaces the old children.
      await revisions.upsertMany([
        revision(10, { prerequisites: [{ isCategory: false, updateIds: [guid(23)] }] }),
      ]);
      const rel2 = await revisions.getRelationships(id!);
      assert.deepEqual(rel2.prerequisites, [{ isCategory: false, updateIds: [guid(23)] }]);
      assert.deepEqual(rel2.bundledUpdates, []);
      assert.equal((await revisions.getFiles(id!)).length, 0);
      // Content state moves.
      assert.equal(await files.setState([sha1(1)], 'downloading'), 1);
      assert.equal(await files.setState([sha1(1)], 'failed', 'digest mismatch'), 1);
      const f1 = await files.get(sha1(1));
      assert.deepEqual([f1?.contentState, f1?.attempts, f1?.lastError], ['failed', 1, 'digest mismatch']);
      assert.equal((await files.countByState()).failed, 1);
    });

    void test('category info never regresses to an older revision', async (t) => {
      const h = await makeDb(t);
      const { revisions } = createRepositories(h);
      const cat = (rev: number, title: string) =>
        revision(50, {
          revisionNumber: rev,
          updateType: 'Category',
          title,
          category: { categoryType: 'Product' },
        });
      await revisions.upsertMany([cat(200, 'new')]);
      await revisions.upsertMany([cat(100, 'old')]);
      const row = await h.db.selectFrom('categories').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([row.revision_number, row.title, row.category_type], [200, 'new', 'Product']);
    });

    void test('files: content gaps of updates, through their bundle members, within a generation', async (t) => {
      const h = await makeDb(t);
      const { revisions, generations, files } = createRepositories(h);
      const file = (n: number) => ({ sha1: sha1(n), size: 10 + n, name: `f${n}.cab` });
      // 60: a bundle of 61 (file 1) and 62 (file 2); 63: its own file 3; 64: no files; 65: file 4, not in
      // the generation below.
      const ids = await revisions.upsertMany([
        revision(60, {
          bundledUpdates: [
            [{ updateId: guid(61), revisionNumber: 100 }],
            [{ updateId: guid(62), revisionNumber: 100 }],
          ],
        }),
        revision(61, { files: [file(1)] }),
        revision(62, { files: [file(2)] }),
        revision(63, { files: [file(3)] }),
        revision(64),
        revision(65, { files: [file(4)] }),
      ]);
      const g = await generations.createStaged();
      await generations.addMembers(
        g.generationId,
        ids.slice(0, 5).map((revisionId) => ({ revisionId, isLeaf: true, isBundleMember: false })),
      );
      const all = [60, 63, 64, 65].map(guid);
      const gaps = async () =>
        [...(await files.contentGaps(g.generationId, all))].sort(([a], [b]) => a.localeCompare(b));
      assert.deepEqual(await gaps(), [
        [guid(60), { state: 'waiting', reason: null }],
        [guid(63), { state: 'waiting', reason: null }],
      ]);
      await files.setState([sha1(1), sha1(3)], 'verified');
      await files.setState([sha1(2)], 'failed', 'PB_ERR_UPSTREAM_HTTP: 404');
      assert.deepEqual(await gaps(), [[guid(60), { state: 'failed', reason: 'PB_ERR_UPSTREAM_HTTP: 404' }]]);
      await files.setState([sha1(2)], 'verified');
      assert.deepEqual(await gaps(), []);
      assert.deepEqual([...(await files.contentGaps(g.generationId, []))], []);
    });

    void test('generations: exactly one active, atomic switch, rollback', async (t) => {
      const h = await makeDb(t);
      const { revisions, generations } = createRepositories(h);
      const ids = await revisions.upsertMany([revision(1), revision(2), revision(3)]);
      const g1 = await generations.createStaged({ note: 'first' });
      await generations.addMembers(g1.generationId, [
        { revisionId: ids[0]!, isLeaf: false, isBundleMember: false },
        { revisionId: ids[1]!, isLeaf: true, isBundleMember: false },
      ]);
      assert.equal(await generations.getActive(), undefined);
      const a1 = await generations.activate(g1.generationId);
      assert.deepEqual([a1.state, a1.memberCount, a1.previousGenerationId], ['active', 2, null]);
      await assert.rejects(generations.addMembers(g1.generationId, []), isConflict);

      const g2 = await generations.createStaged();
      await generations.copyMembers(g1.generationId, g2.generationId);
      await generations.addMembers(g2.generationId, [
        { revisionId: ids[2]!, isLeaf: true, isBundleMember: true },
      ]);
      await generations.removeMembers(g2.generationId, [ids[1]!]);
      // The staged generation is invisible to readers of the active one.
      assert.equal((await generations.getActive())?.generationId, g1.generationId);
      const a2 = await generations.activate(g2.generationId);
      assert.deepEqual([a2.memberCount, a2.previousGenerationId], [2, g1.generationId]);
      assert.equal((await generations.get(g1.generationId))?.state, 'retired');
      const members = await generations.listMembers(g2.generationId);
      assert.deepEqual(
        members.map((m) => [m.revisionId, m.isLeaf, m.isBundleMember]),
        [
          [ids[0], false, false],
          [ids[2], true, true],
        ],
      );

      const back = await generations.rollback();
      assert.equal(back.active.generationId, g1.generationId);
      assert.equal((await generations.get(g2.generationId))?.state, 'rolled_back');
      await assert.rejects(generations.rollback(), isConflict);
      const active = await h.db
        .selectFrom('catalog_generations')
        .select('generation_id')
        .where('state', '=', 'active')
        .execute();
      assert.equal(active.length, 1);
      // The database itself refuses a second active generation.
      await assert.rejects(
        h.db
          .updateTable('catalog_generations')
          .set({ state: 'active' })
          .where('generation_id', '=', g2.generationId)
          .execute(),
      );
    });

    void test('generations: rollback pins the generation; activation is refused until unpin', async (t) => {
      const h = await makeDb(t);
      const { revisions, generations } = createRepositories(h);
      const ids = await revisions.upsertMany([revision(1), revision(2), revision(3)]);
      const gens = [];
      for (const id of ids) {
        const g = await generations.createStaged();
        await generations.addMembers(g.generationId, [
          { revisionId: id, isLeaf: true, isBundleMember: false },
        ]);
        gens.push((await generations.activate(g.generationId)).generationId);
      }
      assert.equal(await generations.getPin(), undefined);
      // --to any retired generation, not only the previous one.
      const back = await generations.rollback({ to: gens[0]!, pinnedBy: 'alice' }, 5000);
      assert.deepEqual([back.active.generationId, back.replaced?.generationId], [gens[0], gens[2]]);
      assert.deepEqual(await generations.getPin(), {
        generationId: gens[0],
        pinnedAt: 5000,
        pinnedBy: 'alice',
      });
      const staged = await generations.createStaged();
      await assert.rejects(
        generations.activate(staged.generationId),
        (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_CATALOG_PINNED',
      );
      assert.equal((await generations.getActive())?.generationId, gens[0]);
      // Moving the pin: a rolled-back generation can be served again; a staged one cannot.
      assert.equal((await generations.rollback({ to: gens[2]! })).active.generationId, gens[2]);
      assert.equal((await generations.getPin())?.generationId, gens[2]);
      await assert.rejects(generations.rollback({ to: staged.generationId }), isConflict);
      await assert.rejects(
        generations.rollback({ to: 999 }),
        (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_NOT_FOUND',
      );
      assert.equal((await generations.unpin())?.generationId, gens[2]);
      assert.equal(await generations.unpin(), undefined);
      assert.equal((await generations.activate(staged.generationId)).previousGenerationId, gens[2]);
    });

    void test('generations: concurrent activations leave exactly one active', async (t) => {
      const h = await makeDb(t);
      const { generations } = createRepositories(h);
      const staged = await Promise.all([1, 2, 3, 4].map(() => generations.createStaged()));
      const results = await Promise.allSettled(staged.map((g) => generations.activate(g.generationId)));
      assert.ok(results.every((r) => r.status === 'fulfilled'));
      const rows = await h.db.selectFrom('catalog_generations').select(['generation_id', 'state']).execute();
      assert.equal(rows.filter((r) => r.state === 'active').length, 1);
      assert.equal(rows.filter((r) => r.state === 'retired').length, 3);
    });

    void test('a failed transaction leaves earlier data intact', async (t) => {
      const h = await makeDb(t);
      const { revisions } = createRepositories(h);
      const [id] = await revisions.upsertMany([revision(1)]);
      await assert.rejects(
        h.transaction(async (trx) => {
          const r = createRepositories({ db: trx, dialect: h.dialect });
          await r.revisions.upsertMany([revision(1, { title: 'changed' }), revision(2)]);
          await r.generations.createStaged();
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await revisions.getById(id!))?.title, 'Update 1');
      assert.equal(await revisions.count(), 1);
      assert.equal((await createRepositories(h).generations.list()).length, 0);
      // A failing batch (bad SHA-1) stores none of its revisions.
      await assert.rejects(
        revisions.upsertMany([
          revision(3),
          revision(4, { files: [{ sha1: Buffer.alloc(3), size: 1, name: 'x' }] }),
        ]),
      );
      assert.equal(await revisions.count(), 1);
    });

    void test('two concurrent writers get one id per identity', async (t) => {
      const h = await makeDb(t);
      const { revisions } = createRepositories(h);
      const batchA = Array.from({ length: 300 }, (_, i) => revision(i + 1));
      const batchB = Array.from({ length: 300 }, (_, i) => revision(i + 151));
      const [idsA, idsB] = await Promise.all([revisions.upsertMany(batchA), revisions.upsertMany(batchB)]);
      for (let i = 150; i < 300; i++) assert.equal(idsA[i], idsB[i - 150]);
      const all = await h.db.selectFrom('revision_ids').select('revision_id').execute();
      assert.equal(all.length, 450);
      assert.equal(new Set(all.map((r) => r.revision_id)).size, 450);
      assert.equal(await revisions.count(), 450);
    });

    void test('quarantine: add, retry counting, due for retry, clear', async (t) => {
      const h = await makeDb(t);
      const { quarantine } = createRepositories(h);
      await quarantine.add(
        [
          {
            updateId: guid(1).toUpperCase(),
            revisionNumber: 100,
            reasonCode: 'xml_malformed',
            detail: 'x'.repeat(10_000),
            nextRetryAt: 2000,
          },
          {
            updateId: guid(2),
            revisionNumber: 100,
            reasonCode: 'dependency',
            causedByUpdateId: guid(1),
            nextRetryAt: null,
          },
        ],
        1000,
      );
      await quarantine.add(
        [{ updateId: guid(1), revisionNumber: 100, reasonCode: 'xml_malformed', nextRetryAt: 5000 }],
        3000,
      );
      const q1 = await quarantine.get({ updateId: guid(1), revisionNumber: 100 });
      assert.deepEqual(
        [q1?.firstSeenAt, q1?.lastSeenAt, q1?.retryCount, q1?.nextRetryAt],
        [1000, 3000, 1, 5000],
      );
      assert.equal((await quarantine.list()).length, 2);
      assert.equal((await quarantine.list({ reasonCode: 'dependency' }))[0]?.causedByUpdateId, guid(1));
      assert.deepEqual(await quarantine.dueForRetry(4000), []);
      assert.deepEqual(
        (await quarantine.dueForRetry(5000)).map((q) => q.updateId),
        [guid(1)],
      );
      assert.deepEqual([...(await quarantine.quarantinedUpdateIds())].sort(), [guid(1), guid(2)]);
      assert.equal(await quarantine.clear([{ updateId: guid(1), revisionNumber: 100 }]), 1);
      assert.equal((await quarantine.list()).length, 1);
    });

    void test('client events are de-duplicated by EventInstanceID', async (t) => {
      const h = await makeDb(t);
      const { clientEvents } = createRepositories(h);
      const ev = (n: number, raw = '<Event/>') => ({
        eventInstanceId: guid(n),
        computerId: guid(999),
        eventId: 183,
        namespaceId: 1,
        eventAt: 1000 + n,
        raw,
      });
      assert.equal(await clientEvents.insertBatch([ev(1), ev(2), ev(2), ev(3)]), 3);
      assert.equal(
        await clientEvents.insertBatch([ev(3), ev(4), { ...ev(1), eventInstanceId: guid(1).toUpperCase() }]),
        1,
      );
      assert.equal(await clientEvents.insertBatch([ev(5, 'y'.repeat(100_000))]), 1);
      const list = await clientEvents.listForComputer(guid(999));
      assert.equal(list.length, 5);
      const big = list.find((e) => e.eventInstanceId === guid(5));
      assert.equal(big?.isRawTruncated, true);
      assert.ok(big.raw.length <= 16 * 1024);
    });

    void test('groups: tree with cycle refusal, memberships, delete to Unassigned', async (t) => {
      const h = await makeDb(t);
      const { groups, computers } = createRepositories(h);
      const a = await groups.create({ name: 'A' });
      const b = await groups.create({ name: 'B', parentGroupId: a.groupId });
      const c = await groups.create({ name: 'C', parentGroupId: b.groupId });
      await assert.rejects(groups.move(a.groupId, c.groupId), isConflict);
      await assert.rejects(groups.move(a.groupId, a.groupId), isConflict);
      await assert.rejects(groups.move(allComputersGroup, a.groupId), isConflict);
      await assert.rejects(groups.delete(unassignedComputersGroup), isConflict);
      await assert.rejects(
        groups.create({ name: 'X', parentGroupId: guid(12345) }),
        (e) => e instanceof AppError && e.code === 'PB_ERR_NOT_FOUND',
      );
      assert.deepEqual(await groups.ancestors(c.groupId), [b.groupId, a.groupId, allComputersGroup]);
      await groups.move(c.groupId, a.groupId);
      assert.deepEqual(await groups.ancestors(c.groupId), [a.groupId, allComputersGroup]);

      assert.equal(await computers.upsert({ computerId: guid(1), dnsName: 'pc1.example' }), true);
      assert.equal(
        await computers.upsert({ computerId: guid(1), osMajor: 10, inventory: { ram: 8 } }),
        false,
      );
      const pc = await computers.get(guid(1));
      assert.deepEqual([pc?.dnsName, pc?.osMajor, pc?.inventory], ['pc1.example', 10, { ram: 8 }]);
      await computers.touchLastSync(guid(1), 777);
      assert.equal((await computers.get(guid(1)))?.lastSyncAt, 777);

      await groups.setMemberships(guid(1), [], 'server');
      assert.deepEqual(await groups.groupsOf(guid(1)), [
        { groupId: unassignedComputersGroup, source: 'server' },
      ]);
      await groups.setMemberships(guid(1), [c.groupId], 'server');
      assert.deepEqual(
        (await groups.groupsOf(guid(1))).map((g) => g.groupId),
        [c.groupId],
      );
      assert.deepEqual(await groups.members(c.groupId), [guid(1)]);
      await assert.rejects(groups.delete(a.groupId), isConflict);
      await groups.delete(c.groupId);
      assert.deepEqual(
        (await groups.groupsOf(guid(1))).map((g) => g.groupId),
        [unassignedComputersGroup],
      );
    });

    void test('approvals and declines, with the deployment change log', async (t) => {
      const h = await makeDb(t);
      const { approvals, groups, deploymentChanges } = createRepositories(h);
      const g = await groups.create({ name: 'Ring 0' });
      const seq0 = await deploymentChanges.latestSeq();
      await approvals.set([
        {
          updateId: guid(1),
          groupId: g.groupId,
          action: 'install',
          deadlineAt: 5000,
          approvedBy: 'alice',
          approvedVia: 'admin',
        },
        {
          updateId: guid(2),
          groupId: allComputersGroup,
          action: 'install',
          approvedBy: 'rule',
          approvedVia: 'rule:1',
        },
      ]);
      await approvals.set([
        { updateId: guid(1), groupId: g.groupId, action: 'uninstall', approvedBy: 'bob', approvedVia: 'api' },
      ]);
      const list = await approvals.listForGroups([g.groupId, allComputersGroup]);
      assert.deepEqual(
        list.map((a) => [a.updateId, a.groupId, a.action, a.deadlineAt, a.approvedBy]),
        [
          [guid(1), g.groupId, 'uninstall', null, 'bob'],
          [guid(2), allComputersGroup, 'install', null, 'rule'],
        ],
      );
      assert.equal(
        await approvals.clear([
          { updateId: guid(2), groupId: allComputersGroup },
          { updateId: guid(3), groupId: g.groupId },
        ]),
        1,
      );
      assert.equal((await approvals.listForGroups([allComputersGroup])).length, 0);
      await approvals.decline([guid(5)], { declinedBy: 'alice', declinedVia: 'admin', reason: 'superseded' });
      assert.equal(await approvals.isDeclined(guid(5)), true);
      assert.equal((await approvals.listDeclined())[0]?.reason, 'superseded');
      assert.equal(await approvals.undecline([guid(5)]), 1);
      const changes = await deploymentChanges.since(seq0);
      assert.deepEqual(
        changes.map((c) => c.kind),
        ['approval', 'approval', 'approval', 'approval_cleared', 'declined', 'undeclined'],
      );
      assert.ok(changes.every((c, i) => i === 0 || c.changeSeq > changes[i - 1]!.changeSeq));
      assert.equal(await deploymentChanges.latestSeq(), changes.at(-1)?.changeSeq);
    });

    void test('cookie keys rotate', async (t) => {
      const h = await makeDb(t);
      const { cookieKeys, settings } = createRepositories(h);
      assert.equal(await cookieKeys.active(), undefined);
      const k1 = await cookieKeys.create(1000);
      const k2 = await cookieKeys.create(2000);
      assert.equal(k1.secret.length, 32);
      assert.notDeepEqual(k1.secret, k2.secret);
      assert.equal((await cookieKeys.active())?.keyId, k2.keyId);
      await cookieKeys.retire(k2.keyId, 3000);
      assert.equal((await cookieKeys.active())?.keyId, k1.keyId);
      assert.deepEqual((await cookieKeys.byId(k2.keyId))?.secret, k2.secret);
      assert.equal((await cookieKeys.byId(k2.keyId))?.retiredAt, 3000);
      assert.equal(await cookieKeys.deleteRetiredBefore(3001), 1);
      await assert.rejects(cookieKeys.create(1, Buffer.alloc(16)));
      const id1 = await settings.getOrCreateInstanceId();
      assert.equal(await settings.getOrCreateInstanceId(), id1);
      await settings.set('sync.products', ['a', 'b'], 'alice');
      assert.deepEqual(await settings.get('sync.products'), ['a', 'b']);
    });

    void test('sync runs record counters, outcome and typed errors; anchors promote', async (t) => {
      const h = await makeDb(t);
      const { syncRuns, anchors } = createRepositories(h);
      const run = await syncRuns.start({ kind: 'metadata', triggerSource: 'schedule', nodeId: 'n1' }, 1000);
      assert.equal(run.outcome, 'running');
      await syncRuns.addCounters(run.syncRunId, { imported: 10, quarantined: 1 });
      const c = await syncRuns.addCounters(run.syncRunId, { imported: 5 });
      assert.deepEqual({ ...c }, { imported: 15, quarantined: 1 });
      await syncRuns.finish(run.syncRunId, {
        outcome: 'failed',
        error: { code: 'PB_ERR_UPSTREAM', message: 'timeout', detail: { op: 'GetUpdateData' } },
      });
      await assert.rejects(syncRuns.finish(run.syncRunId, { outcome: 'succeeded' }), isConflict);
      const done = await syncRuns.get(run.syncRunId);
      assert.deepEqual(done?.error, {
        code: 'PB_ERR_UPSTREAM',
        message: 'timeout',
        detail: { op: 'GetUpdateData' },
      });
      assert.deepEqual(done?.counters, { imported: 15, quarantined: 1 });
      assert.equal((await syncRuns.lastWithOutcome('failed'))?.syncRunId, run.syncRunId);
      assert.equal(await syncRuns.lastWithOutcome('succeeded'), undefined);

      await anchors.setPending('config', 'anchor-1', run.syncRunId);
      assert.equal((await anchors.get('config'))?.anchor, null);
      assert.equal(await anchors.promote('config'), 'anchor-1');
      await anchors.setPending('config', 'anchor-2', null);
      const a = await anchors.get('config');
      assert.deepEqual([a?.anchor, a?.pendingAnchor], ['anchor-1', 'anchor-2']);
    });

    void test('job leases: single holder, expiry takeover with a new fencing token', async (t) => {
      const h = await makeDb(t);
      const { jobLeases } = createRepositories(h);
      const results = await Promise.all(['n1', 'n2', 'n3'].map((n) => jobLeases.acquire('sync', n, 1000, 0)));
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      const holder = winners[0]!.holder;
      const renewed = await jobLeases.acquire('sync', holder, 1000, 500);
      assert.deepEqual([renewed?.fencingToken, renewed?.expiresAt], [1, 1500]);
      assert.equal(await jobLeases.acquire('sync', 'other', 1000, 1499), undefined);
      const taken = await jobLeases.acquire('sync', 'other', 1000, 1500);
      assert.deepEqual([taken?.holder, taken?.fencingToken], ['other', 2]);
      assert.equal(await jobLeases.release('sync', holder), false);
      assert.equal(await jobLeases.release('sync', 'other'), true);
    });

    void test('update status, api tokens and audit log', async (t) => {
      const h = await makeDb(t);
      const { updateStatus, computers, apiTokens, auditLog } = createRepositories(h);
      await computers.upsert({ computerId: guid(1) });
      await updateStatus.upsert([{ computerId: guid(1), updateId: guid(7), state: 2, statusAt: 2000 }]);
      await updateStatus.upsert([{ computerId: guid(1), updateId: guid(7), state: 4, statusAt: 1000 }]);
      assert.equal(
        (await updateStatus.listForComputer(guid(1)))[0]?.state,
        2,
        'an older report must not win',
      );
      await updateStatus.upsert([{ computerId: guid(1), updateId: guid(7), state: 4, statusAt: 3000 }]);
      assert.deepEqual([...(await updateStatus.countByState(guid(7)))], [[4, 1]]);
      await assert.rejects(
        updateStatus.upsert([{ computerId: guid(1), updateId: guid(7), state: 7, statusAt: 1 }]),
      );

      const hash = Buffer.alloc(32, 9);
      const tok = await apiTokens.create(
        { name: 'ci', tokenHash: hash, roles: ['admin'], expiresAt: 5000 },
        1000,
      );
      assert.deepEqual((await apiTokens.findActiveByHash(hash, 2000))?.roles, ['admin']);
      assert.equal(await apiTokens.findActiveByHash(hash, 5000), undefined);
      assert.equal(await apiTokens.revoke(tok.tokenId), true);
      assert.equal(await apiTokens.findActiveByHash(hash, 2000), undefined);

      await auditLog.append({
        actor: 'alice',
        action: 'approve',
        targetType: 'update',
        targetId: guid(7),
        detail: { g: 1 },
      });
      assert.deepEqual((await auditLog.list())[0]?.detail, { g: 1 });
    });
  });
}
