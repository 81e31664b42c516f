/**
 * The reports service on one database, against the seeded fleet of test/contract/public-views/seed.ts.
 * Outputs are compared with golden files (test/integration/reports/golden): the SAME files for SQLite and
 * PostgreSQL, so the two databases must agree to the byte. Regenerate with PATCHBAY_UPDATE_GOLDEN=1 and
 * review the diff by hand (the values are derived in seed.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { createReportsService, formatReport, type ReportFormat } from '../../../src/reports/index.js';
import { createRepositories, type DbHandle } from '../../../src/storage/index.js';
import { ids, seedFleet, t0 } from '../../contract/public-views/seed.js';

export type MakeDb = (t: TestContext) => Promise<DbHandle>;

const goldenDir = new URL('./golden/', import.meta.url);
const generatedAt = t0 + 86_400_000;

function golden(name: string, actual: string): void {
  const file = new URL(name, goldenDir);
  if (process.env.PATCHBAY_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.ok(existsSync(file), `golden ${name} is missing: run with PATCHBAY_UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `golden ${name}`);
}

export function runReportsSuite(name: string, makeDb: MakeDb): void {
  void describe(`reports on ${name}`, () => {
    const seeded = async (t: TestContext) => {
      const h = await makeDb(t);
      await seedFleet(h);
      return createReportsService(createRepositories(h), { now: () => generatedAt });
    };

    void test('update status report: counts per state, golden in every format', async (t) => {
      const s = await seeded(t);
      const report = await s.updateStatus();
      const byKb: Record<string, (typeof report.rows)[number]> = Object.fromEntries(
        report.rows.map((r) => [String(r.kb), r]),
      );
      // Declined KB5040003 is left out by default; pc4 reported nothing (no status).
      // Newest first (creation date).
      assert.deepEqual(Object.keys(byKb), ['KB5040001', 'KB2267602', 'KB5040002']);
      assert.deepEqual(
        ['installed', 'needed', 'failed', 'notApplicable', 'noStatus'].map((k) => byKb.KB5040001![k]),
        [1, 1, 0, 1, 1],
      );
      for (const format of ['table', 'csv', 'json'] as ReportFormat[])
        golden(`updates.${format === 'table' ? 'txt' : format}`, formatReport(report, format));
    });

    void test('update status report filters: group, classification, product, severity, approval, text/KB', async (t) => {
      const s = await seeded(t);
      const kbs = async (f: Parameters<typeof s.updateStatus>[0]) =>
        (await s.updateStatus(f)).rows.map((r) => r.kb);
      assert.deepEqual(await kbs({ classification: 'security updates' }), ['KB5040001', 'KB5040002']);
      assert.deepEqual(await kbs({ classification: ids.definitionUpdates }), ['KB2267602']);
      assert.deepEqual(await kbs({ product: 'Windows 11' }), ['KB5040001', 'KB5040002']);
      assert.deepEqual(await kbs({ product: 'Microsoft Defender Antivirus' }), ['KB2267602']);
      assert.deepEqual(await kbs({ severity: 'critical' }), ['KB5040001']);
      assert.deepEqual(await kbs({ severity: 'Unspecified' }), ['KB2267602']);
      assert.deepEqual(await kbs({ approval: 'declined' }), ['KB5040003']);
      assert.deepEqual(await kbs({ approval: 'any' }), ['KB5040001', 'KB2267602', 'KB5040002', 'KB5040003']);
      assert.deepEqual(await kbs({ approval: 'approved' }), ['KB5040001', 'KB2267602', 'KB5040002']);
      assert.deepEqual(await kbs({ approval: 'unapproved' }), []);
      assert.deepEqual(await kbs({ text: 'kb5040002' }), ['KB5040002']);
      assert.deepEqual(await kbs({ text: 'ÜBERSICHT' }), ['KB5040002'], 'case-insensitive on both databases');
      assert.deepEqual(await kbs({ text: '100%' }), [], 'no wildcards');
      assert.deepEqual(await kbs({ text: '"quoted"', approval: 'any' }), ['KB5040003']);
      // Group Web (pc2, pc3): counts cover only them.
      const web = await s.updateStatus({ group: 'web', classification: 'Security Updates' });
      assert.deepEqual(
        web.rows.map((r) => [r.kb, r.installed, r.needed, r.failed, r.notApplicable, r.noStatus]),
        [
          ['KB5040001', 1, 0, 0, 1, 0],
          ['KB5040002', 1, 1, 0, 0, 0],
        ],
      );
      // Servers includes its subgroup Web: pc1, pc2, pc3.
      const servers = await s.updateStatus({ group: ids.servers, text: 'KB2267602' });
      assert.deepEqual(
        servers.rows.map((r) => [r.installed, r.needed, r.noStatus]),
        [[2, 1, 0]],
      );
      const limited = await s.updateStatus({ limit: 2 });
      assert.equal(limited.rows.length, 2);
      assert.equal(limited.truncated, true);
    });

    void test('bad filters are typed errors', async (t) => {
      const s = await seeded(t);
      const code = (c: string) => (e: unknown) => e instanceof AppError && e.code === c;
      await assert.rejects(s.updateStatus({ group: 'No Such Group' }), code('PB_ERR_INVALID_PARAMETER'));
      await assert.rejects(s.updateStatus({ severity: 'Critcal' }), code('PB_ERR_INVALID_PARAMETER'));
      await assert.rejects(
        s.updateStatus({ classification: 'Securty Updates' }),
        code('PB_ERR_INVALID_PARAMETER'),
      );
      await assert.rejects(s.updateStatus({ limit: 0 }), code('PB_ERR_INVALID_PARAMETER'));
      await assert.rejects(s.updateStatus({ text: 'x'.repeat(201) }), code('PB_ERR_INVALID_PARAMETER'));
      await assert.rejects(s.updateStatus({ approval: 'maybe' as never }), code('PB_ERR_INVALID_PARAMETER'));
      await assert.rejects(s.syncResults({ limit: -1 }), code('PB_ERR_INVALID_PARAMETER'));
    });

    void test('computer status, compliance per severity and per group, sync results: golden', async (t) => {
      const s = await seeded(t);
      const computers = await s.computerStatus();
      assert.deepEqual(
        computers.rows.map((r) => [
          r.name,
          r.installed,
          r.needed,
          r.failed,
          r.notApplicable,
          r.noStatus,
          r.compliance,
        ]),
        [
          ['srv-db01.contoso.local', 1, 1, 1, 0, 0, 33.3],
          ['srv-web01.contoso.local', 0, 2, 0, 1, 0, 33.3],
          ['ws-müller.contoso.local', 3, 0, 0, 0, 0, 100],
          ['ws-new.contoso.local', 0, 0, 0, 0, 3, null],
        ],
      );
      golden('computers.txt', formatReport(computers, 'table'));
      golden('computers.csv', formatReport(computers, 'csv'));
      const workstations = await s.computerStatus({ group: 'Workstations' });
      assert.deepEqual(
        workstations.rows.map((r) => r.name),
        ['ws-müller.contoso.local'],
      );

      const severity = await s.complianceBySeverity();
      assert.deepEqual(
        severity.rows.map((r) => [r.severity, r.updates, r.installed, r.needed, r.failed, r.compliance]),
        [
          ['Critical', 1, 1, 1, 0, 66.7],
          ['Important', 1, 1, 1, 1, 33.3],
          ['Unspecified', 1, 2, 1, 0, 66.7],
        ],
      );
      golden('compliance-severity.json', formatReport(severity, 'json'));

      const groups = await s.complianceByGroup();
      assert.deepEqual(
        groups.rows.map((r) => [
          r.group,
          r.computers,
          r.compliantComputers,
          r.computersNeeding,
          r.computersFailed,
        ]),
        [
          ['All Computers', 4, 1, 2, 1],
          ['Servers', 3, 1, 2, 1],
          ['Unassigned Computers', 1, 0, 0, 0],
          ['Web', 2, 1, 1, 0],
          ['Workstations', 1, 1, 0, 0],
        ],
      );
      golden('compliance-group.txt', formatReport(groups, 'table'));

      const sync = await s.syncResults();
      assert.deepEqual(
        sync.rows.map((r) => [r.outcome, r.errorCode]),
        [
          ['failed', 'PB_ERR_UPSTREAM_TIMEOUT'],
          ['succeeded', null],
        ],
      );
      golden('sync.txt', formatReport(sync, 'table'));
      golden('sync.csv', formatReport(sync, 'csv'));
    });
  });
}
