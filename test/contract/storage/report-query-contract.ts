/**
 * The report reads (reportQueries) on SQLite and PostgreSQL, against the public-view seed fleet with known
 * answers (the statuses and approvals are listed in test/contract/public-views/seed.ts): pc1 installed
 * KB2267602, downloaded secCritical, failed secImportant, not installed secModerate (declined); pc2 pending
 * reboot, not applicable, not installed; pc3 installed all three; pc4 reported nothing.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import {
  allComputersGroup,
  createRepositories,
  unassignedComputersGroup,
  type UpdateStateCountsQuery,
} from '../../../src/storage/index.js';
import { ids, seedFleet, t0 } from '../public-views/seed.js';
import { guid, type MakeDb } from './repository-contract.js';

const hour = 3_600_000;
/** A bundle member of the seed: stored, not in vUpdate (not explicitly deployable). */
const bundleMember = '7366a74a-ef29-44e1-b738-570b516aca1f';
const counts = (r: {
  installed: number;
  needed: number;
  failed: number;
  notApplicable: number;
  noStatus: number;
}) => [r.installed, r.needed, r.failed, r.notApplicable, r.noStatus];

export function runReportQueryContract(name: string, makeDb: MakeDb): void {
  void describe(`report query repository on ${name}`, () => {
    const seeded = async (t: TestContext) => {
      const h = await makeDb(t);
      await seedFleet(h);
      return createRepositories(h);
    };

    void test('reportQueries: category titles, groups by name, memberships, update titles', async (t) => {
      const q = (await seeded(t)).reportQueries;
      assert.deepEqual((await q.categoryTitles('classification')).sort(), [
        'Definition Updates',
        'Security Updates',
      ]);
      const products = await q.categoryTitles('product');
      assert.ok(
        products.includes('Windows 11') && products.includes('Microsoft Defender Antivirus'),
        String(products),
      );
      assert.ok(!products.includes('Security Updates'), 'classifications are not products');
      assert.deepEqual(
        (await q.groups()).map((g) => [g.name, g.groupId, g.parentGroupId]),
        [
          ['All Computers', allComputersGroup, null],
          ['Servers', ids.servers, allComputersGroup],
          ['Unassigned Computers', unassignedComputersGroup, allComputersGroup],
          ['Web', ids.web, ids.servers],
          ['Workstations', ids.workstations, allComputersGroup],
        ],
      );
      // Direct memberships only, plus the built-in groups the views add (every computer is in All Computers).
      const pairs = (await q.memberships()).map((m) => `${m.computerId} ${m.groupId}`).sort();
      assert.deepEqual(
        pairs,
        [
          [ids.pc1, ids.servers],
          [ids.pc2, ids.web],
          [ids.pc3, ids.web],
          [ids.pc3, ids.workstations],
          [ids.pc4, unassignedComputersGroup],
          ...[ids.pc1, ids.pc2, ids.pc3, ids.pc4].map((pc) => [pc, allComputersGroup]),
        ]
          .map(([c, g]) => `${c} ${g}`)
          .sort(),
      );
      const titles = new Map((await q.updateTitles()).map((u) => [u.updateId, u]));
      assert.deepEqual(
        [...titles.keys()].sort(),
        [ids.kb2267602, ids.secCritical, ids.secImportant, ids.secModerate].sort(),
      );
      assert.deepEqual(titles.get(ids.secImportant), {
        updateId: ids.secImportant,
        title: '=HYPERLINK("x") Sécurité Übersicht 更新 (KB5040002)',
        kb: '5040002',
      });
    });

    void test('reportQueries.updateStateCounts: computers per state, every filter, newest first', async (t) => {
      const q = (await seeded(t)).reportQueries;
      const lines = (f: Partial<UpdateStateCountsQuery>) =>
        q.updateStateCounts({ approval: 'any-except-declined', limit: 100, ...f });
      const all = await lines({});
      assert.deepEqual(
        all.map((r) => [r.updateId, ...counts(r)]),
        [
          [ids.secCritical, 1, 1, 0, 1, 1],
          [ids.kb2267602, 2, 1, 0, 0, 1],
          [ids.secImportant, 1, 1, 1, 0, 1],
        ],
      );
      assert.deepEqual(all[0], {
        updateId: ids.secCritical,
        kb: '5040001',
        title: '2026-10 Cumulative Update for Windows 11 (KB5040001)',
        severity: 'Critical',
        classification: 'Security Updates',
        isDeclined: false,
        createdMs: Date.parse('2026-10-13T17:00:00.000Z'),
        installed: 1,
        needed: 1,
        failed: 0,
        notApplicable: 1,
        noStatus: 1,
      });
      const idsOf = async (f: Partial<UpdateStateCountsQuery>) => (await lines(f)).map((r) => r.updateId);
      // Counted over the direct members of the groups only (pc2, pc3 for Web).
      assert.deepEqual(
        (await lines({ groupIds: [ids.web], classification: 'security updates' })).map((r) => [
          r.updateId,
          ...counts(r),
        ]),
        [
          [ids.secCritical, 1, 0, 0, 1, 0],
          [ids.secImportant, 1, 1, 0, 0, 0],
        ],
      );
      assert.deepEqual(await idsOf({ classification: ids.definitionUpdates }), [ids.kb2267602]);
      assert.deepEqual(await idsOf({ product: 'windows 11' }), [ids.secCritical, ids.secImportant]);
      assert.deepEqual(await idsOf({ product: ids.defender }), [ids.kb2267602]);
      assert.deepEqual(await idsOf({ severity: 'unspecified' }), [ids.kb2267602]);
      assert.deepEqual(await idsOf({ severity: 'important' }), [ids.secImportant]);
      assert.deepEqual(await idsOf({ updateIds: [] }), []);
      assert.deepEqual(await idsOf({ updateIds: [ids.secImportant, ids.secModerate], approval: 'any' }), [
        ids.secImportant,
        ids.secModerate,
      ]);
      const declined = await lines({ approval: 'declined' });
      assert.deepEqual(
        declined.map((r) => [r.updateId, r.isDeclined, ...counts(r)]),
        [[ids.secModerate, true, 0, 1, 0, 0, 3]],
      );
      assert.deepEqual(await idsOf({ approval: 'approved' }), [
        ids.secCritical,
        ids.kb2267602,
        ids.secImportant,
      ]);
      assert.deepEqual(await idsOf({ approval: 'unapproved' }), []);
      assert.deepEqual(await idsOf({ limit: 1 }), [ids.secCritical]);
    });

    void test('reportQueries: per computer, per severity and per computer totals leave declined updates out', async (t) => {
      const q = (await seeded(t)).reportQueries;
      const computers = await q.computerStateCounts({ limit: 100 });
      assert.deepEqual(
        computers.map((r) => [r.name, ...counts(r)]),
        [
          ['srv-db01.contoso.local', 1, 1, 1, 0, 0],
          ['srv-web01.contoso.local', 0, 2, 0, 1, 0],
          ['ws-müller.contoso.local', 3, 0, 0, 0, 0],
          ['ws-new.contoso.local', 0, 0, 0, 0, 3],
        ],
      );
      assert.deepEqual(computers[0], {
        computerId: ids.pc1,
        name: 'srv-db01.contoso.local',
        ipAddress: '10.0.0.11',
        os: 'Windows Server 2022 Standard',
        // Managed here, not rolled up from a downstream server.
        parentServerId: null,
        lastSyncMs: t0 + hour,
        lastReportMs: t0 + hour + 60_000,
        installed: 1,
        needed: 1,
        failed: 1,
        notApplicable: 0,
        noStatus: 0,
      });
      assert.equal(computers[3]!.lastSyncMs, null);
      const names = async (groupIds: string[], limit = 100) =>
        (await q.computerStateCounts({ groupIds, limit })).map((r) => r.computerId);
      assert.deepEqual(await names([ids.web]), [ids.pc2, ids.pc3]);
      assert.deepEqual(await names([ids.servers]), [ids.pc1], 'no subgroups: the caller expands the tree');
      assert.deepEqual(await names([ids.servers, ids.workstations], 1), [ids.pc1]);

      // Sorted by severity name: the query promises no order.
      const severities = async (groupIds?: string[]) =>
        (await q.severityStateCounts({ groupIds }))
          .map((r) => [r.severity, r.updates, ...counts(r)])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      assert.deepEqual(await severities(), [
        ['Critical', 1, 1, 1, 0, 1, 1],
        ['Important', 1, 1, 1, 1, 0, 1],
        [null, 1, 2, 1, 0, 0, 1],
      ]);
      assert.deepEqual(await severities([ids.workstations]), [
        ['Critical', 1, 1, 0, 0, 0, 0],
        ['Important', 1, 1, 0, 0, 0, 0],
        [null, 1, 1, 0, 0, 0, 0],
      ]);

      const perComputer = new Map((await q.stateCountsPerComputer()).map((r) => [r.computerId, counts(r)]));
      assert.deepEqual([...perComputer].sort(), [
        [ids.pc1, [1, 1, 1, 0, 0]],
        [ids.pc2, [0, 2, 0, 1, 0]],
        [ids.pc3, [3, 0, 0, 0, 0]],
        [ids.pc4, [0, 0, 0, 0, 3]],
      ]);
    });

    void test('reportQueries.installApprovedAmong: install approvals of any group, declined too, chunked', async (t) => {
      const repos = await seeded(t);
      await repos.approvals.set([
        {
          updateId: bundleMember,
          groupId: ids.web,
          action: 'uninstall',
          approvedBy: 'bob',
          approvedVia: 'cli',
        },
      ]);
      // More ids than one statement binds: the matches of every chunk come back.
      const many = [
        ...Array.from({ length: 9000 }, (_, i) => guid(200_000 + i)),
        ids.kb2267602,
        ids.secCritical,
        ids.secImportant,
        ids.secModerate,
        bundleMember,
      ];
      // secImportant: install on Web (uninstall on Workstations); secModerate is declined; the bundle member
      // has an uninstall approval only.
      assert.deepEqual(
        (await repos.reportQueries.installApprovedAmong(many)).sort(),
        [ids.kb2267602, ids.secCritical, ids.secImportant, ids.secModerate].sort(),
      );
      assert.deepEqual(await repos.reportQueries.installApprovedAmong([ids.secCritical, bundleMember]), [
        ids.secCritical,
      ]);
      assert.deepEqual(await repos.reportQueries.installApprovedAmong([]), []);
    });
  });
}
