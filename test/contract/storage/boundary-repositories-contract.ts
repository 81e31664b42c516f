/**
 * The repository methods that replaced raw queries in the client service (catalog index load, file
 * locations), the content-change announcement, the downloader's queue totals, the stale-sync alarm and the
 * readiness probe (issue 11 item 2), run on SQLite and PostgreSQL with known answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allComputersGroup, createRepositories } from '../../../src/storage/index.js';
import { approve, guid, revision, sha1, type MakeDb } from './repository-contract.js';

const file = (n: number, extra: { muUrl?: string } = {}) => ({
  sha1: sha1(n),
  size: 1000 * n,
  name: `f${n}.cab`,
  ...extra,
});
const hex = (bs: readonly Buffer[]) => bs.map((b) => b.toString('hex')).sort();
const ident = (n: number, revisionNumber = 100) => ({ updateId: guid(n), revisionNumber });
const byIdentity = (a: { updateId: string; revisionNumber: number }, b: typeof a) =>
  a.updateId.localeCompare(b.updateId) || a.revisionNumber - b.revisionNumber;

export function runBoundaryRepositoriesContract(name: string, makeDb: MakeDb): void {
  void describe(`client catalog, content change, queue and health repositories on ${name}`, () => {
    void test('clientCatalog.catalogRows: revisions, clauses in order, bundle groups in order; chunked', async (t) => {
      const { revisions, clientCatalog } = createRepositories(await makeDb(t));
      const [r1, r2, r3] = await revisions.upsertMany(
        [
          revision(1, {
            prerequisites: [
              { isCategory: true, updateIds: [guid(7), guid(8)] },
              { isCategory: false, updateIds: [guid(9)] },
            ],
            bundledUpdates: [[ident(2)], [ident(3), ident(3, 101)]],
          }),
          revision(2, { updateType: 'Driver', publicationState: 'Expired' }),
          revision(3, { updateType: 'Detectoid', publicationState: null }),
        ],
        5_000,
      );
      // More ids than one statement may bind, most of them unknown: only stored revisions come back.
      const asked = [...Array.from({ length: 9_000 }, (_, i) => 1_000_000 + i), r3!, r1!, r2!];
      const rows = await clientCatalog.catalogRows(asked);
      assert.deepEqual(
        [...rows.revisions].sort((a, b) => a.revisionId - b.revisionId),
        [
          {
            revisionId: r1,
            updateId: guid(1),
            revisionNumber: 100,
            updateType: 'Software',
            publicationState: null,
            importedAt: 5_000,
          },
          {
            revisionId: r2,
            updateId: guid(2),
            revisionNumber: 100,
            updateType: 'Driver',
            publicationState: 'Expired',
            importedAt: 5_000,
          },
          {
            revisionId: r3,
            updateId: guid(3),
            revisionNumber: 100,
            updateType: 'Detectoid',
            publicationState: null,
            importedAt: 5_000,
          },
        ],
      );
      assert.deepEqual(
        rows.prerequisites.map((p) => [p.revisionId, p.clauseIndex, p.updateId, p.isCategory]),
        [
          [r1, 0, guid(7), true],
          [r1, 0, guid(8), true],
          [r1, 1, guid(9), false],
        ].sort((a, b) => (a[1] as number) - (b[1] as number) || String(a[2]).localeCompare(String(b[2]))),
      );
      assert.deepEqual(
        rows.bundles
          .map((b) => [b.revisionId, b.groupIndex, b.updateId, b.revisionNumber])
          .sort((a, b) => (a[1] as number) - (b[1] as number) || (a[3] as number) - (b[3] as number)),
        [
          [r1, 0, guid(2), 100],
          [r1, 1, guid(3), 100],
          [r1, 1, guid(3), 101],
        ],
      );
      // Clauses and groups come ordered by revision, then index (the catalog index relies on it).
      const order = rows.bundles.map((b) => b.groupIndex);
      assert.deepEqual(order, [...order].sort());
      assert.deepEqual(await clientCatalog.catalogRows([]), {
        revisions: [],
        prerequisites: [],
        bundles: [],
      });
    });

    void test('clientCatalog: files of revisions with their position and URL; files by digest', async (t) => {
      const { revisions, clientCatalog } = createRepositories(await makeDb(t));
      const [r1, r2] = await revisions.upsertMany([
        revision(1, { files: [file(1, { muUrl: 'http://mu/1.cab' }), file(2)] }),
        revision(2, { files: [file(2)] }),
        revision(3, { files: [file(3)] }),
      ]);
      const rows = await clientCatalog.filesOfRevisions([r2!, r1!, r1!, 999_999]);
      assert.deepEqual(
        rows
          .map((r) => [r.revisionId, r.position, r.fileName, r.sha1.toString('hex'), r.muUrl] as const)
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]),
        [
          [r1, 0, 'f1.cab', sha1(1).toString('hex'), 'http://mu/1.cab'],
          [r1, 1, 'f2.cab', sha1(2).toString('hex'), null],
          [r2, 0, 'f2.cab', sha1(2).toString('hex'), null],
        ].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number)),
      );
      assert.deepEqual(await clientCatalog.filesOfRevisions([]), []);
      const many = [
        ...Array.from({ length: 9_000 }, (_, i) =>
          Buffer.alloc(20, 0)
            .fill(i % 250, 0, 4)
            .fill(200, 4),
        ),
        sha1(3),
        sha1(1),
      ];
      const found = await clientCatalog.filesByDigest(many);
      assert.deepEqual(found.map((f) => [f.sha1.toString('hex'), f.name, f.muUrl]).sort(), [
        [sha1(1).toString('hex'), 'f1.cab', 'http://mu/1.cab'],
        [sha1(3).toString('hex'), 'f3.cab', null],
      ]);
    });

    void test('contentChanges: revisions using files, bundles installing a revision, install approvals among ids', async (t) => {
      const h = await makeDb(t);
      const { revisions, approvals, groups, contentChanges } = createRepositories(h);
      // 1 bundles 2 (exact revision 100); 4 bundles 2 at revision 101 only; 2 and 3 share file 3.
      await revisions.upsertMany([
        revision(1, { bundledUpdates: [[ident(2)]], files: [file(1)] }),
        revision(2, { files: [file(2), file(3)] }),
        revision(2, { revisionNumber: 101, files: [file(2)] }),
        revision(3, { files: [file(3)] }),
        revision(4, { bundledUpdates: [[ident(2, 101)]] }),
      ]);
      assert.deepEqual(
        (await contentChanges.revisionsUsingFiles([sha1(3), sha1(2), sha1(9)])).sort(byIdentity),
        [ident(2), ident(2, 101), ident(3)],
      );
      assert.deepEqual(await contentChanges.revisionsUsingFiles([]), []);
      assert.deepEqual(await contentChanges.bundlesInstalling(ident(2)), [ident(1)]);
      assert.deepEqual(await contentChanges.bundlesInstalling(ident(2, 101)), [ident(4)]);
      assert.deepEqual(await contentChanges.bundlesInstalling(ident(3)), []);

      const pilot = await groups.create({ name: 'Pilot' });
      await approvals.set([
        approve(1, allComputersGroup, 'install'),
        approve(1, pilot.groupId, 'install'),
        approve(2, pilot.groupId, 'uninstall'),
        approve(3, pilot.groupId, 'install'),
      ]);
      const asked = [
        guid(1),
        guid(2),
        guid(4),
        ...Array.from({ length: 9_000 }, (_, i) => guid(50_000 + i)),
        guid(1),
      ];
      // Approved in two groups, asked twice: once. Uninstall-only and unapproved ids are left out.
      assert.deepEqual((await contentChanges.installApprovedAmong(asked)).sort(), [guid(1)]);
      assert.deepEqual(await contentChanges.installApprovedAmong([]), []);
    });

    void test('contentState: totals of one state, and the files verified since a time', async (t) => {
      const { revisions, files, contentState } = createRepositories(await makeDb(t));
      await revisions.upsertMany([revision(1, { files: [file(1), file(2), file(3), file(4)] })]);
      assert.deepEqual(await contentState.totalIn('queued'), { files: 0, bytes: 0 });
      await files.setState([sha1(1), sha1(3)], 'queued', null, 1_000);
      assert.deepEqual(await contentState.totalIn('queued'), { files: 2, bytes: 4_000 });
      assert.deepEqual(await contentState.totalIn('absent'), { files: 2, bytes: 6_000 });
      await files.setState([sha1(1)], 'verified', null, 2_000);
      await files.setState([sha1(2)], 'verified', null, 3_000);
      await files.setState([sha1(4)], 'failed', 'x', 4_000);
      assert.deepEqual(hex(await contentState.verifiedSince(2_000)), hex([sha1(1), sha1(2)]));
      assert.deepEqual(hex(await contentState.verifiedSince(2_001)), hex([sha1(2)]));
      assert.deepEqual(await contentState.verifiedSince(3_001), []);
    });

    void test('syncRuns.lastGoodMetadata: the latest succeeded or partial metadata run; content runs do not count', async (t) => {
      const { syncRuns } = createRepositories(await makeDb(t));
      assert.equal(await syncRuns.lastGoodMetadata(), undefined);
      const run = async (kind: string, outcome: 'succeeded' | 'partial' | 'failed', at: number) => {
        const r = await syncRuns.start({ kind, triggerSource: 'schedule' }, at);
        await syncRuns.finish(r.syncRunId, { outcome }, at + 10);
        return r.syncRunId;
      };
      const partial = await run('metadata', 'partial', 1_000);
      assert.equal((await syncRuns.lastGoodMetadata())?.syncRunId, partial);
      await run('metadata', 'failed', 2_000);
      await run('content', 'succeeded', 3_000);
      const last = await syncRuns.lastGoodMetadata();
      assert.equal(last?.syncRunId, partial);
      assert.equal(last?.finishedAt, 1_010);
      const good = await run('metadata', 'succeeded', 4_000);
      assert.equal((await syncRuns.lastGoodMetadata())?.syncRunId, good);
      // Still running: not a good sync yet.
      await syncRuns.start({ kind: 'metadata', triggerSource: 'cli' }, 5_000);
      assert.equal((await syncRuns.lastGoodMetadata())?.syncRunId, good);
    });

    void test('health.ping answers while the database is open and throws once it is closed', async (t) => {
      const h = await makeDb(t);
      const { health } = createRepositories(h);
      await health.ping();
      await h.close();
      await assert.rejects(health.ping());
    });
  });
}
