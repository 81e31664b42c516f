/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- CLI --json output and API answers are untyped; the assertions check their shape. */
/**
 * Issue 13 item 4 on both databases: `patchbay computers remove <id|name>` and DELETE /api/v1/computers/:computer
 * (by id, DNS name or unique short name; unknown names are errors with a did-you-mean; audited; a dry run
 * removes nothing), and `patchbay status` (the database's size and the content store's stored bytes).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createRepositories } from '../../../src/storage/index.js';
import { adminDrivers, seedComputers, stopAdminPostgres } from '../../helpers/admin-db.js';
import { adminCli, adminJson, startApi } from './harness.js';

after(stopAdminPostgres);

const pc1 = '33333333-0000-4000-8000-000000000001';
const pc2 = '33333333-0000-4000-8000-000000000002';
const pc3 = '33333333-0000-4000-8000-000000000003';

for (const driver of adminDrivers())
  void describe(`computers remove and status (${driver})`, () => {
    void test('computers remove by id, name or short name; did-you-mean; audit; dry run', async (t) => {
      const h = await startApi(t, driver);
      await seedComputers(h.db.handle, [
        { id: pc1, name: 'desk-01.contoso.test' },
        { id: pc2, name: 'desk-02.contoso.test' },
        { id: pc3, name: 'lab-01.fabrikam.test' },
      ]);
      const before = await h.fingerprint();
      const dry = await adminJson(h.db, 'computers', 'remove', 'desk-01', '--dry-run');
      assert.equal(dry.removed.computerId, pc1);
      assert.deepEqual(await h.fingerprint(), before, 'a dry run removes nothing');

      const byName = await adminJson(h.db, 'computers', 'remove', 'DESK-01.contoso.test');
      assert.equal(byName.removed.computerId, pc1);
      const typo = await adminCli(h.db, 'computers', 'remove', 'desk-2.contoso.test');
      assert.equal(typo.code, 65, typo.stderr);
      assert.match(typo.stderr, /did you mean "desk-02.contoso.test"/);
      const missing = await adminCli(h.db, 'computers', 'remove', pc1);
      assert.equal(missing.code, 66, missing.stderr);

      const api = await h.call('DELETE', `/api/v1/computers/${pc3}`);
      assert.equal(api.statusCode, 200, api.body);
      assert.equal(api.json().removed.name, 'lab-01.fabrikam.test');
      const reader = await h.call('DELETE', `/api/v1/computers/${pc2}`, { role: 'reporter' });
      assert.equal(reader.statusCode, 403);

      const left = (await createRepositories(h.db.handle).computers.list()).map((c) => c.computerId);
      assert.deepEqual(left, [pc2]);
      const audit = await h.services.audit.list({ action: 'computer.remove' });
      assert.deepEqual(audit.items.map((r: any) => [r.targetId, r.actor.split(':')[0]]).sort(), [
        [pc1, 'cli'],
        [pc3, 'api'],
      ]);
    });

    void test('patchbay status shows the database size and the content store size', async (t) => {
      const h = await startApi(t, driver);
      const s = await adminJson(h.db, 'status');
      assert.ok(s.database.bytes > 0, 'a migrated, seeded database has a size');
      assert.equal(s.content.files, 0);
      assert.equal(s.content.bytes, 0);
      // What `patchbay cleanup` would reclaim now: its dry run's totals.
      assert.deepEqual(Object.keys(s.cleanup as object).sort(), ['bytes', 'files', 'rows']);
      const dry = await adminJson(h.db, 'cleanup', '--dry-run');
      assert.deepEqual(s.cleanup, dry.total);
      if (driver === 'sqlite') assert.equal(typeof s.database.freeBytes, 'number');
      else assert.equal(s.database.freeBytes, null);
      const text = await adminCli(h.db, 'status');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /database size: /);
      assert.match(text.stdout, /content size: {2}0 B in 0 file\(s\)/);
      assert.match(text.stdout, /cleanup would reclaim: \d+ row\(s\), \d+ file\(s\)/);
    });
  });
