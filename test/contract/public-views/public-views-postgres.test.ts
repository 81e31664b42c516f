import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runPublicViewsContract } from './public-views-contract.js';
import { ids, seedFleet } from './seed.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('WSUS public views on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_views_template');
  const open = (t: TestContext) => databases.open(t, 4);

  // Unquoted SQL Server text folds to schema public_views: nothing to prepare.
  runPublicViewsContract('PostgreSQL', open, () => Promise.resolve());

  void test('PostgreSQL: the fully quoted mixed-case spelling works too and returns WSUS column names', async (t) => {
    const h = await open(t);
    await seedFleet(h);
    const r =
      await sql`SELECT "DefaultTitle", "UpdateId", "MsrcSeverity" FROM "PUBLIC_VIEWS"."vUpdate" WHERE "KnowledgebaseArticle" = '5040001'`.execute(
        h.db,
      );
    assert.deepEqual(r.rows, [
      {
        DefaultTitle: '2026-10 Cumulative Update for Windows 11 (KB5040001)',
        UpdateId: ids.secCritical,
        MsrcSeverity: 'Critical',
      },
    ]);
    const joined = await sql<{ Name: string; State: number }>`
      SELECT ct."Name", uii."State" FROM "PUBLIC_VIEWS"."vUpdateInstallationInfo" uii
      JOIN "PUBLIC_VIEWS"."vComputerTarget" ct ON ct."ComputerTargetId" = uii."ComputerTargetId"
      WHERE uii."UpdateId" = ${ids.secImportant} AND uii."State" IN (2, 3, 6)`.execute(h.db);
    assert.deepEqual(joined.rows, [{ Name: 'srv-web01.contoso.local', State: 2 }]);
    // Unquoted text returns folded (lower-case) result names.
    const folded =
      await sql`SELECT UpdateId FROM PUBLIC_VIEWS.vUpdate WHERE KnowledgebaseArticle = '5040001'`.execute(
        h.db,
      );
    assert.deepEqual(folded.rows, [{ updateid: ids.secCritical }]);
  });
}
