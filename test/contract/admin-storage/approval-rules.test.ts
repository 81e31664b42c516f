/**
 * The approval-rule repository in the storage contract style: one suite, run on a real SQLite file and on a
 * throwaway PostgreSQL database (test/helpers/admin-db.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { createRepositories } from '../../../src/storage/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';

after(stopAdminPostgres);

for (const driver of adminDrivers())
  void describe(`approval-rule repository on ${driver}`, () => {
    void test('create, get, list in priority order, update, delete; criteria normalised; ids never reused', async (t) => {
      const { handle } = await openTestDatabase(t, driver);
      const { approvalRules } = createRepositories(handle);
      const a = await approvalRules.create(
        {
          name: 'Security',
          criteria: {
            classificationIds: [
              '0FA1201D-4330-4FA8-8AE9-B877473B6441',
              '0fa1201d-4330-4fa8-8ae9-b877473b6441',
            ],
            productIds: [],
          },
          groupIds: ['B73CA6ED-5727-47F3-84DE-015E03F6A88A'],
          deadlineOffsetMs: 86_400_000,
          priority: 5,
        },
        1000,
      );
      assert.deepEqual(a.criteria, {
        classificationIds: ['0fa1201d-4330-4fa8-8ae9-b877473b6441'],
        productIds: [],
      });
      assert.deepEqual(
        [a.groupIds, a.isEnabled, a.action, a.createdAt],
        [['b73ca6ed-5727-47f3-84de-015e03f6a88a'], true, 'install', 1000],
      );
      const b = await approvalRules.create({
        name: 'Defs',
        isEnabled: false,
        criteria: { classificationIds: [], productIds: ['x'] },
        groupIds: [],
        priority: 1,
      });
      assert.deepEqual(
        (await approvalRules.list()).map((r) => r.name),
        ['Defs', 'Security'],
      );
      assert.deepEqual(
        (await approvalRules.list({ enabledOnly: true })).map((r) => r.name),
        ['Security'],
      );
      assert.deepEqual(
        (await approvalRules.list({ afterRuleId: a.ruleId })).map((r) => r.ruleId),
        [b.ruleId],
      );
      const u = await approvalRules.update(
        a.ruleId,
        { isEnabled: false, deadlineOffsetMs: null, name: 'Sec' },
        2000,
      );
      assert.deepEqual(
        [u.isEnabled, u.deadlineOffsetMs, u.name, u.updatedAt, u.createdAt],
        [false, null, 'Sec', 2000, 1000],
      );
      await assert.rejects(
        approvalRules.update(9999, { name: 'x' }),
        (e) => e instanceof AppError && e.code === 'PB_ERR_NOT_FOUND',
      );
      assert.equal(await approvalRules.delete(b.ruleId), true);
      assert.equal(await approvalRules.delete(b.ruleId), false);
      assert.equal(await approvalRules.get(b.ruleId), undefined);
      const c = await approvalRules.create({
        name: 'Next',
        criteria: { classificationIds: ['y'], productIds: [] },
        groupIds: [],
      });
      assert.ok(c.ruleId > b.ruleId, 'a deleted rule id is not handed out again');
      // Malformed JSON in the table is a typed database error, not a crash.
      await handle.db
        .updateTable('approval_rules')
        .set({ criteria: '{oops' })
        .where('rule_id', '=', c.ruleId)
        .execute();
      await assert.rejects(
        approvalRules.get(c.ruleId),
        (e) => e instanceof AppError && e.code === 'PB_ERR_DB',
      );
    });
  });
