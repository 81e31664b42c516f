/**
 * The connector-state repository contract, run on SQLite and PostgreSQL: the watermark and the run counter
 * move together, only through commitRun, and only from the counter a run started with.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { ConnectorStateRepository, type DbHandle } from '../../../src/storage/index.js';

export type MakeDb = (t: TestContext) => Promise<DbHandle>;

export function runConnectorStateContract(name: string, makeDb: MakeDb): void {
  void describe(`connector state repository on ${name}`, () => {
    void test('a new stream has no state; the first commit creates it', async (t) => {
      const h = await makeDb(t);
      const repo = new ConnectorStateRepository(h.db);
      assert.equal(await repo.get('a:main/g1'), undefined);
      assert.equal(
        await repo.commitRun('a:main/g1', {
          expectedRuns: 0,
          watermark: '2024-01-01T00:00:00.000Z',
          itemsExported: 7,
          at: 1000,
        }),
        true,
      );
      const s = await repo.get('a:main/g1');
      assert.equal(s?.runs, 1);
      assert.equal(s?.watermark, '2024-01-01T00:00:00.000Z');
      assert.equal(s?.itemsExported, 7);
      assert.equal(s?.lastSuccessAt, 1000);
      assert.equal(s?.lastOutcome, 'succeeded');
    });

    void test('commits advance only from the expected run counter (compare and set)', async (t) => {
      const h = await makeDb(t);
      const repo = new ConnectorStateRepository(h.db);
      const key = 'a:main/Ünïcødé ☃';
      assert.ok(await repo.commitRun(key, { expectedRuns: 0, watermark: 'w1', itemsExported: 1, at: 1 }));
      // A second "first run" (a concurrent run that also started from 0) is refused.
      assert.equal(
        await repo.commitRun(key, { expectedRuns: 0, watermark: 'wX', itemsExported: 1, at: 2 }),
        false,
      );
      assert.equal(
        await repo.commitRun(key, { expectedRuns: 5, watermark: 'wX', itemsExported: 1, at: 2 }),
        false,
      );
      assert.ok(await repo.commitRun(key, { expectedRuns: 1, watermark: 'w2', itemsExported: 2, at: 3 }));
      const s = await repo.get(key);
      assert.equal(s?.runs, 2);
      assert.equal(s?.watermark, 'w2');
      assert.equal(s?.itemsExported, 3);
    });

    void test('failed attempts leave the watermark and the counter alone', async (t) => {
      const h = await makeDb(t);
      const repo = new ConnectorStateRepository(h.db);
      await repo.recordAttempt('k', { at: 5, outcome: 'failed', error: 'x'.repeat(5000), failed: true });
      let s = await repo.get('k');
      assert.equal(s?.runs, 0);
      assert.equal(s?.watermark, null);
      assert.equal(s?.failures, 1);
      assert.equal(s?.lastError?.length, 2000);
      // The first successful commit after failed attempts still starts from runs = 0.
      assert.ok(await repo.commitRun('k', { expectedRuns: 0, watermark: 'w1', itemsExported: 4, at: 6 }));
      await repo.recordAttempt('k', { at: 7, outcome: 'failed', error: 'boom', failed: true });
      await repo.recordAttempt('k', { at: 8, outcome: 'refused', failed: false });
      s = await repo.get('k');
      assert.equal(s?.runs, 1);
      assert.equal(s?.watermark, 'w1');
      assert.equal(s?.failures, 2);
      assert.equal(s?.lastOutcome, 'refused');
      assert.equal(s?.lastSuccessAt, 6);
      assert.equal(s?.lastRunAt, 8);
    });

    void test('a commit inside a rolled-back transaction leaves nothing behind', async (t) => {
      const h = await makeDb(t);
      await assert.rejects(
        h.transaction(async (trx) => {
          const repo = new ConnectorStateRepository(trx);
          await repo.commitRun('k', { expectedRuns: 0, watermark: 'w1', itemsExported: 1, at: 1 });
          throw new Error('rollback');
        }),
        /rollback/,
      );
      assert.equal(await new ConnectorStateRepository(h.db).get('k'), undefined);
    });

    void test('list filters by prefix, in name order', async (t) => {
      const h = await makeDb(t);
      const repo = new ConnectorStateRepository(h.db);
      for (const k of ['b:x/1', 'a:main/2', 'a:main/1', 'a:other/1'])
        await repo.commitRun(k, { expectedRuns: 0, watermark: 'w', itemsExported: 0, at: 1 });
      assert.deepEqual(
        (await repo.list('a:main/')).map((s) => s.connector),
        ['a:main/1', 'a:main/2'],
      );
      assert.equal((await repo.list()).length, 4);
    });
  });
}
