/**
 * The downstream registry contract (migration 0010), run on SQLite and PostgreSQL: one row per server id,
 * the max_downstreams cap on new ids only, the session and sync stamps, removal.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { DownstreamServerRepository, type DbHandle } from '../../../src/storage/index.js';

export type MakeDb = (t: TestContext) => Promise<DbHandle>;

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const auth = (n: number, at: number, name = `dss${n}.example.com`) => ({
  serverId: id(n),
  name,
  address: '192.0.2.7',
  userAgent: 'Windows-Update-Agent',
  at,
});

export function runDownstreamServerContract(name: string, makeDb: MakeDb): void {
  void describe(`downstream server registry on ${name}`, () => {
    void test('one row per server id: a re-authorization updates it, first seen stays', async (t) => {
      const repo = new DownstreamServerRepository((await makeDb(t)).db);
      assert.equal(await repo.recordAuth(auth(1, 1000), 10), true);
      assert.equal(
        await repo.recordAuth({ ...auth(1, 2000, 'renamed.example.com'), address: undefined }, 10),
        true,
      );
      const rows = await repo.list();
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0], {
        serverId: id(1),
        name: 'renamed.example.com',
        address: null,
        userAgent: 'Windows-Update-Agent',
        protocolVersion: null,
        firstSeenAt: 1000,
        lastAuthAt: 2000,
        lastSyncAt: null,
        syncCalls: 0,
        computers: 0,
        lastRollupAt: null,
      });
    });

    void test('the cap refuses new ids only; removal makes room', async (t) => {
      const repo = new DownstreamServerRepository((await makeDb(t)).db);
      for (let i = 1; i <= 3; i++) assert.equal(await repo.recordAuth(auth(i, i), 3), true);
      assert.equal(await repo.recordAuth(auth(4, 10), 3), false, 'a fourth id is refused');
      assert.equal(await repo.get(id(4)), undefined);
      assert.equal(await repo.recordAuth(auth(2, 11), 3), true, 'a known id always passes');
      assert.equal((await repo.get(id(2)))?.lastAuthAt, 11);
      for (let i = 5; i < 50; i++) await repo.recordAuth(auth(i, i), 3);
      assert.equal((await repo.list()).length, 3, 'a flood does not grow the table');
      assert.equal(await repo.remove(id(1)), true);
      assert.equal(await repo.remove(id(1)), false);
      assert.equal(await repo.recordAuth(auth(4, 12), 3), true);
      assert.deepEqual(
        (await repo.list()).map((r) => r.serverId),
        [id(2), id(3), id(4)],
      );
    });

    void test('session and sync stamps; unknown ids change nothing', async (t) => {
      const repo = new DownstreamServerRepository((await makeDb(t)).db);
      await repo.recordAuth(auth(1, 1000), 10);
      await repo.recordSession(id(1), '1.20', 1100);
      await repo.recordSync(id(1), 1200);
      await repo.recordSync(id(1), 1300);
      await repo.recordSync(id(9), 1300);
      const r = await repo.get(id(1));
      assert.equal(r?.protocolVersion, '1.20');
      assert.equal(r?.lastAuthAt, 1100);
      assert.equal(r?.lastSyncAt, 1300);
      assert.equal(r?.syncCalls, 2);
      assert.equal(await repo.get(id(9)), undefined);
    });
  });
}
