/**
 * Issue 13 item 3 on both databases: a SYNTHETIC catalog evolved over six simulated months
 * (cleanup-scenario.ts). The dry run lists exactly what the real run then removes; the run removes exactly
 * what the rules say and nothing else; afterwards a Windows-like client scan over HTTP still receives every
 * approved update with files that download and verify, the live computer's reports are unchanged, the
 * database forgets no stored object and names no missing one, and a rollback to the kept generation works.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import {
  createCleanupService,
  type CleanupReport,
  type CleanupStepReport,
} from '../../../src/maintenance/index.js';
import { createRepositories, type ContentStore, type DbHandle } from '../../../src/storage/index.js';
import { dialects, startHarness, type Harness } from '../client-service/harness.js';
import { WuspClient, type UpdateInfoOut } from '../client-service/wusp-client.js';
import {
  D,
  dayMs,
  P,
  scenarioSettings,
  seedScenario,
  sha1Of,
  U1,
  U2,
  U3,
  U4,
  U5,
  U6,
  U7,
  U9,
  type Scenario,
} from './cleanup-scenario.js';

const updateIdOf = (u: UpdateInfoOut): string =>
  /UpdateIdentity UpdateID="([^"]+)"/.exec(u.xml)![1]!.toLowerCase();

/** A fresh scan like WUA's; the offered leaf updates by update id -> { action, revision id }. */
async function scan(c: WuspClient): Promise<Map<string, { action: string; id: number }>> {
  const installed: number[] = [];
  const other: number[] = [];
  const leaves = new Map<string, { action: string; id: number }>();
  for (let i = 0; i < 20; i++) {
    const r = await c.sync({ installed, other });
    for (const u of r.newUpdates) {
      (u.isLeaf ? other : installed).push(u.id);
      if (u.isLeaf) leaves.set(updateIdOf(u), { action: u.action, id: u.id });
    }
    if (!r.truncated && r.newUpdates.every((u) => u.isLeaf)) break;
  }
  return leaves;
}

/** Every offered Install gets its file locations; each file downloads over HTTP and hashes to its digest. */
async function downloadAll(
  c: WuspClient,
  offered: Map<string, { action: string; id: number }>,
): Promise<number> {
  const ids = [...offered.values()].filter((o) => o.action === 'Install').map((o) => o.id);
  const ext = await c.extended(ids);
  for (const l of ext.locations) {
    const res = await fetch(l.url);
    assert.equal(res.status, 200, `${l.url} downloads`);
    const body = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(createHash('sha1').update(body).digest(), l.digest, `${l.url} verifies`);
  }
  return ext.locations.length;
}

/** The report without what differs between any two runs (timings, the database step's measured bytes). */
function comparable(r: CleanupReport): unknown {
  return r.steps.map((s: CleanupStepReport) => ({
    step: s.step,
    rows: s.rows,
    files: s.files,
    bytes: s.step === 'database' ? 0 : s.bytes,
    items: s.items.map((i) => ({ ...i, ...(s.step === 'database' ? { bytes: 0 } : {}) })),
  }));
}

const idsOf = (r: CleanupReport, step: string): string[] =>
  r.steps
    .find((s) => s.step === step)!
    .items.map((i) => i.id)
    .sort();

/** No verified row without its object, no stored object without a verified row. */
async function assertConsistent(handle: DbHandle, store: ContentStore): Promise<void> {
  const repos = createRepositories(handle);
  const verified = new Set((await repos.contentState.verifiedSha1s()).map((b) => b.toString('hex')));
  const stored = new Set<string>();
  for await (const s of store.list()) stored.add(s.toLowerCase());
  for (const v of verified) assert.ok(stored.has(v), `verified ${v} is stored`);
  for (const s of stored) assert.ok(verified.has(s), `stored ${s} is known to the database`);
  assert.deepEqual(await repos.cleanup.journal(10), [], 'the journal is empty');
}

async function liveClient(h: Harness, s: Scenario, name: string): Promise<WuspClient> {
  const c = new WuspClient(h, randomUUID(), name);
  await c.handshake();
  await c.register();
  await h.repos.groups.setMemberships(c.clientId, [s.ring1], 'server');
  await c.handshake();
  return c;
}

