/**
 * Issue 10 item 3: one client with a free cookie cannot grow the database without bound. The attack seen in
 * the field (50 ReportEventBatch requests of 268 events with 14 KiB strings: +233 MiB in 6 s) grows it by
 * at most the computer's raw event budget, every batch is still answered true and every state of an update in
 * the catalog recorded (made-up update ids get none); informational names over their limit are cut; stored strings are cut to sane lengths; new computers per source address are bounded when configured.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { DbHandle } from '../../../src/storage/index.js';
import { maxStoredEventString } from '../../../src/fleet/index.js';
import { addCatalogUpdates, dialects, startHarness } from './harness.js';
import { reportingEvent, SoapFaultError, WuspClient } from './wusp-client.js';

const MiB = 1024 ** 2;
const day = 86_400_000;

/** Bytes the database takes now (SQLite pages including the WAL's; PostgreSQL's on-disk size). */
async function databaseBytes(h: DbHandle): Promise<number> {
  if (h.dialect === 'sqlite') {
    const pages = await sql<{ page_count: number }>`pragma page_count`.execute(h.db);
    const size = await sql<{ page_size: number }>`pragma page_size`.execute(h.db);
    return Number(pages.rows[0]!.page_count) * Number(size.rows[0]!.page_size);
  }
  const r = await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(h.db);
  return Number(r.rows[0]!.n);
}

/** One event whose ReplacementStrings are `strings` (random ones are incompressible: TOAST cannot hide them). */
function fatEvent(clientId: string, updateId: string, ...strings: string[]): string {
  return reportingEvent({ clientId, instanceId: randomUUID(), eventId: 183, updateId }).replace(
    '<ReplacementStrings/>',
    `<ReplacementStrings>${strings.map((s) => `<string>${s}</string>`).join('')}</ReplacementStrings>`,
  );
}

