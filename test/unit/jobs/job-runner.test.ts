/**
 * The REST API's job runner on a real SQLite database (the `jobs` table of migration 0018): an exclusive kind
 * runs once (a second start is 409 naming the first), progress reaches the table, a failure keeps its typed
 * code, a job whose node stopped beating is failed by the next reader, and finished jobs past the retention
 * are deleted by the next start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError, isAppError } from '../../../src/errors.js';
import { JobRunner } from '../../../src/jobs/index.js';
import { createRepositories, migrateToLatest, openDatabase } from '../../../src/storage/index.js';

async function openJobs(t: { after: (fn: () => unknown) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'pb-jobs-'));
  const db = openDatabase({ driver: 'sqlite', path: join(dir, 'jobs.db') });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(db);
  return createRepositories(db).jobs;
}

const until = async (f: () => Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await f()); i++) await new Promise((r) => setTimeout(r, 10));
};

void test('an exclusive job runs once, reports progress, and keeps the typed error of a failure', async (t) => {
  const store = await openJobs(t);
  const runner = new JobRunner({ store, nodeId: 'node-a', progressEveryMs: 0 });
  t.after(() => runner.close());
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = await runner.start(
    'sync',
    'api:admin',
    async ({ progress }) => {
      progress({ done: 3, total: 10, phase: 'updates' });
      await gate;
      return { outcome: 'succeeded' };
    },
    { exclusive: true },
  );
  await until(async () => (await runner.get(first.id)).progress.done === 3);
  assert.deepEqual((await runner.get(first.id)).progress, { done: 3, total: 10, phase: 'updates' });
  await assert.rejects(
    runner.start('sync', 'api:other', () => Promise.resolve(null), { exclusive: true }),
    (e: unknown) => isAppError(e) && e.code === 'PB_ERR_SYNC_BUSY' && e.detail?.jobId === first.id,
  );
  release();
  await until(async () => (await runner.get(first.id)).state === 'succeeded');
  const done = await runner.get(first.id);
  assert.deepEqual(done.result, { outcome: 'succeeded' });
  assert.equal(done.progress.phase, 'done');

  const failing = await runner.start(
    'sync',
    'api:admin',
    () => {
      throw new AppError('PB_ERR_UPSTREAM_UNAVAILABLE', 'upstream down');
    },
    { exclusive: true },
  );
  await until(async () => (await runner.get(failing.id)).state === 'failed');
  assert.deepEqual((await runner.get(failing.id)).error, {
    code: 'PB_ERR_UPSTREAM_UNAVAILABLE',
    message: 'upstream down',
  });
});

void test('a job whose node stopped beating is failed by a reader; finished jobs past the retention go', async (t) => {
  const store = await openJobs(t);
  let now = 1_000_000;
  // The node that "died": its job row stays running, no heartbeat after now.
  await store.insert(
    {
      jobId: 'a0000000-0000-4000-8000-000000000001',
      kind: 'sync',
      exclusiveKey: 'sync',
      createdBy: 'api:x',
      nodeId: 'node-dead',
    },
    now,
  );
  const reader = new JobRunner({
    store,
    nodeId: 'node-b',
    silentAfterMs: 60_000,
    retentionMs: 3_600_000,
    now: () => now,
  });
  t.after(() => reader.close());
  assert.equal((await reader.get('a0000000-0000-4000-8000-000000000001')).state, 'queued');
  now += 61_000;
  const dead = await reader.get('a0000000-0000-4000-8000-000000000001');
  assert.equal(dead.state, 'failed');
  assert.match(dead.error!.message, /stopped reporting/);
  // Its key is free again: a new sync starts.
  const next = await reader.start('sync', 'api:x', () => Promise.resolve(null), { exclusive: true });
  await until(async () => (await reader.get(next.id)).state === 'succeeded');
  now += 3_600_001;
  await reader.start('content-verify', 'api:x', () => Promise.resolve(null));
  await assert.rejects(reader.get(next.id), (e: unknown) => isAppError(e) && e.code === 'PB_ERR_NOT_FOUND');
});