for (const { dialect, skip } of dialects)
  void describe(`cleanup over simulated months (${dialect})`, { skip }, () => {
    void test('dry run equals the run; exactly the rules; scans, reports and rollback unchanged', async (t) => {
      let s!: Scenario;
      const h = await startHarness(t, dialect, {
        seed: async ({ handle, store }) => {
          s = await seedScenario(handle, store);
        },
      });
      const now = s.now;
      const fileName = new Map([...s.files].map(([n, f]) => [sha1Of(f), n]));
      const names = (ids: string[]) => ids.map((x) => fileName.get(x) ?? x).sort();

      // The live computer: in Ring 1, reports U4 needed, old and fresh raw events.
      const pc = await liveClient(h, s, 'pc1.example.test');
      await h.repos.updateStatus.upsert([
        { computerId: pc.clientId, updateId: U4, state: 2, statusAt: now - dayMs },
        { computerId: pc.clientId, updateId: U2, state: 4, statusAt: now - dayMs },
      ]);
      const event = (n: number) => ({
        eventInstanceId: randomUUID(),
        computerId: pc.clientId,
        eventId: 147,
        namespaceId: 1,
        eventAt: now,
        raw: `<ReportingEvent n="${n}" />`,
      });
      await h.repos.clientEvents.insertBatch([event(1), event(2)], now - 60 * dayMs);
      await h.repos.clientEvents.insertBatch([event(3)], now);
      const statusBefore = await h.repos.updateStatus.listForComputer(pc.clientId);
      const before = await scan(pc);
      for (const u of [U1, U2, U4, U7]) assert.equal(before.get(u)?.action, 'Install', `${u} offered before`);

      const cleanup = createCleanupService(h.handle, h.store, scenarioSettings);
      const dry = await cleanup.run({ dryRun: true, now }, { via: 'cli', name: 'test' });
      const estimate = await cleanup.estimate(now);
      const run = await cleanup.run({ now }, { via: 'cli', name: 'test' });
      assert.deepEqual(comparable(run), comparable(dry), 'the dry run lists exactly what the run removes');
      assert.deepEqual(estimate, dry.total, 'the status estimate is the dry run');

      // Exactly the rules.
      assert.deepEqual(idsOf(run, 'revisions'), [`${U9}/200`], 'only the never-activated revision');
      assert.deepEqual(idsOf(run, 'declines'), [U1, U3].sort(), 'expired U3 and superseded U1');
      assert.deepEqual(
        names(idsOf(run, 'files')),
        ['f1', 'f3', 'f3b', 'f5', 'f6', 'f9'],
        'declined (U1, U3, U6), unapproved for 30+ days (U5) and forgotten (U9) files',
      );
      assert.deepEqual(idsOf(run, 'computers'), [s.silentComputer]);
      const events = run.steps.find((x) => x.step === 'events')!;
      assert.equal(events.rows, 2, 'the two raw events past 30 days');
      assert.deepEqual(idsOf(run, 'generations'), [String(s.gens.A), String(s.gens.B)]);
      const files = run.steps.find((x) => x.step === 'files')!;
      assert.equal(files.files, 6);
      assert.equal(files.bytes, 6 * 2048);
      assert.equal(files.rows, 1, 'the row of f9, which no revision names any more');
      assert.ok(run.after!.contentFiles === run.before.contentFiles - 6);

      // Nothing else: approved files stay, so do the live computer, its reports and the fresh event.
      for (const n of ['f2', 'f2b', 'f4', 'f7'])
        assert.ok(await h.store.has(sha1Of(s.files.get(n)!)), `${n} is kept`);
      assert.ok(await h.repos.computers.get(pc.clientId));
      assert.equal(await h.repos.computers.get(s.silentComputer), undefined);
      assert.deepEqual(await h.repos.updateStatus.listForComputer(pc.clientId), statusBefore);
      assert.equal((await h.repos.clientEvents.listForComputer(pc.clientId)).length, 1);
      await assertConsistent(h.handle, h.store);
      const audit = await createAdminServices(h.handle).audit.list({}, { limit: 200 });
      const declineActors = audit.items.filter((a) => a.action === 'update.decline').map((a) => a.actor);
      assert.ok(
        declineActors.includes('rule:decline-expired') && declineActors.includes('rule:decline-superseded'),
      );

      // A Windows-like scan still gets every approved update, with files that download and verify.
      const after = await scan(await liveClient(h, s, 'pc2.example.test'));
      for (const u of [U2, U4, U7]) assert.equal(after.get(u)?.action, 'Install', `${u} still offered`);
      for (const u of [U1, U3, U6]) assert.equal(after.has(u), false, `declined ${u} is not offered`);
      assert.ok((await downloadAll(pc, after)) >= 3);

      // Rollback to the kept generation still works and serves the approved updates with their files.
      await h.repos.generations.rollback({ to: s.gens.C });
      const rolled = await scan(await liveClient(h, s, 'pc3.example.test'));
      for (const u of [U2, U4, U7])
        assert.equal(rolled.get(u)?.action, 'Install', `${u} offered after rollback`);
      assert.ok((await downloadAll(pc, rolled)) >= 3);
      await h.repos.generations.unpin();

      // The next run reclaims what only the pruned generations A and B held: U3/200 (declined, replaced by the
      // expired 201) and U5 (the upstream dropped it); approved U2/200 is kept, its file (no stored generation
      // serves that revision) goes after the 30 days. D, rolled back, is the one finished generation kept.
      const dry2 = await cleanup.run({ dryRun: true, now }, { via: 'cli', name: 'test' });
      const run2 = await cleanup.run({ now }, { via: 'cli', name: 'test' });
      assert.deepEqual(comparable(run2), comparable(dry2));
      assert.deepEqual(idsOf(run2, 'revisions'), [`${U3}/200`, `${U5}/200`]);
      assert.deepEqual(
        names(idsOf(run2, 'files')),
        ['f2', 'f3', 'f5'],
        'f2 unneeded, f3 and f5 named by no revision',
      );
      assert.equal(run2.steps.find((x) => x.step === 'files')!.files, 1, 'only f2 was still stored');
      assert.equal(run2.steps.find((x) => x.step === 'files')!.rows, 2);
      assert.deepEqual(idsOf(run2, 'declines'), []);
      assert.deepEqual(idsOf(run2, 'generations'), []);
      assert.ok(await h.repos.generations.get(s.gens.D), 'the rolled-back generation is kept for rollback');
      await assertConsistent(h.handle, h.store);
      assert.ok(await h.store.has(sha1Of(s.files.get('f2b')!)));
      void P;
      void D;
    });
  });
