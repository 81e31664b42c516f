/**
 * Automatic approval rules run inside the sync pipeline (runSyncPipeline, as `patchbay sync` and the schedule
 * run it), on SQLite and PostgreSQL: a rule for Definition Updates approves the new definition update for its
 * group with the deadline offset, audited as `rule:<id>`, and in content mode `approved` its file is downloaded
 * in the same run; a disabled rule and a dry run change nothing; "decline expired updates" declines an update
 * whose new upstream revision arrives Expired.
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { type AdminActor } from '../../../src/fleet/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { FsContentStore, createRepositories, type DbHandle } from '../../../src/storage/index.js';
import { runSyncPipeline, UpstreamTransport } from '../../../src/sync/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { cat, hexOf, productEnv, publishExpiring, startProductUpstream } from './product-upstream.js';

after(() => stopAdminPostgres());

const admin: AdminActor = { via: 'cli', name: 'tester' };
const dayMs = 86_400_000;

async function setup(t: TestContext, driver: Driver) {
  const { handle, dir } = await openTestDatabase(t, driver);
  const up = await startProductUpstream(t);
  const config = await loadConfigOrThrow({
    env: productEnv(up, dir),
  });
  const store = await FsContentStore.open(config.content.dir);
  const transport = new UpstreamTransport({ proxy: { mode: 'none' }, retry: { maxAttempts: 2 } });
  t.after(() => transport.close());
  const sync = () =>
    runSyncPipeline({ db: handle, store, transport }, { config, triggerSource: 'test', nodeId: 'test' });
  return { handle, up, config: config, store, sync, services: createAdminServices(handle) };
}

async function ruleCategoriesExist(handle: DbHandle): Promise<void> {
  // A rule names its classification by title once the categories are known (the first sync brings them).
  const rows = await createRepositories(handle).adminQueries.resolveCategories('UpdateClassification', [
    'Definition Updates',
  ]);
  assert.equal(rows.get('Definition Updates'), cat.definitionUpdates);
}

const approvalsOf = async (handle: DbHandle, updateId: string) =>
  (await createRepositories(handle).approvals.listForUpdate(updateId)).map((a) => ({
    groupId: a.groupId,
    action: a.action,
    deadlineAt: a.deadlineAt,
    approvedVia: a.approvedVia,
  }));

for (const driver of adminDrivers()) {
  void describe(`automatic approval rules in the sync pipeline (${driver})`, () => {
    void test('a rule approves the new definition update for its group with the deadline; its file comes in the same run', async (t) => {
      const { handle, up, sync, services } = await setup(t, driver);
      const ring = await services.groups.create({ name: 'Ring 0' }, admin);
      // The rule is made before anything is synchronized: classifications by id are taken as they are.
      const rule = await services.rules.create(
        { name: 'Defs', classifications: [cat.definitionUpdates], groups: ['Ring 0'], deadlineDays: 2 },
        admin,
      );
      const disabled = await services.rules.create(
        {
          name: 'Security (off)',
          classifications: [cat.securityUpdates],
          groups: ['Ring 0'],
          enabled: false,
        },
        admin,
      );
      assert.ok(disabled.ruleId > rule.ruleId);

      const before = Date.now();
      const r = await sync();
      const afterRun = Date.now();
      assert.equal(r.sync.outcome, 'succeeded');
      assert.ok(r.sync.importedRevisionIds.length >= 7, 'the run reports what it imported');
      assert.equal(r.rulesError, undefined);
      assert.deepEqual(
        r.rules?.approvals.map((a) => [a.updateId, a.groupId, a.ruleId]),
        [[cat.defs, ring.groupId, rule.ruleId]],
      );
      await ruleCategoriesExist(handle);

      const [a] = await approvalsOf(handle, cat.defs);
      assert.equal(a?.groupId, ring.groupId);
      assert.equal(a?.action, 'install');
      assert.equal(a?.approvedVia, `rule:${rule.ruleId}`);
      assert.ok(
        a.deadlineAt! >= before + 2 * dayMs && a.deadlineAt! <= afterRun + 2 * dayMs,
        'deadline offset',
      );
      // The disabled rule did nothing.
      assert.deepEqual(await approvalsOf(handle, cat.sec), []);
      assert.deepEqual(await approvalsOf(handle, cat.secOther), []);

      const audit = await services.audit.list({ actor: `rule:${rule.ruleId}` });
      assert.deepEqual(
        audit.items.map((e) => [e.action, e.targetType]),
        [['approval.set', 'update']],
      );

      // content.mode = approved: the rule-approved file was downloaded by this same run, nothing else.
      assert.equal(r.content?.filesDownloaded, 1);
      assert.ok(up.contentRequests.some((p) => p.includes(hexOf(up.files.defs.bytes))));
      assert.ok(!up.contentRequests.some((p) => p.includes(hexOf(up.files.sec.bytes))));

      // An unchanged re-sync imports nothing and the rules do not run again.
      const again = await sync();
      assert.deepEqual(again.sync.importedRevisionIds, []);
      assert.equal(again.rules, undefined);
    });

    void test('dry run lists without acting; "decline expired" declines an update whose new revision is Expired', async (t) => {
      const { handle, up, sync, services } = await setup(t, driver);
      publishExpiring(up);
      await services.groups.create({ name: 'Ring 0' }, admin);
      const first = await sync();
      assert.equal(first.sync.outcome, 'succeeded');
      assert.equal(first.rules?.approvals.length, 0, 'no rule yet');

      // A dry run of the hook over the imported revisions plans the approvals and writes nothing.
      const rule = await services.rules.create(
        { name: 'Defs', classifications: ['Definition Updates'], groups: ['Ring 0'] },
        admin,
      );
      const dry = await services.rules.applyRulesToNewRevisions(first.sync.importedRevisionIds, {
        dryRun: true,
      });
      assert.equal(dry.dryRun, true);
      assert.deepEqual(dry.approvals.map((x) => x.updateId).sort(), [cat.defs, cat.expiring].sort());
      assert.deepEqual(await approvalsOf(handle, cat.defs), []);
      assert.deepEqual(await approvalsOf(handle, cat.expiring), []);
      assert.equal((await services.audit.list({ actor: `rule:${rule.ruleId}` })).items.length, 0);

      await services.rules.setSwitches({ declineExpired: true }, admin);
      up.expireOne();
      const second = await sync();
      assert.equal(second.sync.outcome, 'succeeded');
      assert.equal(second.sync.importedRevisionIds.length, 1, 'only the new revision');
      assert.deepEqual(second.rules?.declined, [cat.expiring]);
      assert.equal(await createRepositories(handle).approvals.isDeclined(cat.expiring), true);
      // The rule matches it, but a declined update is never approved.
      assert.deepEqual(second.rules?.approvals, []);
      assert.deepEqual(await approvalsOf(handle, cat.expiring), []);
      const declines = await services.audit.list({ action: 'update.decline' });
      assert.deepEqual(
        declines.items.map((e) => [e.actor, e.targetId]),
        [['system:sync', cat.expiring]],
      );
    });
  });
}
