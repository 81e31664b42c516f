/**
 * What bounds anonymous clients' storage (issue 10 item 3), on every database: the per-computer raw byte
 * count the budget reads, the batched retention delete (and the job body over it), and the count of
 * computers newly registered from one address.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventRetentionJob, JobRegistry, pruneRawEvents, Scheduler } from '../../../src/jobs/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import type { MakeDb } from './repository-contract.js';

const guid = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
const pcA = guid(0xa);
const pcB = guid(0xb);

const ev = (n: number, computerId: string, raw = 'x') => ({
  eventInstanceId: guid(n),
  computerId,
  eventId: 183,
  namespaceId: 1,
  eventAt: 1000 + n,
  raw,
});

export function runClientEventRetentionContract(name: string, makeDb: MakeDb): void {
  void describe(`client event bounds on ${name}`, () => {
    void test('rawBytesSince counts UTF-8 bytes of one computer received since a time', async (t) => {
      const { clientEvents } = createRepositories(await makeDb(t));
      assert.equal(await clientEvents.rawBytesSince(pcA, 0), 0);
      await clientEvents.insertBatch([ev(1, pcA, 'abc'), ev(2, pcA, 'é€')], 1_000);
      await clientEvents.insertBatch([ev(3, pcA, 'x'.repeat(10))], 2_000);
      await clientEvents.insertBatch([ev(4, pcB, 'y'.repeat(100))], 2_000);
      // 'é' is 2 bytes and '€' 3 in UTF-8: 3 + 5 + 10.
      assert.equal(await clientEvents.rawBytesSince(pcA, 0), 18);
      assert.equal(await clientEvents.rawBytesSince(pcA.toUpperCase(), 1_500), 10);
      assert.equal(await clientEvents.rawBytesSince(pcB, 0), 100);
      assert.equal(await clientEvents.rawBytesSince(pcA, 2_001), 0);
    });

    void test('deleteReceivedBefore deletes at most the batch size, oldest first; pruning loops to the end and keeps states', async (t) => {
      const h = await makeDb(t);
      const { clientEvents, computers, updateStatus } = createRepositories(h);
      await computers.upsert({ computerId: pcA }, 0);
      await updateStatus.upsert([{ computerId: pcA, updateId: guid(77), state: 4, statusAt: 10 }], 10);
      for (let i = 0; i < 25; i++) await clientEvents.insertBatch([ev(100 + i, pcA)], 1_000 + i);
      await clientEvents.insertBatch([ev(200, pcA)], 5_000);
      assert.equal(await clientEvents.deleteReceivedBefore(1_010, 4), 4);
      const left = await clientEvents.listForComputer(pcA);
      assert.equal(left.length, 22);
      assert.equal(Math.min(...left.map((e) => e.receivedAt)), 1_004);

      const calls: number[] = [];
      const counting = {
        deleteReceivedBefore: async (before: number, limit: number) => {
          const n = await clientEvents.deleteReceivedBefore(before, limit);
          calls.push(n);
          return n;
        },
      };
      assert.equal(await pruneRawEvents(counting, { retentionMs: 1_000, now: 5_000, batchSize: 5 }), 21);
      assert.deepEqual(calls, [5, 5, 5, 5, 1]);
      assert.deepEqual(
        (await clientEvents.listForComputer(pcA)).map((e) => e.eventInstanceId),
        [guid(200)],
      );
      assert.equal((await updateStatus.listForComputer(pcA)).length, 1);

      const aborted = AbortSignal.abort();
      await assert.rejects(pruneRawEvents(counting, { retentionMs: 0, now: 9_999, signal: aborted }));
      assert.equal((await clientEvents.listForComputer(pcA)).length, 1);
    });

    void test('the retention job runs once per cluster (a lease) and deletes raw events older than the retention', async (t) => {
      const repos = createRepositories(await makeDb(t));
      const now = Date.now();
      await repos.clientEvents.insertBatch([ev(1, pcA)], now - 31 * 86_400_000);
      await repos.clientEvents.insertBatch([ev(2, pcA)], now - 29 * 86_400_000);
      const job = eventRetentionJob({ store: repos.clientEvents, retentionDays: 30 });
      assert.notEqual(job.singleRunner, false);
      assert.equal(job.trigger.kind, 'cron');
      const jobs = new JobRegistry();
      jobs.register(job);
      const scheduler = new Scheduler({ registry: jobs, leases: repos.jobLeases });
      scheduler.start();
      t.after(() => scheduler.stop());
      await scheduler.runNow(job.name);
      assert.deepEqual(
        (await repos.clientEvents.listForComputer(pcA)).map((e) => e.eventInstanceId),
        [guid(2)],
      );
      assert.equal(scheduler.status()[0]?.lastOutcome, 'succeeded');
    });

    void test('countRegisteredFromSince counts computers first registered from one address', async (t) => {
      const { computers } = createRepositories(await makeDb(t));
      await computers.upsert({ computerId: guid(1), ipAddress: '10.0.0.1' }, 1_000);
      await computers.upsert({ computerId: guid(2), ipAddress: '10.0.0.1' }, 2_000);
      await computers.upsert({ computerId: guid(3), ipAddress: '10.0.0.2' }, 2_000);
      // A later update keeps the first registration time.
      await computers.upsert({ computerId: guid(1), ipAddress: '10.0.0.1' }, 9_000);
      assert.equal(await computers.countRegisteredFromSince('10.0.0.1', 0), 2);
      assert.equal(await computers.countRegisteredFromSince('10.0.0.1', 1_500), 1);
      assert.equal(await computers.countRegisteredFromSince('10.0.0.2', 0), 1);
      assert.equal(await computers.countRegisteredFromSince('10.0.0.3', 0), 0);
    });
  });
}
