/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- CLI --json output is untyped; the assertions check its shape. */
/**
 * The administration CLI on SQLite and PostgreSQL: the same services as the API, `--json` outputs, exit codes
 * scripts can trust (0 ok, 64 usage, 65 bad input, 66 not found), bad input changing nothing, the audit actor
 * being the OS user. Most commands run in-process through `runCli` (the code path of bin.ts); a few run as
 * real child processes to prove the executable's exit codes.
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { after, describe, test } from 'node:test';
import { createRepositories } from '../../../src/storage/index.js';
import {
  adminDrivers,
  openTestDatabase,
  seed,
  seedCatalog,
  seedComputers,
  stopAdminPostgres,
  type TestDatabase,
} from '../../helpers/admin-db.js';
import { runCliProcess } from '../../helpers/cli.js';
import { adminCli, adminJson } from './harness.js';

after(stopAdminPostgres);

const cli = adminCli;
const json = adminJson;

const fingerprint = (db: TestDatabase) => createRepositories(db.handle).adminQueries.fingerprint();

async function refused(db: TestDatabase, exit: number, code: string, ...args: string[]): Promise<void> {
  const before = await fingerprint(db);
  const r = await cli(db, ...args);
  assert.equal(r.code, exit, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^patchbay: ${code}: `));
  assert.equal(r.stdout, '');
  assert.deepEqual(await fingerprint(db), before, `${args.join(' ')} must change nothing`);
}

const pc = (n: number) => `c0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

for (const driver of adminDrivers()) {
  void describe(`admin CLI on ${driver}`, () => {
    void test('groups, computers, approvals, declines: --json outputs, audit as the OS user, exit codes', async (t) => {
      const db = await openTestDatabase(t, driver);
      await seedCatalog(db.handle);
      const ring0 = (await json(db, 'groups', 'create', 'Ring 0')).groupId;
      const ring0a = (await json(db, 'groups', 'create', 'Ring 0a', '--parent', 'Ring 0')).groupId;
      assert.deepEqual(
        (await json(db, 'groups', 'list')).items.map((g: any) => g.path),
        [
          'All Computers',
          'All Computers/Ring 0',
          'All Computers/Ring 0/Ring 0a',
          'All Computers/Unassigned Computers',
        ],
      );
      await refused(db, 65, 'PB_ERR_GROUP_CYCLE', 'groups', 'move', 'Ring 0', '--to', 'Ring 0a');
      await refused(db, 66, 'PB_ERR_NOT_FOUND', 'groups', 'delete', 'Nope');
      await refused(db, 65, 'PB_ERR_CONFLICT', 'groups', 'delete', 'Ring 0');

      await seedComputers(db.handle, [
        { id: pc(1), name: 'pc1.test' },
        { id: pc(2), name: 'old.test', lastSyncAt: Date.now() - 90 * 86_400_000 },
      ]);
      assert.deepEqual((await json(db, 'groups', 'add-computer', 'Ring 0a', pc(1))).groupIds, [ring0a]);
      assert.deepEqual((await json(db, 'computers', 'move', pc(1), '--to', 'Ring 0')).groupIds, [ring0]);
      const list = await json(db, 'computers', 'list', '--group', 'Ring 0');
      assert.deepEqual(
        list.items.map((c: any) => [c.computerId, c.name, c.os]),
        [[pc(1), 'pc1.test', 'Windows 11 Enterprise']],
      );

      // Approve by KB with a deadline; dry run first (nothing stored).
      const deadline = new Date(Date.now() + 5 * 86_400_000).toISOString();
      const before = await fingerprint(db);
      const dry = await json(
        db,
        'approve',
        'KB5099001',
        '--group',
        'Ring 0',
        '--deadline',
        deadline,
        '--dry-run',
      );
      assert.deepEqual([dry.dryRun, dry.changes.length], [true, 1]);
      assert.deepEqual(await fingerprint(db), before);
      const plan = await json(db, 'approve', 'KB5099001', '--group', 'Ring 0', '--deadline', deadline);
      assert.deepEqual(
        plan.changes.map((c: any) => [c.updateId, c.groupId, c.action, c.deadlineAt]),
        [[seed.cumulative, ring0, 'install', Date.parse(deadline)]],
      );
      const shown = await json(db, 'computers', 'show', pc(1));
      assert.deepEqual(
        shown.effectiveApprovals.map((a: any) => [a.updateId, a.action, a.sourceGroupId]),
        [[seed.cumulative, 'install', ring0]],
      );
      const upd = await json(db, 'updates', 'show', 'KB5099001');
      assert.deepEqual(
        upd.approvals.map((a: any) => [a.groupId, a.approvedBy, a.approvedVia]),
        [[ring0, userInfo().username, 'cli']],
      );
      const audit = await createRepositories(db.handle).adminQueries.listAudit({ action: 'approval.set' });
      assert.equal(audit[0]?.actor, `cli:${userInfo().username}`);

      // Every bad input: non-zero exit, a stable code on stderr, nothing changed.
      await refused(
        db,
        65,
        'PB_ERR_DEADLINE_PAST',
        'approve',
        'KB5099002',
        '--group',
        'Ring 0',
        '--deadline',
        '2021-03-01T00:00:00Z',
      );
      await refused(
        db,
        65,
        'PB_ERR_INVALID_PARAMETER',
        'approve',
        'KB5099002',
        '--group',
        'Ring 0',
        '--deadline',
        'next week',
      );
      await refused(
        db,
        65,
        'PB_ERR_NOT_UNINSTALLABLE',
        'approve',
        'KB2267602',
        '--group',
        'Ring 0',
        '--action',
        'uninstall',
      );
      await refused(db, 66, 'PB_ERR_NOT_FOUND', 'approve', 'KB42', '--group', 'Ring 0');
      await refused(db, 65, 'PB_ERR_INVALID_PARAMETER', 'approve', 'KB5099002', '--group', 'No Group');
      await refused(db, 65, 'PB_ERR_APPROVAL_CONFLICT', 'approve', seed.engineMember, '--group', 'Ring 0');
      await refused(db, 64, 'PB_ERR_USAGE', 'approve', 'KB5099002', seed.office, '--group', 'Ring 0');
      await refused(db, 64, 'PB_ERR_USAGE', 'approve', 'KB5099002', '--group', 'Ring 0', '--action', 'maybe');
      const usage = await cli(db, 'approve', 'KB5099002');
      assert.equal(usage.code, 64); // commander: --group is required

      // Uninstall where the document allows it; unapprove; decline/undecline; filters.
      assert.equal(
        (await json(db, 'approve', 'KB5099001', '--group', 'Ring 0a', '--action', 'uninstall')).changes[0]
          .action,
        'uninstall',
      );
      assert.equal((await json(db, 'unapprove', 'KB5099001', '--group', 'Ring 0a')).changes[0].changed, true);
      const dec = await json(
        db,
        'decline',
        '--classification',
        'Security Updates',
        '--severity',
        'Low',
        '--reason',
        'old',
      );
      assert.deepEqual(
        dec.changes.map((c: any) => c.updateId),
        [seed.expired],
      );
      assert.deepEqual(
        (await json(db, 'updates', 'list', '--approval', 'declined')).items.map((u: any) => u.updateId),
        [seed.expired],
      );
      assert.deepEqual(
        (await json(db, 'undecline', seed.expired)).changes.map((c: any) => c.changed),
        [true],
      );
      const page1 = await json(db, 'updates', 'list', '--limit', '2');
      const page2 = await json(db, 'updates', 'list', '--limit', '2', '--cursor', page1.nextCursor);
      assert.deepEqual(
        [...page1.items, ...page2.items].map((u: any) => u.updateId),
        [seed.cumulative, seed.office, seed.expired, seed.defenderKb].sort(),
      );
      assert.equal(page2.nextCursor, undefined);

      // Human tables by default.
      const table = await cli(db, 'updates', 'list', '--text', 'cumulative');
      assert.equal(table.code, 0);
      assert.match(table.stdout, /^UPDATE ID\s+KB\s+SEVERITY/);
      assert.match(
        table.stdout,
        /KB5099001\s+Critical\s+Security Updates\s+approved\s+pending activation\s+0\s+2026-10 Cumulative/,
      );

      const none = await cli(db, 'updates', 'list', '--text', 'no such title anywhere');
      assert.equal(none.code, 0);
      assert.equal(none.stdout, 'No updates match these filters.\n');

      // Stale computers.
      const stale = await json(db, 'computers', 'remove-stale', '--days', '30', '--dry-run');
      assert.deepEqual(
        stale.removed.map((c: any) => c.computerId),
        [pc(2)],
      );
      assert.equal((await json(db, 'computers', 'remove-stale', '--days', '30')).removed.length, 1);
      assert.deepEqual(
        (await json(db, 'computers', 'list')).items.map((c: any) => c.computerId),
        [pc(1)],
      );
      await refused(db, 64, 'PB_ERR_USAGE', 'computers', 'remove-stale', '--days', '0');

      // Targeting mode.
      assert.equal((await json(db, 'groups', 'set-mode', 'client')).mode, 'client');
      assert.equal((await json(db, 'groups', 'list')).targetingMode, 'client');
      await refused(db, 64, 'PB_ERR_USAGE', 'groups', 'set-mode', 'sideways');
    });

    void test('rules (dry run vs run, switches) and tokens (shown once, usable, revoked)', async (t) => {
      const db = await openTestDatabase(t, driver);
      await seedCatalog(db.handle);
      await json(db, 'groups', 'create', 'Pilot');
      const rule = await json(
        db,
        'rules',
        'create',
        '--name',
        'Defs',
        '--classification',
        'Definition Updates',
        '--group',
        'Pilot',
        '--deadline-days',
        '1',
      );
      assert.deepEqual(rule.criteria.classificationIds, [seed.definitionUpdates]);
      await refused(
        db,
        65,
        'PB_ERR_INVALID_PARAMETER',
        'rules',
        'create',
        '--name',
        'x',
        '--product',
        'Windows 3.11',
        '--group',
        'Pilot',
      );
      const before = await fingerprint(db);
      const dry = await json(db, 'rules', 'run', String(rule.ruleId), '--dry-run');
      assert.deepEqual(
        dry.approvals.map((a: any) => a.updateId),
        [seed.defenderKb],
      );
      assert.deepEqual(await fingerprint(db), before);
      const run = await json(db, 'rules', 'run', String(rule.ruleId));
      assert.equal(run.approvals.length, 1);
      assert.deepEqual(
        (await json(db, 'updates', 'list', '--approval', 'approved')).items.map((u: any) => u.updateId),
        [seed.defenderKb],
      );
      const sw = await json(db, 'rules', 'set', '--decline-expired', 'on');
      assert.deepEqual(sw, { approveNewRevisionsOfApproved: true, declineExpired: true });
      assert.equal((await json(db, 'rules', 'set', String(rule.ruleId), '--disable')).isEnabled, false);
      assert.equal((await json(db, 'rules', 'list')).items[0].isEnabled, false);
      await refused(db, 66, 'PB_ERR_NOT_FOUND', 'rules', 'run', '999');
      await refused(db, 64, 'PB_ERR_USAGE', 'rules', 'run', 'one');
      assert.equal((await json(db, 'rules', 'delete', String(rule.ruleId))).ruleId, rule.ruleId);

      const created = await json(db, 'tokens', 'create', '--name', 'ci', '--role', 'approver');
      assert.match(created.token, /^pb_[A-Za-z0-9_-]{43}$/);
      await refused(db, 65, 'PB_ERR_INVALID_PARAMETER', 'tokens', 'create', '--name', 'x', '--role', 'root');
      await refused(db, 65, 'PB_ERR_CONFLICT', 'tokens', 'create', '--name', 'ci', '--role', 'admin');
      const listed = await json(db, 'tokens', 'list');
      assert.deepEqual(
        listed.items.map((x: any) => [x.name, x.roles]),
        [['ci', ['approver']]],
      );
      assert.ok(!JSON.stringify(listed).includes(created.token));
      assert.ok((await json(db, 'tokens', 'revoke', 'ci')).revokedAt > 0);
      await refused(db, 65, 'PB_ERR_CONFLICT', 'tokens', 'revoke', String(created.record.tokenId));
    });

    void test('the real executable: exit codes and --json on stdout', async (t) => {
      const db = await openTestDatabase(t, driver);
      await seedCatalog(db.handle);
      const env = { ...db.env, PATCHBAY_SERVER_DATA_DIR: db.dir };
      const ok = await runCliProcess(['groups', 'create', 'Ring 0', '--json'], { cwd: db.dir, env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).path, 'All Computers/Ring 0');
      const notFound = await runCliProcess(['approve', 'KB1', '--group', 'Ring 0'], { cwd: db.dir, env });
      assert.deepEqual([notFound.code, notFound.stdout], [66, '']);
      assert.match(notFound.stderr, /PB_ERR_NOT_FOUND/);
      const past = await runCliProcess(
        ['approve', 'KB5099001', '--group', 'Ring 0', '--deadline', '2020-01-01'],
        { cwd: db.dir, env },
      );
      assert.equal(past.code, 65);
      assert.match(past.stderr, /PB_ERR_DEADLINE_PAST/);
      const usage = await runCliProcess(['groups', 'frobnicate'], { cwd: db.dir, env });
      assert.equal(usage.code, 64);
      assert.deepEqual(await createRepositories(db.handle).approvals.listForUpdate(seed.cumulative), []);
    });
  });
}
