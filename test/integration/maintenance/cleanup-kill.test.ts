/**
 * Crash safety of `patchbay cleanup` on both databases: the CLI runs as a child process and is killed with
 * SIGKILL inside the files step, after its database transaction committed and before the objects are deleted
 * (the PATCHBAY_TEST_CLEANUP_PAUSE hook). Then no row says "verified" for a missing object and every stored
 * object the database no longer counts as verified is in the journal. What finishes the deletions: the next
 * `patchbay cleanup`, even one limited to other steps (--only), and `serve`, before it serves. The other
 * steps delete in batches of one transaction each; the one whose batches change meaning mid-way, the generation
 * pruning, is killed between two of them too.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test, type TestContext } from 'node:test';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { startPatchbay } from '../../../src/main.js';
import { createLogger } from '../../../src/observability/index.js';
import { FsContentStore, createRepositories } from '../../../src/storage/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { freePort, runCliProcess, startCliProcess } from '../../helpers/cli.js';
import { seedScenario, sha1Of, type Scenario } from './cleanup-scenario.js';

after(stopAdminPostgres);

/** A scenario whose cleanup was killed between the files step's commit and its object deletions. */
async function killedMidRun(t: TestContext, driver: Driver) {
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

  /** After whatever finished the journal: it is empty, store and database agree, the kept files stay. */
  const assertFinished = async (s: Scenario) => {
    assert.deepEqual(await repos.cleanup.journal(100), []);
    const storedAfter = await storedNow();
    assert.deepEqual([...storedAfter].sort(), [...(await verifiedNow())].sort(), 'store and database agree');
    for (const n of ['f2b', 'f4', 'f7']) assert.ok(storedAfter.has(sha1Of(s.files.get(n)!)), `${n} is kept`);
  };
  return { db, env, s, journal, assertFinished };
}

type Report = { steps: { step: string; skipped?: string; items: { id: string; detail: string }[] }[] };
const finishedIds = (r: Report) =>
  r.steps
    .filter((x) => x.step === 'files')
    .flatMap((x) => x.items)
    .filter((i) => i.detail === 'finishing an interrupted cleanup')
    .map((i) => i.id)
    .sort();

/** Kills `patchbay cleanup` right after the first committed batch of `step`. */
async function killAt(step: string, dir: string, env: Record<string, string>): Promise<void> {
  let paused!: () => void;
  const atPause = new Promise<void>((resolve) => (paused = resolve));
  const child = startCliProcess(['cleanup'], {
    cwd: dir,
    env: { ...env, PATCHBAY_TEST_CLEANUP_PAUSE: step },
    timeoutMs: 90_000,
    onStderr: (e) => {
      if (e.includes(`cleanup paused at ${step}`)) paused();
    },
  });
  await Promise.race([atPause, child.done.then((r) => assert.fail(`ended first: ${r.stderr}`))]);
  process.kill(child.pid, 'SIGKILL');
  await child.done;
}

for (const driver of adminDrivers())
  void describe(`cleanup killed mid-run (${driver})`, () => {
    void test('kill -9 between two batches of the generation pruning: the half-pruned generation is never served again', async (t) => {
      const db = await openTestDatabase(t, driver);
      const contentDir = join(db.dir, 'content');
      const s = await seedScenario(db.handle, await FsContentStore.open(contentDir));
      const env = {
        ...db.env,
        PATCHBAY_SERVER_DATA_DIR: db.dir,
        PATCHBAY_CONTENT_DIR: contentDir,
        PATCHBAY_LOG_LEVEL: 'silent',
        PATCHBAY_MAINTENANCE_CLEANUP_KEEP_GENERATIONS: '1',
      };
      const repos = createRepositories(db.handle);
      // D is active; C is kept for rollback; B then A are pruned, newest first. The kill comes after B's first
      // transaction (no longer servable), before its members are deleted.
      await killAt('generations', db.dir, env);
      assert.equal((await repos.generations.get(s.gens.B))?.state, 'abandoned');
      assert.equal((await repos.generations.get(s.gens.A))?.state, 'retired', 'A is not reached yet');
      await assert.rejects(repos.generations.rollback({ to: s.gens.B }), /only a retired or rolled-back/);

      const next = await runCliProcess(['cleanup', '--json', '--only', 'generations'], {
        cwd: db.dir,
        env,
        timeoutMs: 90_000,
      });
      assert.equal(next.code, 0, next.stderr);
      const ids = (JSON.parse(next.stdout) as Report).steps
        .find((x) => x.step === 'generations')!
        .items.map((i) => i.id);
      assert.deepEqual(ids, [String(s.gens.B), String(s.gens.A)], 'the next run prunes both');
      assert.equal(await repos.generations.get(s.gens.B), undefined);
      assert.equal(await repos.generations.get(s.gens.A), undefined);
      assert.equal((await repos.generations.get(s.gens.C))?.state, 'retired', 'the kept one stays');
      await repos.generations.rollback({ to: s.gens.C });
    });

    void test('kill -9 between the database and the store leaves nothing half-deleted; the next run completes', async (t) => {
      const k = await killedMidRun(t, driver);
      // A run of other steps only still finishes the interrupted deletions first, and says so.
      const second = await runCliProcess(['cleanup', '--json', '--only', 'events'], {
        cwd: k.db.dir,
        env: k.env,
        timeoutMs: 90_000,
      });
      assert.equal(second.code, 0, second.stderr);
      const report = JSON.parse(second.stdout) as Report;
      assert.deepEqual(finishedIds(report), [...k.journal].sort(), 'the next run finishes the journal');
      assert.match(report.steps.find((x) => x.step === 'files')!.skipped ?? '', /interrupted cleanup/);
      await k.assertFinished(k.s);
    });

    void test('serve finishes an interrupted cleanup before serving, and logs it', async (t) => {
      const k = await killedMidRun(t, driver);
      const lines: string[] = [];
      const logger = createLogger({
        level: 'info',
        format: 'json',
        destination: new Writable({
          write: (c: Buffer, _e, cb) => {
            lines.push(c.toString());
            cb();
          },
        }),
      });
      const config = await loadConfigOrThrow({
        env: {
          ...k.env,
          PATCHBAY_SERVER_BIND: '127.0.0.1',
          PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
          PATCHBAY_ADMIN_BIND: '127.0.0.1',
          PATCHBAY_ADMIN_PORT: String(await freePort()),
          PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
          PATCHBAY_MAINTENANCE_CLEANUPS_PER_DAY: '0',
        },
      });
      const server = await startPatchbay(config, logger);
      t.after(() => server.close());
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; files?: number });
      const line = logged.find((l) => l.msg.startsWith('finished an interrupted cleanup'));
      assert.ok(line, `logged: ${logged.map((l) => l.msg).join(' | ')}`);
      assert.equal(line.files, k.journal.size);
      const listening = logged.findIndex((l) => l.msg.endsWith('server listening'));
      assert.ok(logged.indexOf(line) < listening, 'before serving');
      await k.assertFinished(k.s);
    });
  });
