/**
 * `catalog rollback` holds (issue 10 item 11): real `patchbay` processes against the catalog-mode fake
 * upstream, on SQLite and PostgreSQL. After a rollback the next sync still runs and imports the upstream's
 * new revision, but clients keep the pinned generation and history says why; after `catalog unpin` the next
 * sync activates. The dry run lists what clients would lose.
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/storage/index.js';
import { runCliProcess, type CliResult } from '../../helpers/cli.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { databaseTarget, pgSkip, stopPostgres, type DbKind } from '../sync/harness.js';
import { writeSyncIni } from './sync-cli-setup.js';

const json = <T>(r: CliResult): T => {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
};

function pinScenario(kind: DbKind): void {
  void test(`[${kind}] catalog rollback pins: syncs run but do not activate until catalog unpin`, async (t: TestContext) => {
    const target = await databaseTarget(t, kind);
    const dir = await mkdtemp(join(tmpdir(), 'pb-pin-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const up = await startCatalogUpstream({ entries: buildRealCatalog().entries });
    t.after(() => up.close());
    await writeSyncIni(dir, target, up.serverSyncUrl);
    const cli = (...args: string[]) => runCliProcess(args, { cwd: dir, timeoutMs: 60_000 });
    const publish = (n: number) => {
      const u = `b1000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      up.put({
        identity: { updateId: u, revisionNumber: 100 },
        text: syntheticDocument(u, 100, {
          categoryClauses: [[ids.defender], [ids.definitionUpdates]],
          title: `SYNTHETIC (test) pinned update ${n}`,
        }),
        listed: true,
      });
      return u;
    };
    /** Whether the active generation (what clients are served) holds a revision of `updateId`. */
    const served = async (updateId: string) => {
      const db = openDatabase(target);
      try {
        const row = await db.db
          .selectFrom('generation_members as gm')
          .innerJoin('catalog_generations as g', 'g.generation_id', 'gm.generation_id')
          .innerJoin('revisions as r', 'r.revision_id', 'gm.revision_id')
          .select('r.update_id')
          .where('g.state', '=', 'active')
          .where('r.update_id', '=', updateId)
          .executeTakeFirst();
        return row !== undefined;
      } finally {
        await db.close();
      }
    };

    assert.equal((await cli('sync', '--no-content')).code, 0);
    const first = publish(1);
    assert.equal(
      json<{ sync: { generationId: number } }>(await cli('sync', '--no-content', '--json')).sync.generationId,
      2,
    );

    // The dry run says what clients would lose, and changes nothing.
    const dry = json<{
      fromGenerationId: number;
      toGenerationId: number;
      removed: { updateId: string }[];
      added: unknown[];
    }>(await cli('catalog', 'rollback', '--dry-run', '--json'));
    assert.deepEqual([dry.fromGenerationId, dry.toGenerationId], [2, 1]);
    assert.deepEqual(
      dry.removed.map((u) => u.updateId),
      [first],
    );
    assert.deepEqual(dry.added, []);
    const dryText = await cli('catalog', 'rollback', '--dry-run');
    assert.match(
      dryText.stdout,
      /^removed\s+b1000000-0000-4000-8000-000000000001\s+100\s+Software\s+SYNTHETIC \(test\) pinned update 1$/m,
    );
    assert.match(dryText.stdout, /dry run: nothing changed/);
    assert.equal(await served(first), true);

    const rollback = await cli('catalog', 'rollback');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /generation 1 is active again .* and pinned/);
    assert.equal(await served(first), false);

    // The nightly sync: it runs and imports the new revision, but clients keep generation 1.
    const second = publish(2);
    const pinnedSync = await cli('sync', '--no-content');
    assert.equal(pinnedSync.code, 0, pinnedSync.stderr);
    assert.match(pinnedSync.stdout, /revisions imported\s+1$/m);
    assert.match(
      pinnedSync.stdout,
      /catalog generation\s+1 \(unchanged\): not activated: catalog pinned to generation 1/,
    );
    assert.equal(await served(first), false);
    assert.equal(await served(second), false);
    const history = json<{ kind: string; outcome: string; generationId: number; note: string | null }[]>(
      await cli('sync', 'history', '--json'),
    );
    assert.deepEqual(
      [history[0]!.kind, history[0]!.outcome, history[0]!.generationId],
      ['metadata', 'succeeded', 1],
    );
    assert.match(
      history[0]!.note ?? '',
      /^not activated: catalog pinned to generation 1 \(2 revisions added/,
    );
    assert.match((await cli('sync', 'history')).stdout, /not activated: catalog pinned to generation 1/);
    assert.match((await cli('sync', 'status')).stdout, /^catalog pinned\s+to generation 1 since /m);
    const status = json<{ active: { generationId: number }; pin: { generationId: number } | null }>(
      await cli('catalog', 'status', '--json'),
    );
    assert.deepEqual([status.active.generationId, status.pin?.generationId], [1, 1]);
    assert.match((await cli('catalog', 'status')).stdout, /^pinned\s+to generation 1 since/m);

    const unpin = await cli('catalog', 'unpin');
    assert.match(unpin.stdout, /unpinned generation 1/);
    assert.match((await cli('catalog', 'unpin')).stdout, /the catalog is not pinned/);
    const resumed = json<{ sync: { generationId: number; generationChanged: boolean; note: string | null } }>(
      await cli('sync', '--no-content', '--json'),
    );
    assert.deepEqual([resumed.sync.generationChanged, resumed.sync.note], [true, null]);
    assert.equal(await served(first), true);
    assert.equal(await served(second), true);

    // --to names a generation; an unknown one is an error, not a silent no-op.
    const bad = await cli('catalog', 'rollback', '--to', '99');
    assert.equal(bad.code, 66, bad.stderr);
    assert.match(bad.stderr, /PB_ERR_NOT_FOUND: catalog generation 99 does not exist/);
    const usage = await cli('catalog', 'rollback', '--to', 'two');
    assert.equal(usage.code, 64, usage.stderr);
  });
}

pinScenario('sqlite');
if (pgSkip !== undefined) void describe('catalog pin on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  pinScenario('postgres');
}
