/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- API answers are untyped JSON; the assertions check their shape. */
/**
 * The REST admin API on SQLite and PostgreSQL: groups, approvals (inheritance, the multi-group rule, bundles),
 * declines, rules, filters and pagination, tokens and roles, problem+json, and every "bad input" of issue 5
 * changing nothing in the database.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import { readFixture } from '../../helpers/fixtures.js';
import { adminDrivers, seed, seedComputers, stopAdminPostgres } from '../../helpers/admin-db.js';
import { startApi, type ApiHarness } from './harness.js';

after(stopAdminPostgres);

const allComputers = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
const unassigned = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';
const pc = (n: number) => `c0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

function assertProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): any },
  status: number,
  code: string,
): void {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = res.json();
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  assert.equal(p.type, `urn:patchbay:error:${code}`);
  assert.equal(typeof p.title, 'string');
  assert.ok(typeof p.detail === 'string' && p.detail.length > 0);
}

/** Runs `fn` and asserts the response is the problem AND that no administrative table changed. */
async function refusedUnchanged(
  h: ApiHarness,
  status: number,
  code: string,
  fn: () => Promise<{ statusCode: number; headers: Record<string, unknown>; json(): any }>,
) {
  const before = await h.fingerprint();
  const approvalsBefore = await h.db.handle.db
    .selectFrom('approvals')
    .selectAll()
    .orderBy('update_id')
    .orderBy('group_id')
    .execute();
  const groupsBefore = await h.db.handle.db
    .selectFrom('computer_groups')
    .selectAll()
    .orderBy('group_id')
    .execute();
  assertProblem(await fn(), status, code);
  assert.deepEqual(await h.fingerprint(), before, `${code} must change nothing`);
  assert.deepEqual(
    await h.db.handle.db
      .selectFrom('approvals')
      .selectAll()
      .orderBy('update_id')
      .orderBy('group_id')
      .execute(),
    approvalsBefore,
  );
  assert.deepEqual(
    await h.db.handle.db.selectFrom('computer_groups').selectAll().orderBy('group_id').execute(),
    groupsBefore,
  );
}

