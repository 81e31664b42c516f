/**
 * The rings and rollouts contract (migration 0014), run on SQLite and PostgreSQL: dense ordered positions, a
 * group in at most one ring, conditional rollout transitions (exactly one of two racers wins), and the gate
 * figures counted over group membership with earlier rings excluded.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { createRepositories, type DbHandle } from '../../../src/storage/index.js';

export type MakeDb = (t: TestContext) => Promise<DbHandle>;

const gate = {
  soakMs: 3_600_000,
  minReported: 2,
  maxFailurePercent: 5,
  maxFaultPercent: 10,
  maxUninstalls: 0,
};
const cid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const uid = 'aaaaaaaa-0000-4000-8000-000000000001';
const code = (e: unknown) => (e instanceof AppError ? e.code : String(e));

async function groups(h: DbHandle, names: string[]) {
  const repos = createRepositories(h);
  const out: string[] = [];
  for (const name of names) out.push((await repos.groups.create({ name })).groupId);
  return out;
}

export function runRingContract(name: string, makeDb: MakeDb): void {
  void describe(`rings and rollouts on ${name}`, () => {
    void test('rings keep dense positions through insert, move and delete', async (t) => {
      const h = await makeDb(t);
      const { rings } = createRepositories(h);
      const [g1, g2, g3] = await groups(h, ['pilot', 'fast', 'broad']);
      const a = await rings.create({ name: 'a', groupIds: [g1!], ...gate }, 1000);
      const c = await rings.create({ name: 'c', groupIds: [g3!], ...gate }, 1000);
      const b = await rings.create({ name: 'b', groupIds: [g2!], ...gate, position: 1 }, 1000);
      assert.deepEqual(
        (await rings.list()).map((r) => [r.name, r.position]),
        [
          ['a', 0],
          ['b', 1],
          ['c', 2],
        ],
      );
      await rings.update(c.ringId, { position: 0, maxFailurePercent: 2.5 }, 2000);
      const moved = await rings.list();
      assert.deepEqual(
        moved.map((r) => [r.name, r.position]),
        [
          ['c', 0],
          ['a', 1],
          ['b', 2],
        ],
      );
      assert.equal(moved[0]!.maxFailurePercent, 2.5);
      assert.equal(moved[0]!.updatedAt, 2000);
      assert.equal(await rings.delete(a.ringId), true);
      assert.deepEqual(
        (await rings.list()).map((r) => [r.name, r.position, r.groupIds]),
        [
          ['c', 0, [g3]],
          ['b', 1, [g2]],
        ],
      );
      assert.equal(await rings.delete(a.ringId), false);
      assert.equal(b.position, 1);
      await assert.rejects(
        rings.update(b.ringId, { position: 5 }),
        (e) => code(e) === 'PB_ERR_INVALID_PARAMETER',
      );
    });

    void test('a group is in at most one ring, names are unique, and a ringed group cannot be deleted', async (t) => {
      const h = await makeDb(t);
      const repos = createRepositories(h);
      const [g1, g2] = await groups(h, ['pilot', 'broad']);
      const pilot = await repos.rings.create({ name: 'pilot', groupIds: [g1!], ...gate });
      await assert.rejects(
        repos.rings.create({ name: 'broad', groupIds: [g1!, g2!], ...gate }),
        (e) => code(e) === 'PB_ERR_CONFLICT' && /already in ring pilot/.test((e as Error).message),
      );
      await assert.rejects(
        repos.rings.create({ name: 'PILOT', groupIds: [g2!], ...gate }),
        (e) => code(e) === 'PB_ERR_CONFLICT',
      );
      await assert.rejects(
        repos.rings.create({ name: 'x', groupIds: [cid(9)], ...gate }),
        (e) => code(e) === 'PB_ERR_NOT_FOUND',
      );
      assert.equal((await repos.rings.list()).length, 1);
      // Replacing the set of its own groups is not a clash.
      await repos.rings.update(pilot.ringId, { groupIds: [g1!, g2!] });
      await assert.rejects(repos.groups.delete(g2!), (e) => code(e) === 'PB_ERR_CONFLICT');
      await repos.rings.update(pilot.ringId, { groupIds: [g1!] });
      await repos.groups.delete(g2!);
    });

    void test('a rollout transition applies once: the second racer on the same evaluation changes nothing', async (t) => {
      const h = await makeDb(t);
      const { rollouts } = createRepositories(h);
      const plan = [
        { ringId: 1, ringName: 'pilot', deadlineOffsetMs: null },
        { ringId: 2, ringName: 'broad', deadlineOffsetMs: 86_400_000 },
      ];
      const r = await rollouts.create(
        { updateId: uid.toUpperCase(), action: 'install', plan, createdBy: 'cli:alice', createdVia: 'cli' },
        1000,
      );
      assert.equal(r.updateId, uid);
      assert.equal(r.state, 'running');
      await assert.rejects(
        rollouts.create({ updateId: uid, action: 'install', plan, createdBy: 'x', createdVia: 'cli' }),
        (e) => code(e) === 'PB_ERR_CONFLICT',
      );
      const expect = { state: 'running' as const, position: 0, stageStartedAt: 1000 };
      const change = { state: 'running' as const, position: 1, stageStartedAt: 5000, holdReason: null };
      const results = await Promise.all([
        rollouts.transition(r.rolloutId, expect, change, { event: 'promoted', actor: 'node-a' }, 5000),
        rollouts.transition(r.rolloutId, expect, change, { event: 'promoted', actor: 'node-b' }, 5000),
      ]);
      assert.deepEqual(results.sort(), [false, true]);
      const history = await rollouts.history(r.rolloutId);
      assert.deepEqual(
        history.map((e) => [e.event, e.position]),
        [
          ['started', 0],
          ['promoted', 1],
        ],
      );
      await rollouts.noteHold(
        r.rolloutId,
        { ...expect, position: 1, stageStartedAt: 5000 },
        'soak time not over',
      );
      assert.equal((await rollouts.get(r.rolloutId))?.holdReason, 'soak time not over');
      assert.deepEqual([...(await rollouts.activeRingIds())].sort(), [1, 2]);
      await rollouts.transition(
        r.rolloutId,
        { state: 'running', position: 1, stageStartedAt: 5000 },
        { state: 'stopped', position: 1, stageStartedAt: 5000, holdReason: 'stopped', finishedAt: 6000 },
        { event: 'stopped', actor: 'cli:alice' },
        6000,
      );
      assert.equal((await rollouts.activeRingIds()).size, 0);
      // A stopped rollout frees the update for a new one.
      await rollouts.create(
        { updateId: uid, action: 'install', plan, createdBy: 'x', createdVia: 'cli' },
        7000,
      );
      assert.equal((await rollouts.list({ states: ['running'] })).length, 1);
    });

    void test('gate figures count the ring members since the stage start, earlier rings excluded', async (t) => {
      const h = await makeDb(t);
      const repos = createRepositories(h);
      const [pilot, broad] = await groups(h, ['pilot', 'broad']);
      for (let n = 1; n <= 6; n++) await repos.computers.upsert({ computerId: cid(n) }, 100);
      await repos.groups.setMemberships(cid(1), [pilot!], 'server');
      await repos.groups.setMemberships(cid(2), [pilot!], 'server');
      await repos.groups.setMemberships(cid(3), [pilot!, broad!], 'server');
      await repos.groups.setMemberships(cid(4), [broad!], 'server');
      await repos.groups.setMemberships(cid(5), [broad!], 'server');
      // cid(6): in no ring (Unassigned).
      for (const n of [1, 2, 3, 4, 5, 6]) await repos.computers.touchLastSync(cid(n), 500);
      await repos.computers.touchLastSync(cid(1), 1500);
      await repos.computers.touchLastSync(cid(2), 1500);
      await repos.updateStatus.upsert(
        [
          { computerId: cid(1), updateId: uid, state: 4, statusAt: 1 },
          { computerId: cid(2), updateId: uid, state: 5, hresult: -2145124329, statusAt: 1 },
          { computerId: cid(4), updateId: uid, state: 5, hresult: 7, statusAt: 1 },
        ],
        1200,
      );
      // Before the stage start: not counted.
      await repos.updateStatus.upsert([{ computerId: cid(3), updateId: uid, state: 5, statusAt: 1 }], 900);
      await repos.clientEvents.insertBatch(
        [
          {
            eventInstanceId: cid(101),
            computerId: cid(2),
            eventId: 148,
            namespaceId: 1,
            eventAt: 1,
            raw: 'x',
          },
          {
            eventInstanceId: cid(102),
            computerId: cid(5),
            eventId: 222,
            namespaceId: 1,
            eventAt: 1,
            updateId: uid,
            raw: 'x',
          },
        ],
        1300,
      );
      const ring0 = { groupIds: [pilot!], excludeGroupIds: [], everyComputer: false };
      const f0 = await repos.ringFigures.figures({
        updateId: uid,
        scope: ring0,
        since: 1000,
        stoppedWindowMs: 1000,
      });
      // cid 1..3; cid(3) stopped scanning (last scan 500, in [0, 1000)); cid(2) faulted.
      assert.deepEqual(f0, {
        computers: 3,
        installed: 1,
        failed: 1,
        faulted: 1,
        faultedOrStopped: 2,
        uninstalls: 0,
      });
      const last = { groupIds: [], excludeGroupIds: [pilot!], everyComputer: true };
      const f1 = await repos.ringFigures.figures({
        updateId: uid,
        scope: last,
        since: 1000,
        stoppedWindowMs: 100,
      });
      // cid 4, 5 (broad) and 6 (no ring); cid(3) is in pilot, the earlier ring.
      assert.deepEqual(f1, {
        computers: 3,
        installed: 0,
        failed: 1,
        faulted: 0,
        faultedOrStopped: 0,
        uninstalls: 1,
      });
      const failures = await repos.ringFigures.failures({ updateId: uid, scope: ring0, since: 1000 }, 10);
      assert.deepEqual(failures, {
        computers: [{ computerId: cid(2), dnsName: null, hresult: -2145124329 }],
        codes: [{ hresult: -2145124329, computers: 1 }],
      });
      const empty = { groupIds: [], excludeGroupIds: [], everyComputer: false };
      assert.equal(
        (await repos.ringFigures.figures({ updateId: uid, scope: empty, since: 0, stoppedWindowMs: 0 }))
          .computers,
        0,
      );
    });
  });
}
