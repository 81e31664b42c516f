/**
 * End to end (issue 5): an approval made with the real `patchbay` executable is what a Windows-like client
 * scan then receives over HTTP. First scan: the update is offered as PreDeploymentCheck (not approved); the
 * operator runs `patchbay groups add-computer` and `patchbay approve`; the next scan, with the client's cache,
 * gets the update back in ChangedUpdates with Deployment Action=Install, and a fresh client gets it as Install
 * in NewUpdates. SQLite, because the child process reaches the harness database through its file path (the
 * client-service harness does not expose its PostgreSQL URL; the CLI's PostgreSQL path is covered by
 * admin-cli.test.ts and the approval it writes is the same row).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { seedGeneration, syntheticRevision } from '../../helpers/seed-catalog.js';
import { runCliProcess } from '../../helpers/cli.js';
import { startHarness } from '../client-service/harness.js';
import { WuspClient, type SyncAnswer, type UpdateInfoOut } from '../client-service/wusp-client.js';

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const product = id(1);
const detectoid = id(2);
const target = id(10);
const other = id(11);

/** Scans like WUA until nothing new arrives; returns the offered updates by revision id and the caches. */
async function scan(c: WuspClient, cache?: { installed: number[]; other: number[] }) {
  const installed = new Map<number, UpdateInfoOut>();
  const leaves = new Map<number, UpdateInfoOut>();
  let last: SyncAnswer | undefined;
  for (let i = 0; i < 20; i++) {
    last = await c.sync({
      installed: [...(cache?.installed ?? []), ...installed.keys()],
      other: [...(cache?.other ?? []), ...leaves.keys()],
    });
    for (const u of last.newUpdates) (u.isLeaf ? leaves : installed).set(u.id, u);
    if (!last.truncated && last.newUpdates.every((u) => u.isLeaf)) break;
  }
  return { installed, leaves, last: last! };
}

const updateIdOf = (u: UpdateInfoOut): string =>
  /UpdateIdentity UpdateID="([^"]+)"/.exec(u.xml)![1]!.toLowerCase();

void test('an approval made with the CLI is what the next client scan receives (SQLite)', async (t) => {
  const h = await startHarness(t, 'sqlite', {
    seed: async ({ handle, repos }) => {
      await seedGeneration(handle, [
        syntheticRevision({ updateId: product, type: 'Category', title: 'Product' }),
        syntheticRevision({ updateId: detectoid, type: 'Detectoid' }),
        syntheticRevision({
          updateId: target,
          type: 'Software',
          prerequisites: [[detectoid]],
          categoryPrerequisites: [product],
        }),
        syntheticRevision({
          updateId: other,
          type: 'Software',
          prerequisites: [[detectoid]],
          categoryPrerequisites: [product],
        }),
      ]);
      await repos.groups.create({ name: 'Ring 1' });
    },
  });
  const env = {
    PATCHBAY_DATABASE_DRIVER: 'sqlite',
    PATCHBAY_DATABASE_PATH: join(h.dir, 'patchbay.db'),
    PATCHBAY_SERVER_DATA_DIR: h.dir,
  };
  const clientId = randomUUID();
  const c = new WuspClient(h, clientId);
  await c.handshake();
  await c.register();
  // The operator puts the computer in Ring 1; its next authorization cookie carries the group.
  const add = await runCliProcess(['groups', 'add-computer', 'Ring 1', clientId, '--json'], {
    cwd: h.dir,
    env,
  });
  assert.equal(add.code, 0, add.stderr);
  await c.handshake();

  const first = await scan(c);
  const byUpdate = (m: Map<number, UpdateInfoOut>) => new Map([...m.values()].map((u) => [updateIdOf(u), u]));
  const firstLeaves = byUpdate(first.leaves);
  assert.equal(firstLeaves.get(target)?.action, 'PreDeploymentCheck');
  assert.equal(firstLeaves.get(other)?.action, 'PreDeploymentCheck');

  const approve = await runCliProcess(['approve', target, '--group', 'Ring 1', '--json'], {
    cwd: h.dir,
    env,
  });
  assert.equal(approve.code, 0, approve.stderr);
  assert.deepEqual(
    (JSON.parse(approve.stdout) as { changes: { updateId: string; action: string }[] }).changes.map((x) => [
      x.updateId,
      x.action,
    ]),
    [[target, 'install']],
  );

  // The same client, with its cache: the change arrives in ChangedUpdates as Install; the other stays unapproved.
  const again = await c.sync({ installed: [...first.installed.keys()], other: [...first.leaves.keys()] });
  const changed = new Map(again.changed.map((u) => [updateIdOf(u), u]));
  assert.equal(
    changed.get(target)?.action,
    'Install',
    JSON.stringify(again.changed.map((u) => [updateIdOf(u), u.action])),
  );
  assert.equal(changed.has(other), false);

  // A fresh client in the same group receives it as Install in NewUpdates.
  const fresh = new WuspClient(h, randomUUID(), 'pc2.example.test');
  await fresh.handshake();
  await fresh.register();
  const add2 = await runCliProcess(['groups', 'add-computer', 'Ring 1', fresh.clientId], { cwd: h.dir, env });
  assert.equal(add2.code, 0, add2.stderr);
  await fresh.handshake();
  const second = byUpdate((await scan(fresh)).leaves);
  assert.equal(second.get(target)?.action, 'Install');
  assert.equal(second.get(other)?.action, 'PreDeploymentCheck');
});
