/**
 * An automatic approval rule with a rings plan (issue 14, "a rule option"), in the sync pipeline on SQLite and
 * PostgreSQL: the sync imports the definition update, the rule starts a ringed approval in ring 0 (Pilot
 * approved, Broad not), and the promotion step moves it to ring 1 after the soak on a simulated clock once a
 * Pilot computer reported the install. A second run of the rule starts no second rollout; a plain rule later
 * in the order does not approve the ringed update for its groups.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { type AdminActor } from '../../../src/fleet/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { FsContentStore, createRepositories } from '../../../src/storage/index.js';
import { runSyncPipeline, UpstreamTransport } from '../../../src/sync/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { cat, productEnv, startProductUpstream } from './product-upstream.js';

after(() => stopAdminPostgres());

const admin: AdminActor = { via: 'cli', name: 'tester' };
const day = 86_400_000;
const pc = '11111111-2222-4333-8444-555555555555';

for (const driver of adminDrivers())
  void describe(`a rule with a rings plan in the sync pipeline (${driver})`, () => {
    void test('sync -> the rule starts a rollout in ring 0 -> promoted after the soak', async (t) => {
      const { handle, dir } = await openTestDatabase(t, driver);
      const up = await startProductUpstream(t);
      const config = await loadConfigOrThrow({ env: productEnv(up, dir) });
      const store = await FsContentStore.open(config.content.dir);
      const transport = new UpstreamTransport({ proxy: { mode: 'none' }, retry: { maxAttempts: 2 } });
      t.after(() => transport.close());
      const services = createAdminServices(handle);
      const repos = createRepositories(handle);
      const pilot = await services.groups.create({ name: 'Pilot' }, admin);
      const broad = await services.groups.create({ name: 'Broad' }, admin);
      await services.rings.create({ name: 'pilot', groups: ['Pilot'], soak: '1d', minReported: 1 }, admin);
      await services.rings.create({ name: 'broad', groups: ['Broad'], soak: '2d', minReported: 1 }, admin);
      await repos.computers.upsert({ computerId: pc, dnsName: 'pilot1.example.test' });
      await services.groups.addComputer('Pilot', pc, admin);

      // Validation: a ringed rule takes no groups; an unknown ring is an error with the ring names.
      await assert.rejects(
        services.rules.create(
          { name: 'x', classifications: [cat.definitionUpdates], groups: ['Pilot'], rings: 'all' },
          admin,
        ),
        /takes its groups and deadlines from the plan/,
      );
      await assert.rejects(
        services.rules.create({ name: 'x', classifications: [cat.definitionUpdates], rings: 'pilto' }, admin),
        /pilto/,
      );
      const rule = await services.rules.create(
        { name: 'Defs by ring', classifications: [cat.definitionUpdates], rings: 'pilot+2d,broad+3d' },
        admin,
      );
      assert.deepEqual(
        rule.ringsPlan?.map((s) => [s.ringName, s.deadlineOffsetMs]),
        [
          ['pilot', 2 * day],
          ['broad', 3 * day],
        ],
      );
      assert.deepEqual(rule.groupIds, []);
      // A plain rule after it (by id) matches the same update: the ringed rule took it, so no group approval.
      await services.rules.create(
        { name: 'Defs to Broad', classifications: [cat.definitionUpdates], groups: ['Broad'] },
        admin,
      );
      await assert.rejects(services.rings.delete('pilot', admin), /rings plan of approval rule/);

      const r = await runSyncPipeline(
        { db: handle, store, transport },
        { config, triggerSource: 'test', nodeId: 'test' },
      );
      assert.equal(r.sync.outcome, 'succeeded');
      assert.equal(r.rulesError, undefined);
      assert.deepEqual(r.rules?.approvals, [], 'no approval for groups');
      assert.deepEqual(
        r.rules?.rollouts.map((x) => [x.updateId, x.ruleId, x.ring]),
        [[cat.defs, rule.ruleId, 'pilot']],
      );
      const rolloutId = r.rules.rollouts[0]!.rolloutId!;
      const [status] = await services.rollouts.status({ rolloutId });
      assert.deepEqual([status!.state, status!.ring, status!.position], ['running', 'pilot', 0]);
      const T0 = status!.since;
      const approved = async () =>
        (await repos.approvals.listForUpdate(cat.defs)).map((a) => [a.groupId, a.approvedVia]).sort();
      assert.deepEqual(await approved(), [[pilot.groupId, `rollout:${rolloutId}`]]);
      const started = await services.audit.list({ action: 'rollout.start' });
      assert.deepEqual(
        started.items.map((e) => [e.actor, e.targetId]),
        [[`rule:${rule.ruleId}`, cat.defs]],
      );

      // Running the rule again (by hand, or a later sync) starts no second rollout of the update.
      const dry = await services.rules.run(rule.ruleId, { dryRun: true }, admin);
      assert.deepEqual(dry.rollouts, []);

      // The Pilot computer reports the install; the soak is not over half a day in, it is a day in.
      await repos.updateStatus.upsert([
        { computerId: pc, updateId: cat.defs, state: 4, statusAt: Date.now() },
      ]);
      assert.equal((await services.rollouts.tick(T0 + day / 2)).promoted, 0);
      assert.deepEqual(await services.rollouts.tick(T0 + day), {
        evaluated: 1,
        promoted: 1,
        paused: 0,
        completed: 0,
      });
      const [moved] = await services.rollouts.status({ rolloutId }, T0 + day);
      assert.deepEqual([moved!.ring, moved!.since], ['broad', T0 + day]);
      const groups = (await approved()).map(([g]) => g);
      assert.ok(groups.includes(broad.groupId), 'ring 1 approved after the soak');
      const deadlines = new Map(
        (await repos.approvals.listForUpdate(cat.defs)).map((a) => [a.groupId, a.deadlineAt]),
      );
      assert.equal(deadlines.get(pilot.groupId), T0 + 2 * day);
      assert.equal(deadlines.get(broad.groupId), T0 + day + 3 * day);

      // Back to a plain rule: it needs groups again.
      await assert.rejects(services.rules.update(rule.ruleId, { rings: null }, admin), /1 to 64 groups/);
      const plain = await services.rules.update(rule.ruleId, { rings: null, groups: ['Broad'] }, admin);
      assert.equal(plain.ringsPlan, null);
    });
  });
