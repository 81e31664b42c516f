/**
 * Issue 13 item 2 end to end on both databases: after `decline --superseded` (the service the CLI and the API
 * call), a Windows-like client scan over HTTP still receives every approved update as Install, and the declined
 * superseded one is no longer offered. SYNTHETIC chain: B supersedes A, C supersedes B, all approved for
 * Ring 1; the client still needs B, so the rule declines A only.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { seedSupersedenceCatalog } from '../../helpers/seed-catalog.js';
import { dialects, startHarness } from '../client-service/harness.js';
import { WuspClient, type UpdateInfoOut } from '../client-service/wusp-client.js';

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const product = id(1);
const detectoid = id(2);
const A = id(0xa);
const B = id(0xb);
const C = id(0xc);
const other = id(0xd);
const dayMs = 86_400_000;
const actor = { via: 'cli' as const, name: 'test' };

const updateIdOf = (u: UpdateInfoOut): string =>
  /UpdateIdentity UpdateID="([^"]+)"/.exec(u.xml)![1]!.toLowerCase();

/** A fresh scan like WUA's: until nothing new arrives; the offered leaf updates by update id -> action. */
async function scan(c: WuspClient): Promise<Map<string, string>> {
  const installed: number[] = [];
  const other: number[] = [];
  const leaves = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    const r = await c.sync({ installed, other });
    for (const u of r.newUpdates) {
      (u.isLeaf ? other : installed).push(u.id);
      if (u.isLeaf) leaves.set(updateIdOf(u), u.action);
    }
    if (!r.truncated && r.newUpdates.every((u) => u.isLeaf)) break;
  }
  return leaves;
}

for (const { dialect, skip } of dialects)
  void describe(`superseded decline and a client scan (${dialect})`, { skip }, () => {
    void test('after decline --superseded a client still receives every approved update', async (t) => {
      let ring1 = '';
      const h = await startHarness(t, dialect, {
        seed: async ({ handle }) => {
          await seedSupersedenceCatalog(
            handle,
            { product, detectoid },
            [
              { updateId: A },
              { updateId: B, supersedes: [A] },
              { updateId: C, supersedes: [B] },
              { updateId: other },
            ],
            Date.now() - 40 * dayMs,
          );
          const services = createAdminServices(handle);
          ring1 = (await services.groups.create({ name: 'Ring 1' }, actor)).groupId;
          await services.approvals.approve(
            { selection: { updateIds: [A, B, C] }, groups: ['Ring 1'], action: 'install' },
            actor,
          );
        },
      });
      const services = createAdminServices(h.handle);
      const c = new WuspClient(h, randomUUID());
      await c.handshake();
      await c.register();
      await h.repos.groups.setMemberships(c.clientId, [ring1], 'server');
      await c.handshake();
      const before = await scan(c);
      assert.deepEqual(
        [A, B, C, other].map((u) => before.get(u)),
        ['Install', 'Install', 'Install', 'PreDeploymentCheck'],
      );
      // The computer reported B as not installed: B is still needed, so only A goes.
      await h.repos.updateStatus.upsert([
        { computerId: c.clientId, updateId: B, state: 2, statusAt: Date.now() },
      ]);

      const plan = await services.supersededDeclines.run({}, actor);
      assert.deepEqual(
        plan.declined.map((d) => d.updateId),
        [A],
      );
      const approved = (await services.approvals.list({ group: 'Ring 1' })).items
        .filter((a) => a.action === 'install')
        .map((a) => a.updateId)
        .sort();
      assert.deepEqual(approved, [B, C]);

      const fresh = new WuspClient(h, randomUUID(), 'pc2.example.test');
      await fresh.handshake();
      await fresh.register();
      await h.repos.groups.setMemberships(fresh.clientId, [ring1], 'server');
      await fresh.handshake();
      const after = await scan(fresh);
      for (const u of approved) assert.equal(after.get(u), 'Install', `${u} is approved and offered`);
      assert.equal(after.has(A), false, 'the declined superseded update is not offered');
      assert.equal(after.get(other), 'PreDeploymentCheck');
    });
  });