async function createGroup(h: ApiHarness, name: string, parent?: string): Promise<string> {
  const res = await h.call('POST', '/api/v1/groups', { body: { name, ...(parent ? { parent } : {}) } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().groupId;
}

for (const driver of adminDrivers()) {
  void describe(`admin REST API on ${driver}`, () => {
    void test('groups: nested create, list by path, move, cycle refusal, delete rules', async (t) => {
      const h = await startApi(t, driver);
      const servers = await createGroup(h, 'Servers');
      const ring0 = await createGroup(h, 'Ring 0', 'Servers');
      const ring1 = await createGroup(h, 'Ring 1', ring0);
      const list = (await h.call('GET', '/api/v1/groups?limit=500', { role: 'reporter' })).json();
      assert.deepEqual(
        list.items.map((g: any) => g.path),
        [
          'All Computers',
          'All Computers/Servers',
          'All Computers/Servers/Ring 0',
          'All Computers/Servers/Ring 0/Ring 1',
          'All Computers/Unassigned Computers',
        ],
      );
      // Pagination: one per page, all pages together give the same list.
      const paged: string[] = [];
      for (let cursor: string | undefined, i = 0; i < 10; i++) {
        const page = (
          await h.call('GET', `/api/v1/groups?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        paged.push(...page.items.map((g: any) => g.path));
        cursor = page.nextCursor;
        if (cursor === undefined) break;
      }
      assert.deepEqual(
        paged,
        list.items.map((g: any) => g.path),
      );

      await refusedUnchanged(h, 409, 'PB_ERR_GROUP_CYCLE', () =>
        h.call('POST', `/api/v1/groups/${servers}/move`, { body: { parent: ring1 } }),
      );
      await refusedUnchanged(h, 409, 'PB_ERR_GROUP_CYCLE', () =>
        h.call('POST', `/api/v1/groups/${ring0}/move`, { body: { parent: 'Ring 0' } }),
      );
      await refusedUnchanged(h, 409, 'PB_ERR_CONFLICT', () =>
        h.call('POST', '/api/v1/groups', { body: { name: 'ring 0' } }),
      );
      await refusedUnchanged(h, 409, 'PB_ERR_CONFLICT', () => h.call('DELETE', `/api/v1/groups/${ring0}`));
      await refusedUnchanged(h, 409, 'PB_ERR_CONFLICT', () =>
        h.call('DELETE', `/api/v1/groups/${unassigned}`),
      );
      await refusedUnchanged(h, 404, 'PB_ERR_NOT_FOUND', () =>
        h.call('POST', '/api/v1/groups', { body: { name: 'X', parent: 'No Such Group' } }),
      );
      await refusedUnchanged(h, 400, 'PB_ERR_INVALID_PARAMETER', () =>
        h.call('POST', '/api/v1/groups', { body: { name: 'X', colour: 'red' } }),
      );

      const moved = await h.call('POST', `/api/v1/groups/${ring1}/move`, { body: { parent: 'Servers' } });
      assert.equal(moved.statusCode, 200);
      assert.equal(moved.json().path, 'All Computers/Servers/Ring 1');
      assert.equal((await h.call('DELETE', `/api/v1/groups/${ring1}`)).statusCode, 200);
      assertProblem(await h.call('GET', `/api/v1/groups/${ring1}`), 404, 'PB_ERR_NOT_FOUND');
    });

    void test('memberships, computers list/show/move, remove-stale with dry run', async (t) => {
      const h = await startApi(t, driver);
      const a = await createGroup(h, 'A');
      const b = await createGroup(h, 'B');
      const old = Date.now() - 40 * 86_400_000;
      await seedComputers(h.db.handle, [
        { id: pc(1), name: 'ws1.contoso.test', groups: [a] },
        { id: pc(2), name: 'ws2.contoso.test', lastSyncAt: old },
        { id: pc(3), name: 'srv3.contoso.test' },
      ]);
      const unassignedList = (
        await h.call('GET', `/api/v1/computers?group=${encodeURIComponent('Unassigned Computers')}`)
      ).json();
      assert.deepEqual(
        unassignedList.items.map((c: any) => c.name),
        ['ws2.contoso.test', 'srv3.contoso.test'],
      );
      assert.equal((await h.call('PUT', `/api/v1/groups/B/computers/${pc(3)}`)).statusCode, 200);
      assert.deepEqual(
        (await h.call('GET', `/api/v1/computers/${pc(3)}`)).json().groups.map((g: any) => g.groupId),
        [b],
      );
      const moved = await h.call('POST', `/api/v1/computers/${pc(3)}/move`, { body: { groups: ['A'] } });
      assert.deepEqual(moved.json().groupIds, [a]);
      assert.equal((await h.call('DELETE', `/api/v1/groups/A/computers/${pc(3)}`)).statusCode, 200);
      assert.deepEqual(
        (await h.call('GET', `/api/v1/computers/${pc(3)}`)).json().groups.map((g: any) => g.groupId),
        [unassigned],
      );
      assert.equal((await h.call('GET', '/api/v1/computers?text=WS1')).json().items[0].computerId, pc(1));
      await refusedUnchanged(h, 404, 'PB_ERR_NOT_FOUND', () =>
        h.call('PUT', `/api/v1/groups/A/computers/${pc(99)}`),
      );
      await refusedUnchanged(h, 400, 'PB_ERR_INVALID_PARAMETER', () =>
        h.call('PUT', '/api/v1/groups/A/computers/not-a-guid'),
      );
      await refusedUnchanged(h, 404, 'PB_ERR_NOT_FOUND', () => h.call('GET', `/api/v1/computers/${pc(99)}`));

      const dry = (
        await h.call('POST', '/api/v1/computers/remove-stale', { body: { days: 30, dryRun: true } })
      ).json();
      assert.deepEqual(
        dry.removed.map((c: any) => c.computerId),
        [pc(2)],
      );
      assert.equal((await h.call('GET', '/api/v1/computers')).json().items.length, 3);
      const done = (await h.call('POST', '/api/v1/computers/remove-stale', { body: { days: 30 } })).json();
      assert.deepEqual([done.dryRun, done.removed.length], [false, 1]);
      assert.deepEqual(
        (await h.call('GET', '/api/v1/computers')).json().items.map((c: any) => c.computerId),
        [pc(1), pc(3)],
      );
      const audit = (await h.call('GET', '/api/v1/audit?action=computer.')).json();
      assert.deepEqual(audit.items.map((e: any) => [e.action, e.actor]).slice(0, 1), [
        ['computer.remove', 'api:admin-token'],
      ]);
    });

    void test('approvals: inheritance, the multi-group rule, bundles, deadlines; audit says who and how', async (t) => {
      const h = await startApi(t, driver);
      const ring0 = await createGroup(h, 'Ring 0');
      const ring0a = await createGroup(h, 'Ring 0a', ring0);
      const ring1 = await createGroup(h, 'Ring 1');
      await seedComputers(h.db.handle, [
        { id: pc(1), name: 'child.test', groups: [ring0a] },
        { id: pc(2), name: 'multi.test', groups: [ring0, ring1] },
        { id: pc(3), name: 'deep-and-shallow.test', groups: [ring0a, ring1] },
      ]);
      const deadline = inDays(7);
      const approve = (body: object) => h.call('POST', '/api/v1/approvals', { role: 'approver', body });
      // Inheritance: Ring 0 approved, the computer in Ring 0a gets it.
      let res = await approve({ kbs: ['KB5099001'], groups: ['Ring 0'], action: 'install', deadline });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(
        res.json().changes.map((c: any) => [c.updateId, c.groupId, c.action, c.changed]),
        [[seed.cumulative, ring0, 'install', true]],
      );
      let eff = (await h.call('GET', `/api/v1/computers/${pc(1)}`)).json().effectiveApprovals;
      assert.deepEqual(eff, [
        {
          updateId: seed.cumulative,
          action: 'install',
          deadlineAt: Date.parse(deadline),
          sourceGroupId: ring0,
        },
      ]);
      // A child's own "not approved" stops inheritance.
      res = await approve({ updateIds: [seed.cumulative], groups: [ring0a], action: 'not_approved' });
      assert.equal(res.statusCode, 200, res.body);
      eff = (await h.call('GET', `/api/v1/computers/${pc(1)}`)).json().effectiveApprovals;
      assert.deepEqual(
        eff.map((e: any) => [e.action, e.sourceGroupId]),
        [['notApproved', ring0a]],
      );
      // Several groups at the same depth: install over uninstall; required (deadline) over optional.
      assert.equal(
        (await approve({ updateIds: [seed.cumulative], groups: ['Ring 1'], action: 'uninstall' })).statusCode,
        200,
      );
      eff = (await h.call('GET', `/api/v1/computers/${pc(2)}`)).json().effectiveApprovals;
      assert.deepEqual(
        eff.map((e: any) => [e.action, e.sourceGroupId]),
        [['install', ring0]],
      );
      // The deeper group wins over install: pc3 is in Ring 0a (depth 2, not approved) and Ring 1 (depth 1, uninstall).
      eff = (await h.call('GET', `/api/v1/computers/${pc(3)}`)).json().effectiveApprovals;
      assert.deepEqual(
        eff.map((e: any) => [e.action, e.sourceGroupId]),
        [['notApproved', ring0a]],
      );
      // Same action on both groups: the one with a deadline, then the earliest deadline.
      await approve({ updateIds: [seed.office], groups: ['Ring 0'], action: 'install' });
      await approve({ updateIds: [seed.office], groups: ['Ring 1'], action: 'install', deadline: inDays(3) });
      eff = (await h.call('GET', `/api/v1/computers/${pc(2)}`)).json().effectiveApprovals;
      assert.deepEqual(eff.find((e: any) => e.updateId === seed.office).sourceGroupId, ring1);
      await approve({ updateIds: [seed.office], groups: ['Ring 0'], action: 'install', deadline: inDays(2) });
      eff = (await h.call('GET', `/api/v1/computers/${pc(2)}`)).json().effectiveApprovals;
      assert.deepEqual(eff.find((e: any) => e.updateId === seed.office).sourceGroupId, ring0);

      // Approving a bundle covers its members (they install through it; they cannot be approved alone).
      res = await approve({ kbs: ['2267602'], groups: [allComputers], action: 'install' });
      assert.equal(res.statusCode, 200, res.body);
      // The expectation comes from the REAL document itself: every BundledUpdates identity, sorted.
      const doc = parseUpdateDocument(
        readFixture('wsus', 'wsus-m0-wsusss', 'docs', `${seed.defenderKb}-r200.xml`),
      );
      const members = [...new Set(doc.bundledUpdates.flatMap((g) => g.anyOf.map((i) => i.updateId)))].sort();
      assert.ok(members.length > 4);
      assert.deepEqual(res.json().changes[0].coveredUpdateIds, members);
      // Dry run: the plan, nothing stored.
      const before = await h.fingerprint();
      res = await approve({
        filter: { classification: ['Security Updates'] },
        groups: ['Ring 1'],
        action: 'install',
        dryRun: true,
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().dryRun, true);
      assert.deepEqual(
        res.json().changes.map((c: any) => [c.updateId, c.previous.action, c.changed]),
        [
          [seed.cumulative, 'uninstall', true],
          [seed.office, 'install', true],
        ],
      );
      // A filter skips what cannot be approved (and says why) instead of failing the batch.
      assert.deepEqual(
        res.json().skipped.map((s: any) => [s.updateId, s.code]),
        [[seed.expired, 'PB_ERR_APPROVAL_CONFLICT']],
      );
      assert.deepEqual(await h.fingerprint(), before);

      const listed = (
        await h.call('GET', `/api/v1/approvals?update=${seed.cumulative}`, { role: 'connector' })
      ).json();
      assert.deepEqual(
        listed.items.map((a: any) => [a.groupId, a.action, a.approvedBy, a.approvedVia]).sort(),
        [
          [ring0, 'install', 'approver-token', 'api'],
          [ring0a, 'not_approved', 'approver-token', 'api'],
          [ring1, 'uninstall', 'approver-token', 'api'],
        ].sort(),
      );
      const audit = (
        await h.call('GET', `/api/v1/audit?action=approval.set&targetId=${seed.cumulative}`, {
          role: 'reporter',
        })
      ).json();
      assert.equal(audit.items.length, 3);
      assert.ok(
        audit.items.every((e: any) => e.actor === 'api:approver-token' && e.detail.via === 'api' && e.at > 0),
      );

      // Unapprove: the group inherits again.
      res = await h.call('POST', '/api/v1/approvals/remove', {
        body: { updateIds: [seed.cumulative], groups: [ring0a] },
      });
      assert.deepEqual(
        res.json().changes.map((c: any) => c.changed),
        [true],
      );
      eff = (await h.call('GET', `/api/v1/computers/${pc(1)}`)).json().effectiveApprovals;
      assert.deepEqual(eff.find((e: any) => e.updateId === seed.cumulative).sourceGroupId, ring0);
    });

    void test('every bad input of the issue is a problem with a stable code and changes nothing', async (t) => {
      const h = await startApi(t, driver);
      await createGroup(h, 'Ring 0');
      await h.call('POST', '/api/v1/approvals', {
        body: { kbs: ['5099002'], groups: ['Ring 0'], action: 'install' },
      });
      await h.call('POST', '/api/v1/declines', { body: { updateIds: [seed.office] } });
      const post = (body: object) => () => h.call('POST', '/api/v1/approvals', { body });
      await refusedUnchanged(
        h,
        404,
        'PB_ERR_NOT_FOUND',
        post({ updateIds: ['99999999-0000-4000-8000-000000000000'], groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        404,
        'PB_ERR_NOT_FOUND',
        post({ kbs: ['KB1'], groups: ['Ring 0'], action: 'install' }),
      );
      // A mistyped target group is bad input (400, with a suggestion), not a missing object.
      await refusedUnchanged(
        h,
        400,
        'PB_ERR_INVALID_PARAMETER',
        post({ kbs: ['5099001'], groups: ['Nope'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        400,
        'PB_ERR_INVALID_PARAMETER',
        post({ filter: { classifications: ['Securty Updates'] }, groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        422,
        'PB_ERR_DEADLINE_PAST',
        post({ kbs: ['5099001'], groups: ['Ring 0'], action: 'install', deadline: '2020-01-01T00:00:00Z' }),
      );
      await refusedUnchanged(
        h,
        400,
        'PB_ERR_INVALID_PARAMETER',
        post({ kbs: ['5099001'], groups: ['Ring 0'], action: 'install', deadline: 'tomorrow' }),
      );
      await refusedUnchanged(
        h,
        422,
        'PB_ERR_NOT_UNINSTALLABLE',
        post({ kbs: ['2267602'], groups: ['Ring 0'], action: 'uninstall' }),
      );
      // Conflicts: a declined update, an expired one, a bundle member; one bad update refuses the whole request.
      await refusedUnchanged(
        h,
        409,
        'PB_ERR_APPROVAL_CONFLICT',
        post({ updateIds: [seed.cumulative, seed.office], groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        409,
        'PB_ERR_APPROVAL_CONFLICT',
        post({ updateIds: [seed.expired], groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        409,
        'PB_ERR_APPROVAL_CONFLICT',
        post({ updateIds: [seed.engineMember], groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        400,
        'PB_ERR_INVALID_PARAMETER',
        post({ kbs: ['5099001'], updateIds: [seed.cumulative], groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(
        h,
        400,
        'PB_ERR_INVALID_PARAMETER',
        post({ kbs: ['5099001'], groups: ['Ring 0'], action: 'approve' }),
      );
      await refusedUnchanged(
        h,
        400,
        'PB_ERR_INVALID_PARAMETER',
        post({ updateIds: ['not-a-guid'], groups: ['Ring 0'], action: 'install' }),
      );
      await refusedUnchanged(h, 401, 'PB_ERR_UNAUTHENTICATED', () =>
        h.call('POST', '/api/v1/approvals', { token: null, body: {} }),
      );
      await refusedUnchanged(h, 401, 'PB_ERR_UNAUTHENTICATED', () =>
        h.call('GET', '/api/v1/updates', { token: 'pb_' + 'A'.repeat(43) }),
      );
      await refusedUnchanged(h, 401, 'PB_ERR_UNAUTHENTICATED', () =>
        h.call('GET', '/api/v1/updates', { token: 'garbage' }),
      );
      await refusedUnchanged(h, 403, 'PB_ERR_FORBIDDEN', () =>
        h.call('POST', '/api/v1/approvals', {
          role: 'reporter',
          body: { kbs: ['5099001'], groups: ['Ring 0'], action: 'install' },
        }),
      );
      await refusedUnchanged(h, 404, 'PB_ERR_NOT_FOUND', () => h.call('GET', '/api/v1/nothing-here'));
      await refusedUnchanged(h, 400, 'PB_ERR_INVALID_PARAMETER', () =>
        h.call('GET', '/api/v1/updates?cursor=bm90LWEtY3Vyc29y'),
      );
      await refusedUnchanged(h, 400, 'PB_ERR_INVALID_PARAMETER', () =>
        h.call('GET', '/api/v1/updates?limit=100000'),
      );
      const unauth = await h.call('GET', '/api/v1/whoami', { token: null });
      assert.equal(unauth.headers['www-authenticate'], 'Bearer realm="patchbay"');
    });

    void test('declines and un-declines; declining removes the approvals', async (t) => {
      const h = await startApi(t, driver);
      await createGroup(h, 'Ring 0');
      await h.call('POST', '/api/v1/approvals', {
        body: { kbs: ['5099001', '5099002'], groups: ['Ring 0'], action: 'install' },
      });
      const dry = (
        await h.call('POST', '/api/v1/declines', { body: { kbs: ['5099001'], dryRun: true } })
      ).json();
      assert.deepEqual(
        dry.changes.map((c: any) => [c.updateId, c.changed, c.removedApprovals]),
        [[seed.cumulative, true, 1]],
      );
      assert.equal((await h.call('GET', '/api/v1/updates?approval=declined')).json().items.length, 0);
      const res = (
        await h.call('POST', '/api/v1/declines', { body: { kbs: ['5099001'], reason: 'breaks printing' } })
      ).json();
      assert.equal(res.dryRun, false);
      assert.deepEqual(
        (await h.call('GET', '/api/v1/updates?approval=declined')).json().items.map((u: any) => u.updateId),
        [seed.cumulative],
      );
      assert.deepEqual((await h.call('GET', `/api/v1/approvals?update=${seed.cumulative}`)).json().items, []);
      const again = (await h.call('POST', '/api/v1/declines', { body: { kbs: ['5099001'] } })).json();
      assert.deepEqual(
        again.changes.map((c: any) => c.changed),
        [false],
      );
      const und = (await h.call('POST', '/api/v1/declines/remove', { body: { kbs: ['5099001'] } })).json();
      assert.deepEqual(
        und.changes.map((c: any) => c.changed),
        [true],
      );
      assert.equal((await h.call('GET', '/api/v1/updates?approval=declined')).json().items.length, 0);
      const kinds = (
        await h.db.handle.db.selectFrom('deployment_changes').select('kind').orderBy('change_seq').execute()
      ).map((r) => r.kind);
      assert.deepEqual(kinds.slice(-3), ['approval_cleared', 'declined', 'undeclined']);
    });

    void test('update filters (text, KB, classification, product, severity, approval, needed-by) and pagination', async (t) => {
      const h = await startApi(t, driver);
      const ids = async (q: string) =>
        (await h.call('GET', `/api/v1/updates?${q}`)).json().items.map((u: any) => u.updateId);
      assert.deepEqual(await ids(''), [seed.cumulative, seed.office, seed.expired, seed.defenderKb].sort());
      assert.deepEqual(await ids('includeHidden=true&text=AM%20Engine'), [seed.engineMember]);
      assert.deepEqual(await ids('text=cumulative'), [seed.cumulative]);
      assert.deepEqual(await ids('text=100%25'), [seed.office]); // a literal %, not a wildcard
      assert.deepEqual(await ids('text=KB2267602'), [seed.defenderKb]);
      assert.deepEqual(await ids('kb=5099002'), [seed.office]);
      assert.deepEqual(await ids('classification=Definition%20Updates'), [seed.defenderKb]);
      assert.deepEqual(await ids(`classification=${seed.securityUpdates}&severity=critical`), [
        seed.cumulative,
      ]);
      assert.deepEqual(await ids('product=Microsoft%20Defender%20Antivirus,Windows%2011&severity=Low'), [
        seed.expired,
      ]);
      assert.deepEqual(await ids('severity=Important'), [seed.office]);
      // needed-by-count from update_status (states 2, 3, 6 are "needed").
      await seedComputers(
        h.db.handle,
        [1, 2, 3].map((n) => ({ id: pc(n), name: `pc${n}` })),
      );
      await createRepositories(h.db.handle).updateStatus.upsert([
        { computerId: pc(1), updateId: seed.cumulative, state: 2, statusAt: 1 },
        { computerId: pc(2), updateId: seed.cumulative, state: 6, statusAt: 1 },
        { computerId: pc(3), updateId: seed.cumulative, state: 4, statusAt: 1 },
        { computerId: pc(1), updateId: seed.office, state: 3, statusAt: 1 },
      ]);
      assert.deepEqual(await ids('neededMin=2'), [seed.cumulative]);
      assert.deepEqual(await ids('neededMin=1'), [seed.cumulative, seed.office]);
      const one = (await h.call('GET', `/api/v1/updates/${seed.cumulative}`)).json();
      assert.deepEqual(
        [one.neededCount, one.statusCounts, one.uninstallable],
        [2, { notInstalled: 1, installed: 1, installedPendingReboot: 1 }, true],
      );
      assert.deepEqual(one.classifications, [{ updateId: seed.securityUpdates, title: 'Security Updates' }]);
      assert.equal((await h.call('GET', '/api/v1/updates/KB2267602')).json().uninstallable, false);
      await createGroup(h, 'Ring 0');
      await h.call('POST', '/api/v1/approvals', {
        body: { kbs: ['5099001'], groups: ['Ring 0'], action: 'install' },
      });
      assert.deepEqual(await ids('approval=approved'), [seed.cumulative]);
      assert.deepEqual(await ids('approval=approved&group=Unassigned%20Computers'), []);
      assert.deepEqual(await ids('approval=unapproved'), [seed.office, seed.expired, seed.defenderKb].sort());
      // Pages of one: stable, complete, no duplicates.
      const seen: string[] = [];
      for (let cursor: string | undefined, i = 0; i < 10; i++) {
        const page = (
          await h.call('GET', `/api/v1/updates?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        seen.push(...page.items.map((u: any) => u.updateId));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen, [seed.cumulative, seed.office, seed.expired, seed.defenderKb].sort());
      assertProblem(await h.call('GET', '/api/v1/updates?severity=Severe'), 400, 'PB_ERR_INVALID_PARAMETER');
      assertProblem(
        await h.call('GET', '/api/v1/updates?approval=approved&group=Nope'),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      const typo = await h.call('GET', '/api/v1/updates?classification=Securty%20Updates');
      assertProblem(typo, 400, 'PB_ERR_INVALID_PARAMETER');
      assert.match(typo.body, /did you mean \\"Security Updates\\"/);
    });

    void test('automatic rules: dry run vs apply, run now, new revisions on sync, the two switches', async (t) => {
      const h = await startApi(t, driver);
      const ring0 = await createGroup(h, 'Ring 0');
      const res = await h.call('POST', '/api/v1/rules', {
        body: {
          name: 'Security to Ring 0',
          classifications: ['Security Updates'],
          products: ['Windows 11'],
          groups: ['Ring 0'],
          deadlineDays: 3,
        },
      });
      assert.equal(res.statusCode, 201, res.body);
      const rule = res.json();
      assert.deepEqual(rule.criteria, {
        classificationIds: [seed.securityUpdates],
        productIds: [seed.windows11],
      });
      assertProblem(
        await h.call('POST', '/api/v1/rules', {
          body: { name: 'x', classifications: ['Nonsense'], groups: ['Ring 0'] },
        }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      assertProblem(
        await h.call('POST', '/api/v1/rules', { body: { name: 'x', groups: ['Ring 0'] } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );

      const before = await h.fingerprint();
      const dry = (
        await h.call('POST', `/api/v1/rules/${rule.ruleId}/run`, { role: 'approver', body: { dryRun: true } })
      ).json();
      assert.deepEqual(
        dry.approvals.map((a: any) => [a.updateId, a.groupId]),
        [
          [seed.cumulative, ring0],
          [seed.office, ring0],
        ],
      );
      assert.deepEqual(await h.fingerprint(), before, 'a dry run changes nothing');
      const t0 = Date.now();
      const run = (
        await h.call('POST', `/api/v1/rules/${rule.ruleId}/run`, { role: 'approver', body: {} })
      ).json();
      assert.equal(run.approvals.length, 2);
      const stored = (await h.call('GET', '/api/v1/approvals?group=Ring%200')).json().items;
      assert.deepEqual(
        stored.map((a: any) => [a.updateId, a.approvedVia]),
        [
          [seed.cumulative, `rule:${rule.ruleId}`],
          [seed.office, `rule:${rule.ruleId}`],
        ],
      );
      assert.ok(
        stored.every(
          (a: any) => a.deadlineAt >= t0 + 3 * 86_400_000 && a.deadlineAt <= Date.now() + 3 * 86_400_000,
        ),
      );
      // Running again changes nothing: the pairs are approved already.
      assert.equal(
        (await h.call('POST', `/api/v1/rules/${rule.ruleId}/run`, { body: {} })).json().approvals.length,
        0,
      );

      // New revisions arriving from a sync: a new update matching the rule, a new revision of an approved one.
      const { revisionFromDocument, syntheticUpdateDocument } = await import('../../helpers/admin-db.js');
      const types = new Map([
        [seed.securityUpdates, 'UpdateClassification'],
        [seed.windows11, 'Product'],
      ]);
      const repos = createRepositories(h.db.handle);
      const fresh = '11111111-2222-4333-8444-000000000010';
      const newIds = await repos.revisions.upsertMany([
        revisionFromDocument(
          syntheticUpdateDocument({
            id: fresh,
            title: 'New security fix',
            kb: '5099010',
            severity: 'Critical',
            classificationId: seed.securityUpdates,
            productId: seed.windows11,
          }),
          types,
        ),
        revisionFromDocument(
          syntheticUpdateDocument({
            id: seed.office,
            revisionNumber: 101,
            title: 'Security Update for Office (KB5099002) v2',
            kb: '5099002',
            classificationId: seed.securityUpdates,
            productId: seed.windows11,
          }),
          types,
        ),
      ]);
      const preview = await h.services.rules.applyRulesToNewRevisions(newIds, { dryRun: true });
      assert.deepEqual(
        preview.approvals.map((a) => a.updateId),
        [fresh],
      );
      assert.equal((await h.call('GET', `/api/v1/approvals?update=${fresh}`)).json().items.length, 0);
      // Switch "approve new revisions of approved updates" off: the office approval is removed, then re-approved by the rule.
      assert.equal(
        (
          await h.call('PUT', '/api/v1/rule-settings', {
            body: { approveNewRevisionsOfApproved: false, declineExpired: true },
          })
        ).statusCode,
        200,
      );
      assertProblem(
        await h.call('PUT', '/api/v1/rule-settings', { role: 'approver', body: { declineExpired: false } }),
        403,
        'PB_ERR_FORBIDDEN',
      );
      const applied = await h.services.rules.applyRulesToNewRevisions(newIds);
      assert.deepEqual(applied.revoked, [{ updateId: seed.office, groupId: ring0 }]);
      assert.deepEqual(applied.approvals.map((a) => a.updateId).sort(), [fresh, seed.office].sort());
      const audit = (await h.call('GET', `/api/v1/audit?targetId=${seed.office}`))
        .json()
        .items.map((e: any) => [e.action, e.actor]);
      assert.deepEqual(audit.slice(0, 2), [
        ['approval.set', `rule:${rule.ruleId}`],
        ['approval.clear', 'system:new-revision'],
      ]);
      // Decline expired: a new expired revision is declined instead of approved.
      const [expiredRev] = await repos.revisions.upsertMany([
        revisionFromDocument(
          syntheticUpdateDocument({
            id: seed.expired,
            revisionNumber: 101,
            title: 'Old expired update v2',
            kb: '5000003',
            publicationState: 'Expired',
            classificationId: seed.securityUpdates,
            productId: seed.windows11,
          }),
          types,
        ),
      ]);
      const exp = await h.services.rules.applyRulesToNewRevisions([expiredRev!]);
      assert.deepEqual([exp.declined, exp.approvals.length], [[seed.expired], 0]);
      assert.deepEqual(
        (await h.call('GET', '/api/v1/updates?approval=declined')).json().items.map((u: any) => u.updateId),
        [seed.expired],
      );

      // Disable and delete.
      assert.equal(
        (await h.call('PATCH', `/api/v1/rules/${rule.ruleId}`, { body: { enabled: false } })).json()
          .isEnabled,
        false,
      );
      assert.equal((await h.call('DELETE', `/api/v1/rules/${rule.ruleId}`)).statusCode, 200);
      assertProblem(await h.call('GET', `/api/v1/rules/${rule.ruleId}`), 404, 'PB_ERR_NOT_FOUND');
    });

    void test('tokens and roles: each role allowed and denied per the permission table', async (t) => {
      const h = await startApi(t, driver);
      await createGroup(h, 'Ring 0');
      const probes: [string, 'GET' | 'POST' | 'PUT', string, object | undefined, string[]][] = [
        ['catalog:read', 'GET', '/api/v1/updates', undefined, ['admin', 'approver', 'reporter', 'connector']],
        ['audit:read', 'GET', '/api/v1/audit', undefined, ['admin', 'approver', 'reporter']],
        [
          'approvals:write',
          'POST',
          '/api/v1/approvals',
          { kbs: ['5099001'], groups: ['Ring 0'], action: 'install', dryRun: true },
          ['admin', 'approver'],
        ],
        ['rules:write', 'PUT', '/api/v1/rule-settings', { declineExpired: false }, ['admin']],
        ['fleet:write', 'PUT', '/api/v1/targeting-mode', { mode: 'server' }, ['admin']],
        ['tokens:admin', 'GET', '/api/v1/tokens', undefined, ['admin']],
        ['maintenance:run', 'POST', '/api/v1/cleanup', { dryRun: true }, ['admin']],
        ['server:write', 'PUT', '/api/v1/languages', { selection: ['en'] }, ['admin']],
        ['catalog:read', 'GET', '/api/v1/catalog', undefined, ['admin', 'approver', 'reporter', 'connector']],
      ];
      for (const [perm, method, url, body, allowed] of probes)
        for (const role of ['admin', 'approver', 'reporter', 'connector'] as const) {
          const res = await h.call(method, url, { role, ...(body ? { body } : {}) });
          if (allowed.includes(role)) assert.equal(res.statusCode, 200, `${role} ${perm}: ${res.body}`);
          else assertProblem(res, 403, 'PB_ERR_FORBIDDEN');
        }
      assert.deepEqual((await h.call('GET', '/api/v1/whoami', { role: 'connector' })).json(), {
        name: 'connector-token',
        roles: ['connector'],
      });
      // Create through the API: shown once, stored hashed; revoke; the revoked token is refused.
      const created = await h.call('POST', '/api/v1/tokens', { body: { name: 'ci', role: 'reporter' } });
      assert.equal(created.statusCode, 201);
      const secret: string = created.json().token;
      assert.match(secret, /^pb_[A-Za-z0-9_-]{43}$/);
      const rows = await h.db.handle.db.selectFrom('api_tokens').select(['name', 'token_hash']).execute();
      assert.ok(rows.every((r) => !Buffer.from(r.token_hash).toString('latin1').includes(secret)));
      assert.equal(
        (await h.call('GET', '/api/v1/tokens'))
          .json()
          .items.some((x: any) => 'token' in x || 'tokenHash' in x),
        false,
      );
      assert.equal((await h.call('GET', '/api/v1/whoami', { token: secret })).statusCode, 200);
      assert.equal((await h.call('DELETE', '/api/v1/tokens/ci')).statusCode, 200);
      assertProblem(await h.call('GET', '/api/v1/whoami', { token: secret }), 401, 'PB_ERR_UNAUTHENTICATED');
      assertProblem(await h.call('DELETE', '/api/v1/tokens/ci'), 404, 'PB_ERR_NOT_FOUND');
    });
  });
}
