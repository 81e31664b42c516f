/**
 * Crash safety of `patchbay cleanup` on both databases: the CLI runs as a child process and is killed with
 * SIGKILL inside the files step, after its database transaction committed and before the objects are deleted
 * (the PATCHBAY_TEST_CLEANUP_PAUSE hook). Then no row says "verified" for a missing object and every stored
 * object the database no longer counts as verified is in the journal; the next run finishes the deletions
 * ("finishing an interrupted cleanup") and leaves store and database in agreement.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FsContentStore, createRepositories } from '../../../src/storage/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { runCliProcess, startCliProcess } from '../../helpers/cli.js';
import { seedScenario, sha1Of } from './cleanup-scenario.js';

after(stopAdminPostgres);

for (const driver of adminDrivers())
  void describe(`cleanup killed mid-run (${driver})`, () => {
    void test('kill -9 between the database and the store leaves nothing half-deleted; the next run completes', async (t) => {
      const db = await openTestDatabase(t, driver);
      const contentDir = join(db.dir, 'content');
      const store = await FsContentStore.open(contentDir);
      const s = await seedScenario(db.handle, store);
      const env = {
        ...db.env,
        PATCHBAY_SERVER_DATA_DIR: db.dir,
        PATCHBAY_CONTENT_DIR: contentDir,
        PATCHBAY_LOG_LEVEL: 'silent',
        PATCHBAY_MAINTENANCE_CLEANUP_KEEP_GENERATIONS: '1',
      };
      const repos = createRepositories(db.handle);
      const storedNow = async () => {
        const out = new Set<string>();
        for await (const x of store.list()) out.add(x.toLowerCase());
        return out;
      };
      const verifiedNow = async () =>
        new Set((await repos.contentState.verifiedSha1s()).map((b) => b.toString('hex')));

      let paused!: () => void;
      const atPause = new Promise<void>((resolve) => (paused = resolve));
      const child = startCliProcess(['cleanup'], {
        cwd: db.dir,
        env: { ...env, PATCHBAY_TEST_CLEANUP_PAUSE: 'files' },
        timeoutMs: 90_000,
        onStderr: (e) => {
          if (e.includes('cleanup paused at files')) paused();
        },
      });
      await Promise.race([atPause, child.done.then((r) => assert.fail(`ended first: ${r.stderr}`))]);
      process.kill(child.pid, 'SIGKILL');
      await child.done;

      // Database first: the rows no longer say verified; the objects are still there, each in the journal.
      const journal = new Set((await repos.cleanup.journal(100)).map((j) => j.sha1.toString('hex')));
      const stored = await storedNow();
      const verified = await verifiedNow();
      assert.ok(journal.size > 0, 'the kill came between the transaction and the deletions');
      for (const v of verified) assert.ok(stored.has(v), `verified ${v} is stored`);
      for (const x of stored)
        assert.ok(verified.has(x) || journal.has(x), `stored ${x} is verified or journaled`);

      const second = await runCliProcess(['cleanup', '--json'], { cwd: db.dir, env, timeoutMs: 90_000 });
      assert.equal(second.code, 0, second.stderr);
      const report = JSON.parse(second.stdout) as {
        steps: { step: string; items: { id: string; detail: string }[] }[];
      };
      const files = report.steps.find((x) => x.step === 'files')!;
      const finished = files.items
        .filter((i) => i.detail === 'finishing an interrupted cleanup')
        .map((i) => i.id);
      assert.deepEqual(finished.sort(), [...journal].sort(), 'the next run finishes the journal');
      assert.deepEqual(await repos.cleanup.journal(100), []);
      const storedAfter = await storedNow();
      assert.deepEqual(
        [...storedAfter].sort(),
        [...(await verifiedNow())].sort(),
        'store and database agree',
      );
      for (const n of ['f2b', 'f4', 'f7'])
        assert.ok(storedAfter.has(sha1Of(s.files.get(n)!)), `${n} is kept`);
    });
  });
