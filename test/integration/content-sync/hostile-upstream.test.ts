/**
 * Issue 10 item 1: no upstream behaviour ends the process. The downloader against a content upstream that
 * answers overlong, endless, truncated, reset mid-body, with a wrong digest, slow-dripping, redirect loops and
 * garbage headers: every file fails with its typed error, the good one is stored, and the run ends `partial`
 * with the failures in its history entry, on SQLite and PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { insertFiles, readStored, stateOf } from './content-fixtures.js';
import { expectedCode, hostilities, startHostileUpstream } from './hostile-content-upstream.js';
import {
  createRepositories,
  downloadContent,
  FsContentStore,
  migrateToLatest,
  openDatabase,
  UpstreamTransport,
  type DbHandle,
} from './imports.js';

const pgSkip = postgresSkipReason();
const pg = pgSkip === undefined ? migratedPostgresDatabases() : undefined;

/** Short limits so each behaviour ends in well under a second per attempt. */
export function hostileTestTransport(): UpstreamTransport {
  return new UpstreamTransport({
    proxy: { mode: 'none' },
    retry: { maxAttempts: 1 },
    breaker: { failureThreshold: 1000 },
    timeouts: { headersMs: 2_000, bodyIdleMs: 2_000, minRate: { bytes: 1024, windowMs: 300 } },
  });
}

async function hostileRun(t: import('node:test').TestContext, db: DbHandle): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-hostile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await FsContentStore.open(join(dir, 'content'));
  const up = await startHostileUpstream();
  t.after(() => up.close());
  const transport = hostileTestTransport();
  t.after(() => transport.close());
  await insertFiles(db, [...up.files.values()]);

  const result = await downloadContent(
    { db, store, transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', attemptsPerRun: 2, retryBaseMs: 5, retryMaxMs: 10 },
  );

  assert.equal(result.filesDownloaded, 1, 'the good file is stored despite its neighbours');
  assert.equal(result.filesFailed, hostilities.length);
  const good = up.files.get('good')!;
  assert.deepEqual(await readStored(store, good), good.bytes);
  for (const h of hostilities) {
    const f = up.files.get(h)!;
    const row = await stateOf(db, f);
    assert.equal(row.content_state, 'failed', h);
    assert.match(row.last_error ?? '', new RegExp(`^${expectedCode[h]}: `), `${h}: ${row.last_error}`);
    assert.ok((up.hits.get(h) ?? 0) >= 1, `${h} was asked for`);
    assert.equal(await store.has(f.sha1), false, `${h}: nothing stored`);
  }

  // The run ended, and its history entry names every failed file with its typed error.
  const [run] = await createRepositories(db).syncRuns.list(1);
  assert.ok(run);
  assert.equal(run.kind, 'content');
  assert.equal(run.outcome, 'partial');
  assert.notEqual(run.finishedAt, null);
  assert.ok(run.error, 'a partial run says why');
  assert.match(run.error.message, new RegExp(`^${hostilities.length} files failed to download \\(`));
  const listed = (run.error.detail as { failures: { sha1: string; code: string }[] }).failures;
  for (const h of hostilities) {
    const entry = listed.find((x) => x.sha1 === up.files.get(h)!.hex);
    assert.equal(entry?.code, expectedCode[h], h);
  }
}

void test('hostile content upstream on SQLite: each file fails typed, the run ends partial', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-hostile-db-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  t.after(() => db.close());
  await migrateToLatest(db);
  await hostileRun(t, db);
});

void test(
  'hostile content upstream on PostgreSQL: each file fails typed, the run ends partial',
  { skip: pgSkip },
  async (t) => {
    await hostileRun(t, await pg!.open(t));
  },
);
