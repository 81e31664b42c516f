/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- CLI --json and API answers are untyped; the assertions check their shape. */
/**
 * Quarantined revisions as administrators see them (issue 10 item 10), on SQLite and PostgreSQL: the CLI,
 * the REST API and vUpdateApproval agree with what clients are served. A revision the sync quarantined for a
 * dangling prerequisite is listed as quarantined with its reason and cannot be approved (exit 65 / 409
 * PB_ERR_UPDATE_QUARANTINED); declining it is allowed (harmless: it keeps the update out once released); an
 * update whose only revision was quarantined before it could be stored names its reason instead of
 * "unknown update".
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { createRepositories, type DbHandle } from '../../../src/storage/index.js';
import { adminDrivers, seed, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { adminCli, adminJson, startApi } from './harness.js';

after(stopAdminPostgres);

const malformed = '11111111-2222-4333-8444-0000000000ff';

const cli = adminCli;
const json = adminJson;

/** The catalog as a sync leaves it: everything served except the office update, quarantined by the closure. */
async function quarantineOffice(handle: DbHandle, revisionIds: Map<string, number>): Promise<void> {
  const repos = createRepositories(handle);
  const gen = await repos.generations.createStaged();
  await repos.generations.addMembers(
    gen.generationId,
    [...revisionIds]
      .filter(([u]) => u !== seed.office)
      .map(([, revisionId]) => ({ revisionId, isLeaf: true, isBundleMember: false })),
  );
  await repos.generations.activate(gen.generationId);
  await repos.quarantine.add([
    {
      updateId: seed.office,
      revisionNumber: 100,
      revisionId: revisionIds.get(seed.office)!,
      reasonCode: 'dangling_prerequisite',
      detail: 'prerequisite 99999999-0000-4000-8000-000000000000 is not in the catalog',
      causedByUpdateId: '99999999-0000-4000-8000-000000000000',
      syncRunId: null,
      nextRetryAt: null,
    },
    {
      updateId: malformed,
      revisionNumber: 100,
      reasonCode: 'document_invalid',
      detail: 'xml: unexpected end of input',
      syncRunId: null,
      nextRetryAt: null,
    },
  ]);
}

async function approvalView(handle: DbHandle): Promise<string[]> {
  const view =
    handle.dialect === 'sqlite' ? sql.raw('"vUpdateApproval"') : sql.raw('"PUBLIC_VIEWS"."vUpdateApproval"');
  const r = await sql<{ UpdateId: string }>`select "UpdateId" from ${view}`.execute(handle.db);
  return r.rows.map((x) => x.UpdateId).sort();
}

function scenario(driver: Driver): void {
  void test(`[${driver}] quarantined revisions are listed as such, refused for approval, and agree with the views`, async (t: TestContext) => {
    const api = await startApi(t, driver);
    const { db } = api;
    await quarantineOffice(db.handle, api.revisionIds);

    // List: a catalog state with the reason, and a filter.
    const list = await json(db, 'updates', 'list');
    const office = list.items.find((u: any) => u.updateId === seed.office);
    assert.equal(office.catalogState, 'quarantined');
    assert.equal(office.servedRevisionNumber, null);
    assert.equal(office.quarantine.reasonCode, 'dangling_prerequisite');
    assert.equal(list.items.find((u: any) => u.updateId === seed.cumulative).catalogState, 'served');
    const only = await json(db, 'updates', 'list', '--catalog-state', 'quarantined');
    assert.deepEqual(
      only.items.map((u: any) => u.updateId),
      [seed.office],
    );
    const text = await cli(db, 'updates', 'list');
    assert.match(text.stdout, /^11111111-2222-4333-8444-000000000002 .*quarantined: dangling_prerequisite/m);
    assert.match(text.stdout, /^11111111-2222-4333-8444-000000000001 .* served /m);
    const shown = await cli(db, 'updates', 'show', seed.office);
    assert.match(shown.stdout, /^Catalog:\s+quarantined: dangling_prerequisite$/m);
    assert.match(
      shown.stdout,
      /^Quarantine:\s+dangling_prerequisite \(caused by 99999999-0000-4000-8000-000000000000\)$/m,
    );

    // Approve: refused with the reason, nothing written; CLI exit 65, REST 409.
    const group = (await json(db, 'groups', 'create', 'Ring 0')).groupId;
    const before = await api.fingerprint();
    const refused = await cli(db, 'approve', seed.office, '--group', 'Ring 0');
    assert.equal(refused.code, 65, refused.stderr);
    assert.match(
      refused.stderr,
      /^patchbay: PB_ERR_UPDATE_QUARANTINED: KB5099002 \(11111111-2222-4333-8444-000000000002\) is quarantined \(dangling_prerequisite: prerequisite 9+-0000/m,
    );
    const rest = await api.call('POST', '/api/v1/approvals', {
      body: { updateIds: [seed.office], groups: [group], action: 'install' },
    });
    assert.equal(rest.statusCode, 409, rest.body);
    assert.equal(rest.json().code, 'PB_ERR_UPDATE_QUARANTINED');
    assert.deepEqual(await api.fingerprint(), before);
    // A filter skips it with the same code and approves the rest.
    const byFilter = await json(db, 'approve', '--classification', 'Security Updates', '--group', 'Ring 0');
    assert.deepEqual(
      byFilter.skipped.filter((s: any) => s.updateId === seed.office).map((s: any) => s.code),
      ['PB_ERR_UPDATE_QUARANTINED'],
    );
    assert.ok(!byFilter.changes.some((c: any) => c.updateId === seed.office));
    // What the admin approved is what the WSUS-compatible view (and so clients) have.
    const approved = (await json(db, 'updates', 'list', '--approval', 'approved')).items
      .map((u: any) => u.updateId)
      .sort();
    assert.ok(approved.includes(seed.cumulative));
    assert.deepEqual(await approvalView(db.handle), approved);

    // Decline: allowed (harmless; the decline keeps it out once the quarantine is released).
    const declined = await json(db, 'decline', seed.office);
    assert.deepEqual(
      declined.changes.map((c: any) => [c.updateId, c.changed]),
      [[seed.office, true]],
    );

    // An update quarantined before any revision was stored: its reason, not "unknown update".
    for (const args of [
      ['updates', 'show', malformed],
      ['approve', malformed, '--group', 'Ring 0'],
    ]) {
      const r = await cli(db, ...args);
      assert.equal(r.code, 65, r.stderr);
      assert.match(
        r.stderr,
        /PB_ERR_UPDATE_QUARANTINED: update 11111111-2222-4333-8444-0000000000ff revision 100 is quarantined \(document_invalid: xml: unexpected end of input\); no revision of it is stored/,
      );
    }
    const restShow = await api.call('GET', `/api/v1/updates/${malformed}`);
    assert.equal(restShow.statusCode, 409, restShow.body);
    const unknown = await cli(db, 'updates', 'show', '11111111-2222-4333-8444-0000000000fe');
    assert.equal(unknown.code, 66, unknown.stderr);
  });
}

for (const driver of adminDrivers())
  void describe(`quarantine in administration on ${driver}`, () => scenario(driver));
