import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  JobRegistry,
  Scheduler,
  memorySlotLedger,
  type JobContext,
  type LeaseStore,
} from '../../../src/jobs/index.js';
import type { JobLease } from '../../../src/storage/index.js';
import { FakeClock } from './fake-clock.js';

/** The jobLeases semantics in memory (the repository itself is tested on both databases in job-lease.test.ts). */
function memoryLeases(): LeaseStore {
  const m = new Map<string, JobLease>();
  return {
    acquire: (name, holder, ttlMs, now = Date.now()) => {
      const cur = m.get(name);
      if (cur && cur.holder !== holder && cur.expiresAt > now) return Promise.resolve(undefined);
      const lease: JobLease = {
        name,
        holder,
        fencingToken: cur === undefined ? 1 : cur.holder === holder ? cur.fencingToken : cur.fencingToken + 1,
        acquiredAt: cur?.holder === holder ? cur.acquiredAt : now,
        expiresAt: now + ttlMs,
      };
      m.set(name, lease);
      return Promise.resolve(lease);
    },
    release: (name, holder) => {
      const cur = m.get(name);
      if (cur?.holder !== holder) return Promise.resolve(false);
      m.delete(name);
      return Promise.resolve(true);
    },
    get: (name) => Promise.resolve(m.get(name)),
    takeOver: (name, fromHolder, toHolder, ttlMs, now = Date.now()) => {
      const cur = m.get(name);
      if (cur?.holder !== fromHolder) return Promise.resolve(undefined);
      const lease = {
        name,
        holder: toHolder,
        fencingToken: cur.fencingToken + 1,
        acquiredAt: now,
        expiresAt: now + ttlMs,
      };
      m.set(name, lease);
      return Promise.resolve(lease);
    },
  };
}

const start = Date.parse('2025-06-01T00:00:00Z');
const H = 3_600_000;

void test('a daily job runs at each slot plus its jitter for two simulated days', async (t) => {
  const clock = new FakeClock(start);
  const runs: { at: number; slotAt: number }[] = [];
  const registry = new JobRegistry().register({
    name: 'sync',
    description: 'test',
    trigger: { kind: 'daily', firstTime: '03:00', perDay: 4, jitterMs: 20 * 60_000, timezone: 'UTC' },
    run: (ctx: JobContext) => {
      runs.push({ at: clock.now(), slotAt: ctx.slotAt });
      return Promise.resolve();
    },
  });
  const scheduler = new Scheduler({
    registry,
    leases: memoryLeases(),
    clock,
    random: () => 0.25,
    nodeId: 'a',
  });
  scheduler.start();
  t.after(() => scheduler.stop());
  await clock.advanceTo(start + 48 * H);
  const expectedSlots = [3, 9, 15, 21, 27, 33, 39, 45].map((h) => start + h * H);
  assert.deepEqual(
    runs.map((r) => r.slotAt),
    expectedSlots,
  );
  assert.deepEqual(
    runs.map((r) => r.at),
    expectedSlots.map((s) => s + 5 * 60_000),
  );
  assert.equal(scheduler.status()[0]?.lastOutcome, 'succeeded');
  assert.equal(scheduler.status()[0]?.next?.slotAt, start + 51 * H);
});

void test('two nodes on one lease store and slot ledger: every slot runs exactly once', async (t) => {
  const clock = new FakeClock(start);
  const leases = memoryLeases();
  const slots = memorySlotLedger();
  const runs: { node: string; slotAt: number }[] = [];
  const make = (node: string, random: () => number) => {
    const registry = new JobRegistry().register({
      name: 'sync',
      description: 'test',
      trigger: { kind: 'daily', firstTime: '03:00', perDay: 2, jitterMs: 30 * 60_000, timezone: 'UTC' },
      run: async (ctx) => {
        runs.push({ node: ctx.nodeId, slotAt: ctx.slotAt });
        // A run that lasts 10 simulated minutes, so the other node's jittered timer may fire meanwhile.
        await new Promise<void>((r) => clock.setTimer(r, 10 * 60_000));
      },
    });
    const s = new Scheduler({ registry, leases, slots, clock, random, nodeId: node });
    s.start();
    t.after(() => s.stop());
    return s;
  };
  let flip = 0;
  make('node-a', () => 0.1);
  make('node-b', () => [0.15, 0.9][flip++ % 2]!);
  await clock.advanceTo(start + 72 * H);
  assert.equal(runs.length, 6);
  assert.deepEqual(
    runs.map((r) => r.slotAt),
    [3, 15, 27, 39, 51, 63].map((h) => start + h * H),
  );
  assert.deepEqual(new Set(runs.map((r) => r.node)), new Set(['node-a']));
});

void test('a failing job is logged and keeps its schedule; a slow one never overlaps itself; runNow', async (t) => {
  const clock = new FakeClock(start);
  let calls = 0;
  const registry = new JobRegistry()
    .register({
      name: 'flaky',
      description: 'fails every other run',
      trigger: { kind: 'interval', everyMs: 60_000 },
      run: () => (++calls % 2 === 1 ? Promise.reject(new Error('boom')) : Promise.resolve()),
    })
    .register({
      name: 'slow',
      description: 'runs 150 s on a 60 s interval',
      trigger: { kind: 'interval', everyMs: 60_000 },
      singleRunner: false,
      run: ({ signal }) =>
        new Promise<void>((r) => {
          const cancel = clock.setTimer(r, 150_000);
          signal.addEventListener('abort', () => {
            cancel();
            r();
          });
        }),
    });
  assert.throws(
    () =>
      registry.register({ name: 'slow', description: '', trigger: { kind: 'manual' }, run: async () => {} }),
    {
      code: 'PB_ERR_CONFLICT',
    },
  );
  assert.throws(
    () =>
      registry.register({
        name: 'Bad Name',
        description: '',
        trigger: { kind: 'manual' },
        run: async () => {},
      }),
    {
      code: 'PB_ERR_INVALID_PARAMETER',
    },
  );
  const scheduler = new Scheduler({ registry, leases: memoryLeases(), clock, nodeId: 'a' });
  scheduler.start();
  t.after(() => scheduler.stop());
  await clock.advanceTo(start + 5 * 60_000 + 1);
  assert.equal(calls, 5, 'failures do not stop the schedule');
  const slow = scheduler.status().find((s) => s.name === 'slow')!;
  assert.equal(slow.lastOutcome, 'skipped');
  await scheduler.runNow('flaky');
  await assert.rejects(scheduler.runNow('flaky'), /boom/);
  await assert.rejects(scheduler.runNow('nope'), { code: 'PB_ERR_NOT_FOUND' });
});

void test('stop() aborts a running job and waits for it', async () => {
  const clock = new FakeClock(start);
  let aborted = false;
  const registry = new JobRegistry().register({
    name: 'long',
    description: 'waits for its signal',
    trigger: { kind: 'interval', everyMs: 1000 },
    run: ({ signal }) =>
      new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve();
        }),
      ),
  });
  const scheduler = new Scheduler({ registry, leases: memoryLeases(), clock, nodeId: 'a' });
  scheduler.start();
  await clock.advanceTo(start + 1500);
  assert.equal(scheduler.status()[0]?.running, true);
  await scheduler.stop();
  assert.equal(aborted, true);
  assert.equal(clock.pending, 0);
});
