/**
 * The WSUS-compatible views on one database: real-world SUSDB queries (the Miradore connector's reads and
 * classic community reports) run with their SQL Server text unchanged, on seeded data with known answers.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import {
  asGroupId,
  resolveEffectiveApproval,
  type GroupApproval,
  type GroupId,
} from '../../../src/domain/index.js';
import {
  allComputersGroup,
  createRepositories,
  unassignedComputersGroup,
  viewTimeToMs,
  type DbHandle,
} from '../../../src/storage/index.js';
import { ids, seedFleet, t0 } from './seed.js';

export type MakeDb = (t: TestContext) => Promise<DbHandle>;
type Row = Record<string, unknown>;

/** Runs a query text as is; result keys lower-cased (PostgreSQL folds unquoted names, SQLite keeps the view's). */
async function query(h: DbHandle, text: string): Promise<Row[]> {
  const r = await sql.raw<Row>(text).execute(h.db);
  return r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v])));
}

const ms = (v: unknown) => viewTimeToMs(v as string | Date | null);

export function runPublicViewsContract(
  name: string,
  makeDb: MakeDb,
  prepare: (h: DbHandle) => Promise<void>,
): void {
  void describe(`WSUS public views on ${name}`, () => {
    const seeded = async (t: TestContext) => {
      const h = await makeDb(t);
      await seedFleet(h);
      await prepare(h);
      return h;
    };

    void test('Miradore connector reads: vUpdate, vUpdateApproval, vComputerTarget, vUpdateInstallationInfo', async (t) => {
      const h = await seeded(t);
      const updates = await query(
        h,
        `SELECT DefaultTitle, SecurityBulletin, KnowledgebaseArticle, UpdateId, CreationDate, MsrcSeverity
           FROM PUBLIC_VIEWS.vUpdate ORDER BY KnowledgebaseArticle`,
      );
      assert.deepEqual(
        updates.map((u) => [u.knowledgebasearticle, u.msrcseverity, u.securitybulletin, u.updateid]),
        [
          ['2267602', null, null, ids.kb2267602],
          ['5040001', 'Critical', 'MS26-001', ids.secCritical],
          ['5040002', 'Important', 'MS26-002,MS26-003', ids.secImportant],
          ['5040003', 'Moderate', null, ids.secModerate],
        ],
      );
      // The real document's title and creation date, to the millisecond.
      assert.match(
        String(updates[0]!.defaulttitle),
        /^Security Intelligence Update for Microsoft Defender Antivirus/,
      );
      assert.equal(ms(updates[0]!.creationdate), Date.parse('2026-10-04T12:00:58.381Z'));
      assert.equal(updates[2]!.defaulttitle, '=HYPERLINK("x") Sécurité Übersicht 更新 (KB5040002)');

      const actions = await query(
        h,
        `SELECT a.Action, g.Name FROM PUBLIC_VIEWS.vUpdateApproval a
           JOIN PUBLIC_VIEWS.vComputerTargetGroup g ON g.ComputerTargetGroupId = a.ComputerTargetGroupId
          WHERE a.UpdateId = '${ids.secCritical}' ORDER BY g.Name`,
      );
      assert.deepEqual(actions, [
        { action: 'Install', name: 'Servers' },
        { action: 'Block', name: 'Web' },
      ]);

      // "Computers of the group that reported since the last run" (Web: pc2 and pc3; pc3 reported later).
      const since = new Date(t0 + 2.5 * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
      const computers = await query(
        h,
        `SELECT ct.ComputerTargetId, ct.Name, ct.LastReportedStatusTime
           FROM PUBLIC_VIEWS.vComputerTarget ct
           JOIN PUBLIC_VIEWS.vComputerGroupMembership m ON m.ComputerTargetId = ct.ComputerTargetId
          WHERE m.ComputerTargetGroupId = '${ids.web}' AND ct.LastReportedStatusTime > '${since}'
          ORDER BY ct.Name`,
      );
      assert.deepEqual(
        computers.map((c) => [c.computertargetid, c.name, ms(c.lastreportedstatustime)]),
        [[ids.pc3, 'ws-müller.contoso.local', t0 + 3 * 3_600_000 + 60_000]],
      );

      const statuses = await query(
        h,
        `SELECT UpdateID, State FROM PUBLIC_VIEWS.vUpdateInstallationInfo
          WHERE ComputerTargetId = '${ids.pc1}' ORDER BY UpdateID`,
      );
      assert.deepEqual(
        statuses.map((s) => [s.updateid, s.state]),
        [
          [ids.secCritical, 3],
          [ids.secImportant, 5],
          [ids.secModerate, 2],
          [ids.kb2267602, 4],
        ],
      );
    });

    void test('community report: computers needing security updates (State IN (2,3,6))', async (t) => {
      const h = await seeded(t);
      const rows = await query(
        h,
        `SELECT ct.Name, COUNT(*) AS NeededCount
           FROM PUBLIC_VIEWS.vUpdateInstallationInfo uii
           JOIN PUBLIC_VIEWS.vUpdate u ON u.UpdateId = uii.UpdateId
           JOIN PUBLIC_VIEWS.vComputerTarget ct ON ct.ComputerTargetId = uii.ComputerTargetId
           JOIN PUBLIC_VIEWS.vClassification c ON c.ClassificationId = u.ClassificationId
          WHERE uii.State IN (2, 3, 6) AND c.DefaultTitle = 'Security Updates' AND u.IsDeclined = 0
          GROUP BY ct.Name
          ORDER BY ct.Name`,
      );
      assert.deepEqual(
        rows.map((r) => [r.name, Number(r.neededcount)]),
        [
          ['srv-db01.contoso.local', 1],
          ['srv-web01.contoso.local', 1],
        ],
      );
    });

    void test('community report: update approvals per group, and per-update status counts', async (t) => {
      const h = await seeded(t);
      const perGroup = await query(
        h,
        `SELECT g.Name AS GroupName, a.Action, COUNT(*) AS Approvals
           FROM PUBLIC_VIEWS.vUpdateApproval a
           JOIN PUBLIC_VIEWS.vComputerTargetGroup g ON g.ComputerTargetGroupId = a.ComputerTargetGroupId
          GROUP BY g.Name, a.Action
          ORDER BY g.Name, a.Action`,
      );
      assert.deepEqual(
        perGroup.map((r) => [r.groupname, r.action, Number(r.approvals)]),
        [
          ['All Computers', 'Install', 1],
          ['Servers', 'Install', 1],
          ['Web', 'Block', 1],
          ['Web', 'Install', 1],
          ['Workstations', 'Uninstall', 1],
        ],
      );
      const summary = await query(
        h,
        `SELECT u.KnowledgebaseArticle,
                SUM(CASE WHEN uii.State = 4 THEN 1 ELSE 0 END) AS Installed,
                SUM(CASE WHEN uii.State IN (2, 3, 6) THEN 1 ELSE 0 END) AS Needed,
                SUM(CASE WHEN uii.State = 5 THEN 1 ELSE 0 END) AS Failed,
                SUM(CASE WHEN uii.State = 1 THEN 1 ELSE 0 END) AS NotApplicable,
                SUM(CASE WHEN uii.State = 0 THEN 1 ELSE 0 END) AS NoStatus
           FROM PUBLIC_VIEWS.vUpdate u
           JOIN PUBLIC_VIEWS.vUpdateInstallationInfo uii ON uii.UpdateId = u.UpdateId
          GROUP BY u.KnowledgebaseArticle
          ORDER BY u.KnowledgebaseArticle`,
      );
      assert.deepEqual(
        summary.map((r) =>
          [r.knowledgebasearticle, r.installed, r.needed, r.failed, r.notapplicable, r.nostatus].map(
            (v, i) => (i === 0 ? v : Number(v)),
          ),
        ),
        [
          ['2267602', 2, 1, 0, 0, 1],
          ['5040001', 1, 1, 0, 1, 1],
          ['5040002', 1, 1, 1, 0, 1],
          ['5040003', 0, 1, 0, 0, 3],
        ],
      );
      // Dates compare with plain literals on both databases.
      const recent = await query(
        h,
        `SELECT KnowledgebaseArticle FROM PUBLIC_VIEWS.vUpdate WHERE CreationDate >= '2026-09-01' ORDER BY 1`,
      );
      assert.deepEqual(
        recent.map((r) => r.knowledgebasearticle),
        ['2267602', '5040001', '5040002'],
      );
    });

    void test('vUpdate installation and uninstallation columns come from the document', async (t) => {
      const h = await seeded(t);
      const rows = await query(
        h,
        `SELECT UpdateId, SecurityBulletin, InstallationCanRequestUserInput, InstallationRequiresNetworkConnectivity,
                InstallationImpact, InstallationRebootBehavior, UninstallationSteps, UninstallationNotes,
                UninstallationCanRequestUserInput, UninstallationRequiresNetworkConnectivity,
                UninstallationImpact, UninstallationRebootBehavior
           FROM PUBLIC_VIEWS.vUpdate ORDER BY UpdateId`,
      );
      const row = (id: string) => {
        const r = rows.find((x) => x.updateid === id);
        assert.ok(r, id);
        return r;
      };
      // SYNTHETIC secCritical sets every attribute; its UninstallationBehavior leaves two to the schema defaults.
      assert.deepEqual(row(ids.secCritical), {
        updateid: ids.secCritical,
        securitybulletin: 'MS26-001',
        installationcanrequestuserinput: 1,
        installationrequiresnetworkconnectivity: 1,
        installationimpact: 'RequiresExclusiveHandling',
        installationrebootbehavior: 'AlwaysRequiresReboot',
        uninstallationsteps: null,
        uninstallationnotes: 'Remove it from Programs and Features (synthetic)',
        uninstallationcanrequestuserinput: 0,
        uninstallationrequiresnetworkconnectivity: 0,
        uninstallationimpact: 'Minor',
        uninstallationrebootbehavior: 'CanRequestReboot',
      });
      // The REAL KB2267602 bundle has no behaviour elements of its own (its children have): NULL, not invented.
      const kb = row(ids.kb2267602);
      for (const c of [
        'securitybulletin',
        'installationcanrequestuserinput',
        'installationimpact',
        'installationrebootbehavior',
        'uninstallationnotes',
        'uninstallationimpact',
      ])
        assert.equal(kb[c], null, c);

      // The REAL hidden Defender children (bundle members, not in vUpdate) carry
      // <InstallationBehavior Impact="Minor" />: stored with the schema defaults for the absent attributes.
      const repos = createRepositories(h);
      for (const child of ['ff36f0b5-dded-4780-8664-cd78af8b62c1', '7366a74a-ef29-44e1-b738-570b516aca1f']) {
        const rec = await repos.revisions.getByIdentity({ updateId: child, revisionNumber: 200 });
        assert.ok(rec, child);
        assert.deepEqual(rec.installationBehavior, {
          canRequestUserInput: false,
          requiresNetworkConnectivity: false,
          impact: 'Minor',
          rebootBehavior: 'NeverReboots',
        });
        assert.equal(rec.uninstallationBehavior, null);
        assert.deepEqual(rec.securityBulletinIds, []);
      }
      const bulletins = await repos.revisions.getByIdentity({
        updateId: ids.secImportant,
        revisionNumber: 201,
      });
      assert.deepEqual(bulletins?.securityBulletinIds, ['MS26-002', 'MS26-003']);
    });

    void test('vUpdate columns: classification, declines, hidden bundle members, revisions', async (t) => {
      const h = await seeded(t);
      const rows = await query(
        h,
        `SELECT UpdateId, RevisionNumber, ClassificationId, IsDeclined, UpdateType, UpdateSource, PublicationState,
                IsLatestRevision, HasEarlierRevision, IsWsusInfrastructureUpdate, DefaultDescription, ArrivalDate
           FROM PUBLIC_VIEWS.vUpdate ORDER BY UpdateId`,
      );
      assert.equal(rows.length, 4, 'bundle members and categories are not updates');
      const kb = rows.find((r) => r.updateid === ids.kb2267602)!;
      assert.equal(kb.classificationid, ids.definitionUpdates);
      assert.equal(kb.revisionnumber, 200);
      assert.equal(kb.updatetype, 'Software');
      assert.equal(kb.updatesource, 'MicrosoftUpdate');
      assert.equal(kb.publicationstate, 'Published');
      assert.equal(kb.islatestrevision, 1);
      assert.equal(kb.hasearlierrevision, 0);
      assert.equal(kb.iswsusinfrastructureupdate, 0);
      assert.equal(ms(kb.arrivaldate), t0);
      assert.deepEqual(
        rows.map((r) => [r.updateid, r.isdeclined]),
        [
          [ids.secCritical, 0],
          [ids.secImportant, 0],
          [ids.secModerate, 1],
          [ids.kb2267602, 0],
        ],
      );
      assert.equal(
        rows.find((r) => r.updateid === ids.secCritical)!.defaultdescription,
        'Synthetic security update 5040001',
      );

      const cats = await query(
        h,
        `SELECT c.CategoryId, c.CategoryType, c.DefaultTitle, c.ParentCategoryId
           FROM PUBLIC_VIEWS.vUpdateInCategory uic
           JOIN PUBLIC_VIEWS.vCategory c ON c.CategoryId = uic.CategoryId
          WHERE uic.UpdateId = '${ids.secCritical}'`,
      );
      assert.deepEqual(cats, [
        {
          categoryid: ids.windows11,
          categorytype: 'Product',
          defaulttitle: 'Windows 11',
          parentcategoryid: ids.windowsFamily,
        },
      ]);
      const classes = await query(
        h,
        `SELECT ClassificationId, DefaultTitle FROM PUBLIC_VIEWS.vClassification ORDER BY DefaultTitle`,
      );
      assert.deepEqual(classes, [
        { classificationid: ids.definitionUpdates, defaulttitle: 'Definition Updates' },
        { classificationid: ids.securityUpdates, defaulttitle: 'Security Updates' },
      ]);
      const realCats = await query(
        h,
        `SELECT CategoryId, CategoryType FROM PUBLIC_VIEWS.vCategory WHERE CategoryId = '${ids.microsoft}'`,
      );
      assert.deepEqual(realCats, [{ categoryid: ids.microsoft, categorytype: 'Company' }]);
    });

    void test('vComputerTarget and memberships', async (t) => {
      const h = await seeded(t);
      const [c] = await query(
        h,
        `SELECT * FROM PUBLIC_VIEWS.vComputerTarget WHERE ComputerTargetId = '${ids.pc1}'`,
      );
      assert.ok(c !== undefined);
      assert.equal(c.name, 'srv-db01.contoso.local');
      assert.equal(c.ipaddress, '10.0.0.11');
      assert.equal(c.computerrole, 'Server');
      assert.equal(c.osbuildnumber, 20348);
      assert.equal(c.make, 'Dell Inc.');
      assert.equal(c.osarchitecture, 'AMD64');
      assert.equal(ms(c.lastsynctime), t0 + 3_600_000);
      assert.equal(ms(c.effectivelastdetectiontime), t0 + 3_600_000);
      assert.equal(c.lastsyncresult, null);
      const members = await query(
        h,
        `SELECT ComputerTargetId, ComputerTargetGroupId FROM PUBLIC_VIEWS.vComputerGroupMembership
          WHERE ComputerTargetId IN ('${ids.pc3}', '${ids.pc4}') ORDER BY ComputerTargetId, ComputerTargetGroupId`,
      );
      assert.deepEqual(
        members.map((m) => [m.computertargetid, m.computertargetgroupid]),
        [
          [ids.pc3, ids.web],
          [ids.pc3, ids.workstations],
          [ids.pc3, allComputersGroup],
          [ids.pc4, allComputersGroup],
          [ids.pc4, unassignedComputersGroup],
        ],
      );
    });

    void test('vUpdateEffectiveApprovalPerComputer follows the domain rule on the same data', async (t) => {
      const h = await seeded(t);
      const rows = await query(
        h,
        `SELECT ComputerTargetId, UpdateId, Action, ComputerTargetGroupId, Deadline, UpdateApprovalId
           FROM PUBLIC_VIEWS.vUpdateEffectiveApprovalPerComputer ORDER BY ComputerTargetId, UpdateId`,
      );
      const day = 86_400_000;
      // Hand-derived (see seed.ts): deeper group wins, explicit "not approved" blocks, declines remove.
      assert.deepEqual(
        rows.map((r) => [r.computertargetid, r.updateid, r.action, r.computertargetgroupid, ms(r.deadline)]),
        [
          [ids.pc1, ids.secCritical, 'Install', ids.servers, t0 + 7 * day],
          [ids.pc1, ids.kb2267602, 'Install', allComputersGroup, null],
          [ids.pc2, ids.secImportant, 'Install', ids.web, t0 + 3 * day],
          [ids.pc2, ids.kb2267602, 'Install', allComputersGroup, null],
          [ids.pc3, ids.secImportant, 'Install', ids.web, t0 + 3 * day],
          [ids.pc3, ids.kb2267602, 'Install', allComputersGroup, null],
          [ids.pc4, ids.kb2267602, 'Install', allComputersGroup, null],
        ],
      );
      // Approval ids are GUID-shaped, stable, and the same as vUpdateApproval's.
      const approvalIds = await query(
        h,
        'SELECT UpdateApprovalId, UpdateId, ComputerTargetGroupId FROM PUBLIC_VIEWS.vUpdateApproval',
      );
      for (const r of rows) {
        assert.match(
          String(r.updateapprovalid),
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        );
        assert.ok(
          approvalIds.some((a) => a.updateapprovalid === r.updateapprovalid && a.updateid === r.updateid),
        );
      }

      // The same answer from src/domain's resolveEffectiveApproval over the repositories' data.
      const repos = createRepositories(h);
      const groups = await repos.groups.list();
      const parent = new Map(groups.map((g) => [g.groupId, g.parentGroupId]));
      const parentOf = (g: GroupId) => {
        const p = parent.get(g);
        return p === null || p === undefined ? undefined : asGroupId(p);
      };
      const approvals = await repos.approvals.listForGroups(groups.map((g) => g.groupId));
      const declined = new Set((await repos.approvals.listDeclined()).map((d) => d.updateId));
      const expected: unknown[][] = [];
      for (const pc of [ids.pc1, ids.pc2, ids.pc3, ids.pc4]) {
        const stored = (await repos.groups.groupsOf(pc)).map((m) => asGroupId(m.groupId));
        const memberships = stored.length > 0 ? stored : [asGroupId(unassignedComputersGroup)];
        for (const updateId of [ids.secCritical, ids.secImportant, ids.secModerate, ids.kb2267602]) {
          const approvalOf = (g: GroupId): GroupApproval | undefined => {
            const a = approvals.find((x) => x.groupId === g && x.updateId === updateId);
            if (a === undefined) return undefined;
            const action = a.action === 'not_approved' ? 'notApproved' : a.action;
            return { groupId: g, action, deadlineAt: a.deadlineAt ?? undefined };
          };
          const e = resolveEffectiveApproval(memberships, parentOf, approvalOf);
          if (
            e === undefined ||
            declined.has(updateId) ||
            (e.action !== 'install' && e.action !== 'uninstall')
          )
            continue;
          expected.push([
            pc,
            updateId,
            e.action === 'install' ? 'Install' : 'Uninstall',
            e.sourceGroupId,
            e.deadlineAt ?? null,
          ]);
        }
      }
      assert.deepEqual(
        rows.map((r) => [r.computertargetid, r.updateid, r.action, r.computertargetgroupid, ms(r.deadline)]),
        expected,
      );
    });

    void test('vUpdateInstallationInfo: every pair, unknown when unreported; Basic: stored rows only', async (t) => {
      const h = await seeded(t);
      const all = await query(
        h,
        `SELECT ComputerTargetId, UpdateId, State, UpdateApprovalAction, LastChangeTime
           FROM PUBLIC_VIEWS.vUpdateInstallationInfo ORDER BY ComputerTargetId, UpdateId`,
      );
      assert.equal(all.length, 16);
      assert.ok(
        all
          .filter((r) => r.computertargetid === ids.pc4)
          .every((r) => r.state === 0 && r.lastchangetime === null),
      );
      const pc3Important = all.find(
        (r) => r.computertargetid === ids.pc3 && r.updateid === ids.secImportant,
      )!;
      assert.equal(pc3Important.updateapprovalaction, 'Install');
      assert.equal(ms(pc3Important.lastchangetime), t0 + 5000);
      const pc2Critical = all.find((r) => r.computertargetid === ids.pc2 && r.updateid === ids.secCritical)!;
      assert.equal(pc2Critical.updateapprovalaction, 'NotApproved');
      const basic = await query(
        h,
        `SELECT UpdateId, State FROM PUBLIC_VIEWS.vUpdateInstallationInfoBasic WHERE ComputerTargetId = '${ids.pc3}' ORDER BY UpdateId`,
      );
      assert.deepEqual(
        basic.map((r) => [r.updateid, r.state]),
        [
          [ids.secCritical, 4],
          [ids.secImportant, 4],
          [ids.kb2267602, 4],
        ],
        'the hidden bundle member status stays out',
      );
    });
  });
}
