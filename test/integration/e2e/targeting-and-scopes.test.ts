/**
 * The administration rules as the client web service applies them, over real HTTP on SQLite and PostgreSQL:
 * - targeting mode: a client's requested TargetGroupName(s) make memberships only in client-side mode
 *   (server-side: the computer stays Unassigned / in its admin-assigned groups); unknown names are reported
 *   and never created;
 * - a group moved under another parent changes the next scan's effective action (the move is written to the
 *   deployment change log, so the service's compiled scopes are recompiled from the database).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { type AdminActor } from '../../../src/fleet/index.js';
import { seedGeneration, syntheticRevision } from '../../helpers/seed-catalog.js';
import { dialects, startHarness } from '../client-service/harness.js';
import { WuspClient, type UpdateInfoOut } from '../client-service/wusp-client.js';

const admin: AdminActor = { via: 'cli', name: 'tester' };
const unassigned = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';
const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const product = id(1);
const detectoid = id(2);
const target = id(10);

const updateIdOf = (u: UpdateInfoOut): string =>
  /UpdateIdentity UpdateID="([^"]+)"/.exec(u.xml)![1]!.toLowerCase();

/** SyncUpdates until done, as WUA loops; returns every NewUpdates entry by update id and the caches. */
async function scan(c: WuspClient) {
  const installed: number[] = [];
  const other: number[] = [];
  const seen = new Map<string, UpdateInfoOut>();
  for (let i = 0; i < 20; i++) {
    const a = await c.sync({ installed, other });
    for (const u of a.newUpdates) {
      seen.set(updateIdOf(u), u);
      (u.isLeaf ? other : installed).push(u.id);
    }
    if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) break;
  }
  return { seen, installed, other };
}

for (const { dialect, skip } of dialects) {
  void describe(`client service applies the administration rules (${dialect})`, { skip }, () => {
    void test('requested group names make memberships only in client-side mode; unknown names are never created', async (t) => {
      const h = await startHarness(t, dialect);
      const s = createAdminServices(h.handle);
      const ring = await s.groups.create({ name: 'Ring 1' }, admin);
      const groupsOf = async (cid: string) =>
        (await h.repos.groups.groupsOf(cid)).map((m) => [m.groupId, m.source]);
      const groupCount = async () => (await s.groups.list({}, { limit: 500 })).items.length;
      const groupsBefore = await groupCount();

      // Server-side mode (the default): the request changes nothing; a new computer is Unassigned.
      const a = new WuspClient(h, randomUUID(), 'a.example.test');
      await a.handshake('Ring 1;No Such Group');
      assert.deepEqual(await groupsOf(a.clientId), [[unassigned, 'server']]);
      // An administrator places it; a later request for other names still changes nothing.
      await s.groups.addComputer('Ring 1', a.clientId, admin);
      await a.handshake('Unassigned Computers;No Such Group');
      assert.deepEqual(await groupsOf(a.clientId), [[ring.groupId, 'server']]);
      assert.deepEqual(await s.groups.resolveClientTargetGroups(a.clientId, ['Ring 1', 'Other']), {
        mode: 'server',
        applied: false,
        groupIds: [ring.groupId],
        unknownNames: ['Other'],
      });

      // Client-side mode: existing names become client-side memberships; unknown ones are only reported.
      await s.groups.setTargetingMode('client', admin);
      const b = new WuspClient(h, randomUUID(), 'b.example.test');
      await b.handshake('ring 1;No Such Group');
      assert.deepEqual(await groupsOf(b.clientId), [[ring.groupId, 'client']]);
      const c = new WuspClient(h, randomUUID(), 'c.example.test');
      await c.handshake('No Such Group');
      assert.deepEqual(await groupsOf(c.clientId), [[unassigned, 'server']]);
      assert.equal(await groupCount(), groupsBefore, 'no group was created from a client request');
      // Back to server-side: the client-side memberships are dropped, and requests change nothing again.
      await s.groups.setTargetingMode('server', admin);
      assert.deepEqual(await groupsOf(b.clientId), [[unassigned, 'server']]);
      await b.handshake('Ring 1');
      assert.deepEqual(await groupsOf(b.clientId), [[unassigned, 'server']]);
    });

    void test('moving a group under another parent changes the next scan (cached and fresh clients)', async (t) => {
      const h = await startHarness(t, dialect, {
        seed: async ({ handle }) => {
          await seedGeneration(handle, [
            syntheticRevision({ updateId: product, type: 'Category', title: 'Product' }),
            syntheticRevision({ updateId: detectoid, type: 'Detectoid' }),
            syntheticRevision({
              updateId: target,
              type: 'Software',
              prerequisites: [[detectoid]],
              categoryPrerequisites: [product],
            }),
          ]);
        },
      });
      const s = createAdminServices(h.handle);
      await s.groups.create({ name: 'Workstations' }, admin);
      await s.groups.create({ name: 'Servers' }, admin);
      await s.groups.create({ name: 'Pilot' }, { via: 'cli', name: 'tester' });
      await s.groups.move('Pilot', 'Workstations', admin);
      // Workstations install it (Pilot inherits); Servers say explicitly: not approved.
      await s.approvals.approve(
        { selection: { updateIds: [target] }, groups: ['Workstations'], action: 'install' },
        admin,
      );
      await s.approvals.approve(
        { selection: { updateIds: [target] }, groups: ['Servers'], action: 'not_approved' },
        admin,
      );

      const c = new WuspClient(h, randomUUID());
      await c.handshake();
      await s.groups.addComputer('Pilot', c.clientId, admin);
      await c.handshake();
      const first = await scan(c);
      assert.equal(first.seen.get(target)?.action, 'Install');

      await s.groups.move('Pilot', 'Servers', admin);
      // The cached client: the update comes back in ChangedUpdates with the new effective action.
      const again = await c.sync({ installed: first.installed, other: first.other });
      const changed = new Map(again.changed.map((u) => [updateIdOf(u), u.action]));
      assert.equal(changed.get(target), 'PreDeploymentCheck', JSON.stringify([...changed]));
      // A fresh client in the moved group gets it unapproved too.
      const d = new WuspClient(h, randomUUID(), 'pc2.example.test');
      await d.handshake();
      await s.groups.addComputer('Pilot', d.clientId, admin);
      await d.handshake();
      assert.equal((await scan(d)).seen.get(target)?.action, 'PreDeploymentCheck');
      // And back: Install again, for both.
      await s.groups.move('Pilot', 'Workstations', admin);
      const back = await c.sync({ installed: first.installed, other: first.other });
      assert.equal(new Map(back.changed.map((u) => [updateIdOf(u), u.action])).get(target), 'Install');
    });
  });
}
