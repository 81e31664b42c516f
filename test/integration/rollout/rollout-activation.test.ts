/**
 * The sync side of ringed catalog changes and the cluster on both databases: with rings stored by
 * `patchbay rings`, a changed catalog starts a rollout in ring 0 instead of being activated; one rollout at a
 * time (a later change waits, the same catalog is no change); the catalog of an aborted rollout is not rolled
 * out again unchanged; `catalog rollback` ends a rollout; with no rings the catalog is activated as before.
 * On PostgreSQL, two nodes stepping the same rollout at once promote it exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { activateMembers } from '../../../src/sync/engine/activate-generation.js';
import { syncStoresOf } from '../../../src/sync/engine/sync-stores.js';
import type { SyncRunContext } from '../../../src/sync/engine/sync-context.js';
import {
  createCatalogRolloutService,
  storedCatalogRings,
  type StepOutcome,
} from '../../../src/sync/index.js';
import {
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../../../src/storage/index.js';
import { seedGeneration, syntheticRevision } from '../../helpers/seed-catalog.js';
import { startPostgresCluster } from '../../helpers/postgres.js';
import { dialects, openTestDatabase, postgresSkip, silentLogger } from '../client-service/harness.js';

const admin = { via: 'cli' as const, name: 'tester' };
const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
type Members = Map<number, { isLeaf: boolean; isBundleMember: boolean }>;

async function seeded(handle: DbHandle, withRings: boolean) {
  const a = await seedGeneration(
    handle,
    [1, 2, 3].map((n) => syntheticRevision({ updateId: id(n), type: 'Software' })),
  );
  const repos = createRepositories(handle);
  const extra = await repos.revisions.upsertMany(
    [4, 5].map((n) => syntheticRevision({ updateId: id(n), type: 'Software' })),
  );
  if (withRings) {
    const s = createAdminServices(handle);
    for (const name of ['pilot', 'broad', 'rest']) {
      const g = await s.groups.create({ name }, admin);
      // The repository, not RingsService.create: the rings service's own tests cover it.
      await repos.rings.create({
        name,
        groupIds: [g.groupId],
        soakMs: 86_400_000,
        minReported: 0,
        maxFailurePercent: 5,
        maxFaultPercent: 10,
        maxUninstalls: 0,
      });
    }
  }
  const members = (ids: readonly number[]): Members =>
    new Map(ids.map((r) => [r, { isLeaf: false, isBundleMember: false }]));
  return { a, repos, base: [...a.ids.values()], extra, members };
}

function contextOf(handle: DbHandle, runId: number): SyncRunContext {
  const { stores, transaction } = syncStoresOf(handle);
  return {
    stores,
    transaction,
    options: { upstreamUrl: 'http://unused.invalid', rings: storedCatalogRings(handle) },
    log: silentLogger,
    now: () => Date.now(),
    runId,
  } as unknown as SyncRunContext;
}

async function sqliteOrPg(t: TestContext, dialect: 'sqlite' | 'postgres'): Promise<DbHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-ro-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return openTestDatabase(t, dialect, dir);
}

for (const { dialect, skip } of dialects) {
  void describe(`a sync with rings starts a rollout (${dialect})`, { skip }, () => {
    void test('ring 0 first; one rollout at a time; an aborted catalog is not rolled out again; rollback ends it', async (t) => {
      const handle = await sqliteOrPg(t, dialect);
      const { a, repos, base, extra, members } = await seeded(handle, true);
      const ctx = contextOf(handle, 1);

      const b = await activateMembers(ctx, members([...base, extra[0]!]));
      assert.equal(b.generationId, a.generationId, 'the active generation is unchanged');
      assert.ok(b.rollout !== undefined && /served to ring 0 first/.test(b.note ?? ''));
      assert.equal((await repos.generations.get(b.rollout.generationId))?.state, 'rollout');
      assert.equal((await repos.catalogRollouts.current())?.ringIndex, 0);
      // The same catalog again: nothing to do, nothing noted.
      assert.deepEqual(await activateMembers(ctx, members([...base, extra[0]!])), {
        generationId: a.generationId,
        changed: false,
      });
      // Another change waits for the rollout.
      const c = await activateMembers(ctx, members([...base, ...extra]));
      assert.match(c.note ?? '', /is rolling out \(soaking in ring 0\)/);
      assert.equal(c.rollout, undefined);

      // Aborted: the same catalog is not rolled out to ring 0 again; a different one is.
      await createCatalogRolloutService(handle, {
        rings: storedCatalogRings(handle),
        logger: silentLogger,
      }).abort('tester', undefined);
      const again = await activateMembers(ctx, members([...base, extra[0]!]));
      assert.match(again.note ?? '', /the same catalog as generation \d+, whose rollout was aborted/);
      const d = await activateMembers(ctx, members([...base, ...extra]));
      assert.ok(d.rollout !== undefined);

      // `catalog rollback` ends the rollout too: every ring gets the rolled-back-to generation.
      const back = await repos.generations.rollback({ to: a.generationId, pinnedBy: 'tester' });
      assert.equal(back.active.generationId, a.generationId);
      assert.equal(await repos.catalogRollouts.current(), undefined);
      assert.equal((await repos.catalogRollouts.latest())?.heldReason, 'catalog rollback');
      assert.equal((await repos.generations.get(d.rollout.generationId))?.state, 'rolled_back');
    });

    void test('with no rings a changed catalog is activated for everyone, as before', async (t) => {
      const handle = await sqliteOrPg(t, dialect);
      const { a, repos, base, extra, members } = await seeded(handle, false);
      const r = await activateMembers(contextOf(handle, 1), members([...base, extra[0]!]));
      assert.equal(r.changed, true);
      assert.notEqual(r.generationId, a.generationId);
      assert.equal((await repos.generations.getActive())?.generationId, r.generationId);
      assert.equal(await repos.catalogRollouts.latest(), undefined);
    });
  });
}

void describe('two nodes on one PostgreSQL', { skip: postgresSkip }, () => {
  void test('stepping the same rollout at once promotes it exactly once', async (t) => {
    const cluster = await startPostgresCluster();
    t.after(() => cluster.stop());
    const url = await cluster.createDatabase({ name: 'pb_two_nodes' });
    const nodes = [openDatabase({ driver: 'postgres', connectionString: url, poolSize: 4 })];
    t.after(() => Promise.all(nodes.map((n) => n.close())));
    await migrateToLatest(nodes[0]!);
    nodes.push(openDatabase({ driver: 'postgres', connectionString: url, poolSize: 4 }));
    const { base, extra, members } = await seeded(nodes[0]!, true);
    const started = await activateMembers(contextOf(nodes[0]!, 1), members([...base, extra[0]!]));
    const rollout = await createRepositories(nodes[0]!).catalogRollouts.current();
    assert.ok(started.rollout !== undefined && rollout !== undefined);

    const services = nodes.map((n) =>
      createCatalogRolloutService(n, { rings: storedCatalogRings(n), logger: silentLogger }),
    );
    const after = rollout.ringEnteredAt + 86_400_000;
    const outcomes: StepOutcome[] = [];
    for (let round = 0; round < 5; round++)
      outcomes.push(...(await Promise.all(services.flatMap((s) => [s.step(after), s.step(after)]))));
    const promoted = outcomes.filter((o) => o.kind === 'promoted');
    assert.equal(promoted.length, 1, outcomes.map((o) => o.kind).join());
    const now = await createRepositories(nodes[1]!).catalogRollouts.current();
    assert.deepEqual([now?.state, now?.ringIndex], ['soaking', 1]);
  });
});