/** Sends a batch as WUA does: a ServerBusy answer (event-loop lag shedding after a big batch) is retried. */
async function reportRetryingBusy(c: WuspClient, events: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await c.report(events);
    } catch (e) {
      if (!(e instanceof SoapFaultError && e.errorCode === 'ServerBusy') || attempt === 20) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

for (const { dialect, skip } of dialects) {
  void describe(`client storage bounds (${dialect})`, { skip }, () => {
    void test('50 x 268 events with 14 KiB strings grow the database by at most the raw event budget; all answered true, all states kept', async (t) => {
      const budget = 2 * MiB;
      const h = await startHarness(t, dialect, { rawEventBudget: { bytes: budget, periodMs: day } });
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const updateIds = Array.from({ length: 268 }, () => randomUUID());
      const late = randomUUID();
      await addCatalogUpdates(h, [...updateIds, late]);
      const before = await databaseBytes(h.handle);
      // The field attack's batches: one 14 KiB string per event (4.2 MB a batch), which the code before the
      // budget accepted and stored in full (+233 MiB).
      for (let i = 0; i < 50; i++) {
        const filler = randomBytes(10_752).toString('base64'); // 14 KiB of text
        const batch = updateIds.map((u) => fatEvent(clientId, u, filler)).join('');
        assert.equal(await reportRetryingBusy(c, batch), true);
      }
      const growth = (await databaseBytes(h.handle)) - before;
      t.diagnostic(`database growth: ${(growth / MiB).toFixed(2)} MiB (budget ${budget / MiB} MiB)`);
      assert.ok((await h.repos.clientEvents.rawBytesSince(clientId, 0)) <= budget);
      // Row, index and page overhead on top of the budgeted raw text.
      assert.ok(growth <= budget * 1.5 + MiB, `grew ${growth} bytes`);

      // Over budget: the batch is still answered true and still becomes states, only raw text is dropped.
      const stored = (await h.repos.clientEvents.listForComputer(clientId, 100_000)).length;
      // As large as the attack's events, so it cannot fit in what the budget has left.
      assert.equal(await c.report(fatEvent(clientId, late, 'x'.repeat(14 * 1024))), true);
      assert.equal((await h.repos.clientEvents.listForComputer(clientId, 100_000)).length, stored);
      const states = await h.repos.updateStatus.listForComputer(clientId);
      assert.equal(states.length, 269);
      assert.ok(states.every((s) => s.state === 4));

      // Another computer has its own budget.
      const other = new WuspClient(h, randomUUID());
      await other.handshake();
      assert.equal(await other.report(fatEvent(other.clientId, late, 'x')), true);
      assert.equal((await h.repos.clientEvents.listForComputer(other.clientId)).length, 1);
    });

    void test('events for 100,000 random update ids create no state rows; the database grows by at most the raw budget', async (t) => {
      const budget = 2 * MiB;
      const h = await startHarness(t, dialect, { rawEventBudget: { bytes: budget, periodMs: day } });
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const known = randomUUID();
      await addCatalogUpdates(h, [known]);
      const before = await databaseBytes(h.handle);
      // 5,000 events (~6.5 MB) per batch: well under the request body limit, as a client would send them.
      for (let batch = 0; batch < 20; batch++) {
        const events = Array.from({ length: 5_000 }, () =>
          reportingEvent({ clientId, instanceId: randomUUID(), eventId: 183, updateId: randomUUID() }),
        );
        assert.equal(await reportRetryingBusy(c, events.join('')), true);
      }
      const growth = (await databaseBytes(h.handle)) - before;
      t.diagnostic(`database growth: ${(growth / MiB).toFixed(2)} MiB (budget ${budget / MiB} MiB)`);
      assert.deepEqual(await h.repos.updateStatus.listForComputer(clientId), []);
      assert.ok((await h.repos.clientEvents.rawBytesSince(clientId, 0)) <= budget);
      assert.ok(growth <= budget * 1.5 + MiB, `grew ${growth} bytes`);
      // An update in the catalog still gets its state, in a batch full of made-up ids too.
      const mixed = [known, randomUUID()].map((updateId) =>
        reportingEvent({ clientId, instanceId: randomUUID(), eventId: 183, updateId }),
      );
      assert.equal(await c.report(mixed.join('')), true);
      assert.deepEqual(
        (await h.repos.updateStatus.listForComputer(clientId)).map((s) => [s.updateId, s.state]),
        [[known, 4]],
      );
    });

    void test('a batch whose ComputerModel is 300 characters is accepted; the stored name is cut, the state kept', async (t) => {
      const h = await startHarness(t, dialect);
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const updateId = randomUUID();
      await addCatalogUpdates(h, [updateId]);
      const event = reportingEvent({ clientId, instanceId: randomUUID(), eventId: 183, updateId }).replace(
        '<ComputerModel>Standard PC</ComputerModel>',
        `<ComputerModel>${'M'.repeat(300)}</ComputerModel>`,
      );
      assert.equal(await c.report(event), true);
      const [e] = await h.repos.clientEvents.listForComputer(clientId);
      assert.equal((JSON.parse(e!.raw) as { computerModel: string }).computerModel, 'M'.repeat(256));
      assert.equal((await h.repos.updateStatus.listForComputer(clientId))[0]?.state, 4);
    });

    void test('concurrent batches of one computer cannot each spend its budget', async (t) => {
      const budget = 512 * 1024;
      const h = await startHarness(t, dialect, { rawEventBudget: { bytes: budget, periodMs: day } });
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const filler = 'q'.repeat(14 * 1024);
      const ids = Array.from({ length: 8 }, () => Array.from({ length: 150 }, () => randomUUID()));
      await addCatalogUpdates(h, ids.flat());
      const batch = (i: number) => ids[i]!.map((u) => fatEvent(clientId, u, filler, filler)).join('');
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => c.report(batch(i))));
      assert.deepEqual(answers, Array(8).fill(true));
      assert.ok((await h.repos.clientEvents.rawBytesSince(clientId, 0)) <= budget);
      assert.equal((await h.repos.updateStatus.listForComputer(clientId)).length, 8 * 150);
    });

    void test('stored event strings are cut to sane lengths and the raw text stays valid JSON', async (t) => {
      const h = await startHarness(t, dialect);
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const z = 'z'.repeat(14 * 1024);
      assert.equal(await c.report(fatEvent(clientId, randomUUID(), z, z)), true);
      const [e] = await h.repos.clientEvents.listForComputer(clientId);
      assert.equal(e!.isRawTruncated, true);
      const raw = JSON.parse(e!.raw) as { replacementStrings: string[]; truncated: boolean };
      assert.equal(raw.truncated, true);
      assert.deepEqual(
        raw.replacementStrings.map((s) => s.length),
        [maxStoredEventString, maxStoredEventString],
      );
    });

    void test('new computers per source address are bounded when configured; known ones are never refused', async (t) => {
      const h = await startHarness(t, dialect, { newComputerLimit: { perAddress: 2, periodMs: day } });
      const [a, b] = [new WuspClient(h, randomUUID()), new WuspClient(h, randomUUID())];
      await a.handshake();
      await b.handshake();
      const third = new WuspClient(h, randomUUID());
      await assert.rejects(
        third.handshake(),
        (e: unknown) => e instanceof SoapFaultError && e.errorCode === 'ServerBusy',
      );
      assert.equal(await h.repos.computers.get(third.clientId), undefined);
      await a.handshake();
      assert.equal(await a.report(fatEvent(a.clientId, randomUUID(), 'x')), true);
    });

    void test('without a bound every new client id is registered (WSUS behaviour)', async (t) => {
      const h = await startHarness(t, dialect);
      for (let i = 0; i < 5; i++) {
        const c = new WuspClient(h, randomUUID());
        await c.handshake();
        assert.ok(await h.repos.computers.get(c.clientId));
      }
    });
  });
}
