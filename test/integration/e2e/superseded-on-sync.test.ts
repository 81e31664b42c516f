/**
 * `maintenance.auto_decline_superseded` in the sync pipeline (runSyncPipeline, as `patchbay sync` and the
 * schedule run it), on SQLite and PostgreSQL: a SYNTHETIC security update arrives that supersedes one already
 * approved; the approval rule approves the newcomer for the same group in the same run, and the safe rule
 * then declines the superseded one, audited as rule:decline-superseded. With the switch off (the default)
 * the same sync declines nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { FsContentStore, createRepositories } from '../../../src/storage/index.js';
import { runSyncPipeline, UpstreamTransport } from '../../../src/sync/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { cat, productEnv, startProductUpstream } from './product-upstream.js';

after(() => stopAdminPostgres());

const admin = { via: 'cli' as const, name: 'tester' };
const replacement = '00000000-0000-4000-8000-0000000000c1';

/** A security update superseding `cat.sec` (SupersededUpdates first in Relationships, as in WSUS documents). */
function supersedingDocument(): string {
  return syntheticDocument(replacement, 200, {
    title: 'SYNTHETIC (test) Security B, superseding',
    prerequisites: [[cat.detectoid]],
    categoryClauses: [[cat.product], [cat.securityUpdates]],
  })
    .replace('UpdateType="Software"', 'UpdateType="Software" ExplicitlyDeployable="true"')
    .replace(
      '<upd:Relationships>',
      `<upd:Relationships><upd:SupersededUpdates><upd:UpdateIdentity UpdateID="${cat.sec}" /></upd:SupersededUpdates>`,
    );
}

async function run(t: TestContext, driver: Driver, env: Record<string, string>) {
  const { handle, dir } = await openTestDatabase(t, driver);
  const up = await startProductUpstream(t);
  const config = await loadConfigOrThrow({ env: { ...productEnv(up, dir), ...env } });
  const store = await FsContentStore.open(config.content.dir);
  const transport = new UpstreamTransport({ proxy: { mode: 'none' }, retry: { maxAttempts: 2 } });
  t.after(() => transport.close());
  const sync = () =>
    runSyncPipeline(
      { db: handle, store, transport },
      { config, triggerSource: 'test', nodeId: 'test', skipContent: true },
    );
  const services = createAdminServices(handle);
  await services.groups.create({ name: 'Ring 0' }, admin);
  const first = await sync();
  assert.equal(first.sync.outcome, 'succeeded');
  await services.approvals.approve(
    { selection: { updateIds: [cat.sec, cat.secOther] }, groups: ['Ring 0'], action: 'install' },
    admin,
  );
  await services.rules.create(
    { name: 'Security', classifications: ['Security Updates'], groups: ['Ring 0'] },
    admin,
  );
  up.catalog.put({
    identity: { updateId: replacement, revisionNumber: 200 },
    text: supersedingDocument(),
    listed: true,
  });
  const second = await sync();
  assert.equal(second.sync.outcome, 'succeeded');
  assert.deepEqual(
    second.rules?.approvals.map((a) => a.updateId),
    [replacement],
  );
  return { handle, second, services };
}

for (const driver of adminDrivers())
  void describe(`superseded declines after a sync (${driver})`, () => {
    void test('auto_decline_superseded declines what the safe rule allows after the sync', async (t) => {
      const { handle, second, services } = await run(t, driver, {
        PATCHBAY_MAINTENANCE_AUTO_DECLINE_SUPERSEDED: 'true',
        PATCHBAY_MAINTENANCE_DECLINE_SUPERSEDED_AFTER_DAYS: '0',
      });
      assert.equal(second.supersededError, undefined);
      assert.deepEqual(
        second.superseded?.declined.map((d) => [d.updateId, d.replacedBy]),
        [[cat.sec, [replacement]]],
      );
      const repos = createRepositories(handle);
      assert.equal(await repos.approvals.isDeclined(cat.sec), true);
      assert.equal(await repos.approvals.isDeclined(cat.secOther), false);
      const audit = await services.audit.list({ action: 'update.decline' });
      assert.deepEqual(
        audit.items.map((e) => [e.actor, e.targetId]),
        [['rule:decline-superseded', cat.sec]],
      );
      assert.match(JSON.stringify(audit.items[0]?.detail), /run by system:sync/);
    });

    void test('with the switch off (the default) the sync declines nothing', async (t) => {
      const { handle, second } = await run(t, driver, {
        PATCHBAY_MAINTENANCE_DECLINE_SUPERSEDED_AFTER_DAYS: '0',
      });
      assert.equal(second.superseded, undefined);
      assert.equal(await createRepositories(handle).approvals.isDeclined(cat.sec), false);
    });
  });
