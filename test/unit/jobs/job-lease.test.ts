import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processHolder, settingsSlotLedger, withJobLease } from '../../../src/jobs/index.js';
import {
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../../../src/storage/index.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../../helpers/postgres.js';

type Open = (t: TestContext) => Promise<DbHandle>;

function leaseSuite(name: string, open: Open) {
  void describe(`job leases on ${name}`, () => {
    void test('two runners: one wins, the other is refused until the lease is released or expires', async (t) => {
      const db = await open(t);
      const leases = createRepositories(db).jobLeases;
      const t0 = 1_000_000;
      const [a, b] = await Promise.all([
        leases.acquire('job:sync', 'node-a', 60_000, t0),
        leases.acquire('job:sync', 'node-b', 60_000, t0),
      ]);
      assert.equal([a, b].filter((x) => x !== undefined).length, 1, 'exactly one concurrent acquire wins');
      const [winner, loser] = a !== undefined ? ['node-a', 'node-b'] : ['node-b', 'node-a'];
      const first = (a ?? b)!;
      assert.equal(first.fencingToken, 1);
      assert.equal(await leases.acquire('job:sync', loser, 60_000, t0 + 59_999), undefined);
      // Renewal by the holder keeps the token and moves the expiry.
      const renewed = await leases.acquire('job:sync', winner, 60_000, t0 + 30_000);
      assert.equal(renewed?.fencingToken, 1);
      assert.equal(renewed?.expiresAt, t0 + 90_000);
      assert.equal(await leases.acquire('job:sync', loser, 60_000, t0 + 89_999), undefined);
      // The holder crashed (no renewal): after expiry the other node takes over with a higher token.
      const taken = await leases.acquire('job:sync', loser, 60_000, t0 + 90_000);
      assert.equal(taken?.holder, loser);
      assert.equal(taken?.fencingToken, 2);
      // The crashed holder cannot release what it no longer holds.
      assert.equal(await leases.release('job:sync', winner), false);
      assert.equal(await leases.release('job:sync', loser), true);
      assert.equal((await leases.acquire('job:sync', winner, 60_000, t0 + 90_001))?.holder, winner);
      // Other job names are independent.
      assert.ok(await leases.acquire('job:content', loser, 60_000, t0 + 90_001));
    });

    void test('withJobLease: busy when held, released after the run, aborts when taken over', async (t) => {
      const db = await open(t);
      const leases = createRepositories(db).jobLeases;
      let fake = 5_000_000;
      const now = () => fake;
      const out = await withJobLease(
        leases,
        { name: 'job:x', holder: 'a', ttlMs: 1000, now },
        async (_s, l) => {
          await assert.rejects(
            withJobLease(leases, { name: 'job:x', holder: 'b', ttlMs: 1000, now }, () => Promise.resolve(1)),
            { code: 'PB_ERR_SYNC_BUSY' },
          );
          return l.fencingToken;
        },
      );
      assert.equal(out, 1);
      assert.equal(await leases.get('job:x'), undefined, 'released after the run');

      // Node a stalls past its expiry; node b takes the lease; a's next renewal notices and aborts its run.
      const reason = await withJobLease(
        leases,
        { name: 'job:y', holder: 'a', ttlMs: 1000, renewEveryMs: 20, now },
        async (signal) => {
          fake += 5000;
          assert.ok(await leases.acquire('job:y', 'b', 1000, fake));
          // The renewal timer is unref'd (it must not keep a process alive); this timer keeps the test's loop alive.
          await new Promise<void>((resolve, reject) => {
            const guard = setTimeout(() => reject(new Error('the lease loss was not noticed')), 5000);
            signal.addEventListener(
              'abort',
              () => {
                clearTimeout(guard);
                resolve();
              },
              { once: true },
            );
          });
          return (signal.reason as Error).message;
        },
      );
      assert.match(reason, /taken over/);
      assert.equal((await leases.get('job:y'))?.holder, 'b', 'the new holder keeps its lease');
    });

    void test('two runners in one process (one node id) do not share the lease', async (t) => {
      // serve runs the scheduled pipeline's content step beside the automatic download, both as this
      // process: with one holder the second acquire renewed the first's lease and both downloaded at once.
      const db = await open(t);
      const leases = createRepositories(db).jobLeases;
      const node = processHolder();
      const out = await withJobLease(
        leases,
        { name: 'content', holder: node, ttlMs: 60_000 },
        async (_s, l) => {
          await assert.rejects(
            withJobLease(leases, { name: 'content', holder: node, ttlMs: 60_000 }, () => Promise.resolve(2)),
            (e: Error & { code?: string }) => {
              assert.equal(e.code, 'PB_ERR_SYNC_BUSY');
              assert.match(e.message, new RegExp(`pid ${process.pid}, since`), 'names this process');
              return true;
            },
          );
          assert.equal((await leases.get('content'))?.fencingToken, l.fencingToken, 'the first keeps it');
          return 1;
        },
      );
      assert.equal(out, 1);
      assert.equal(await leases.get('content'), undefined, 'released by the run that held it');
    });

    void test('the slot ledger lives in settings and is shared by every node', async (t) => {
      const db = await open(t);
      const a = settingsSlotLedger(createRepositories(db).settings);
      const b = settingsSlotLedger(createRepositories(db).settings);
      assert.equal(await a.lastSlot('sync'), undefined);
      await a.markSlot('sync', 1234);
      assert.equal(await b.lastSlot('sync'), 1234);
      assert.equal(await b.lastSlot('other'), undefined);
    });
  });
}

leaseSuite('SQLite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-lease-'));
  const db = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(db);
  return db;
});

const skip = postgresSkipReason();
if (skip !== undefined) {
  void describe('job leases on PostgreSQL', { skip }, () => undefined);
} else {
  let cluster: Promise<PostgresCluster> | undefined;
  after(async () => {
    if (cluster !== undefined) (await cluster).stop();
  });
  leaseSuite('PostgreSQL', async (t) => {
    cluster ??= startPostgresCluster();
    const db = openDatabase({
      driver: 'postgres',
      connectionString: await (await cluster).createDatabase(),
      poolSize: 4,
    });
    t.after(() => db.close());
    await migrateToLatest(db);
    return db;
  });
}
