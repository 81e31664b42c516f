/**
 * Three tiers end to end (issue 12), run on both databases (three-tier-*.test.ts): the catalog-mode fake
 * upstream with its `/Content/` tree (test/integration/e2e/product-upstream.ts) -> Patchbay A -> Patchbay B
 * (autonomous, its own approvals) -> Patchbay C (a replica of B). Every tier is a real `patchbay serve` process
 * with its own directory, `patchbay.ini` and database (test/helpers/tier.ts), synchronized with `patchbay sync`
 * as an operator runs it; a Windows-like client scans C over HTTP. Asserted:
 * - C's client gets B's approvals, not A's; a local approval at C is refused (exit 77) naming B;
 * - content flows down: a file only the fake upstream had is fetched by A, then by B from A's /Content/, then
 *   by C from B's, and C's client downloads it byte for byte from C;
 * - an unchanged re-sync makes zero GetUpdateData calls at every tier, counted at the downstream (sync
 *   summary) and at each upstream (the fake's request log; A's and B's downstream registry call counters);
 * - an update published at the top arrives at C in the next sync of each tier;
 * - a poisoned revision at the top is quarantined at A and never reaches B or C;
 * - reporting roll-up: C's computer appears at B, then at A;
 * - `patchbay catalog rollback` at A (a pin) is what B sees at its next sync;
 * - kill -9 of A during B's sync: B's run fails with a typed error in its history, A restarts, and B's next
 *   sync completes with exactly the catalog a clean sync from A gets, no duplicate or missing revision.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { createAdminServices, replicaOfConfig } from '../../../src/admin/index.js';
import type { AdminActor } from '../../../src/fleet/index.js';
import { createRepositories, openDatabase, type DbHandle } from '../../../src/storage/index.js';
import { listQuarantine, runSync, syncOptionsFromConfig } from '../../../src/sync/index.js';
import { freePort } from '../../helpers/cli.js';
import { syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { startTier, type Tier, type TierDatabase } from '../../helpers/tier.js';
import { coreFacts, simulatedScan } from '../client-service/wua-facts.js';
import { WuspClient } from '../client-service/wusp-client.js';
import { postSoap, type Harness } from '../client-service/harness.js';
import { cat, startProductUpstream } from '../e2e/product-upstream.js';
import {
  activeMembers,
  checkIntegrity,
  databaseTarget,
  openTestDb,
  testTransport,
  type DbKind,
} from '../sync/harness.js';

const admin: AdminActor = { via: 'cli', name: 'tier-test' };

interface SyncJson {
  outcome: string;
  sync: {
    outcome: string;
    calls: Record<string, number>;
    generationChanged: boolean;
    counters: Record<string, number>;
  };
  content: { filesDownloaded: number; filesFailed: number } | null;
}

/** The configuration every tier shares: the product and classifications of the test catalog, approved content. */
const selectionIni =
  `[content]\nmode = approved\n` +
  `[selection]\nproducts = ${cat.product}\nclassifications = ${cat.definitionUpdates}, ${cat.securityUpdates}\n`;

function openTier(t: TestContext, target: TierDatabase): DbHandle {
  const h = openDatabase(target.driver === 'sqlite' ? target : { ...target, poolSize: 2 });
  t.after(() => h.close());
  return h;
}

/** The upstream-side count of B's (or C's) revision-list and update-data calls, from the upstream's registry. */
async function callsSeenUpstream(upstream: DbHandle): Promise<number> {
  const rows = await createRepositories(upstream).downstreamServers.list();
  assert.equal(rows.length, 1, 'one downstream server registered');
  return rows[0]!.syncCalls;
}

const published = (n: number) => `c0ffee00-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function definition(updateId: string, title: string): string {
  return syntheticDocument(updateId, 100, {
    title: `SYNTHETIC (test) ${title}`,
    prerequisites: [[cat.detectoid]],
    categoryClauses: [[cat.product], [cat.definitionUpdates]],
  });
}

export function threeTierScenario(kind: DbKind): void {
  void test(
    `[${kind}] fake upstream -> A -> B (autonomous) -> C (replica of B): approvals, content, roll-up, news, zero re-fetch, quarantine, rollback pin, kill -9 of A`,
    { timeout: 600_000 },
    async (t: TestContext) => {
      const began = Date.now();
      const step = (name: string) => t.diagnostic(`${((Date.now() - began) / 1000).toFixed(1)} s: ${name}`);
      const top = await startProductUpstream(t);
      const targets = await Promise.all([
        databaseTarget(t, kind),
        databaseTarget(t, kind),
        databaseTarget(t, kind),
      ]);
      const [portA, portB] = [await freePort(), await freePort()];
      const urlOf = (port: number) =>
        `http://127.0.0.1:${port}/ServerSyncWebService/ServerSyncWebService.asmx`;
      const [a, b, c] = await Promise.all([
        startTier(t, {
          name: 'A',
          database: targets[0],
          httpPort: portA,
          upstreamUrl: top.serverSyncUrl,
          // The top stands for Microsoft Update, which has no reporting service: no roll-up (automatic for MU).
          upstreamKeys: 'rollup = false\n',
          ini: selectionIni,
        }),
        startTier(t, {
          name: 'B',
          database: targets[1],
          httpPort: portB,
          upstreamUrl: urlOf(portA),
          ini: selectionIni,
        }),
        startTier(t, {
          name: 'C',
          database: targets[2],
          upstreamUrl: urlOf(portB),
          upstreamKeys: 'mode = replica\n',
          ini: selectionIni,
        }),
      ]);
      const [dbA, dbB, dbC] = targets.map((x) => openTier(t, x)) as [DbHandle, DbHandle, DbHandle];
      const [adminA, adminB] = [dbA, dbB].map((h) => createAdminServices(h));
      const adminC = createAdminServices(dbC, replicaOfConfig(await c.config()));
      const sync = (tier: Tier, ok: readonly number[] = [0]) =>
        tier.cliJson<SyncJson>(['sync', '--quiet'], ok);

      // A approves everything security and definition for its own computers, by rule, before its first sync.
      await adminA!.groups.create({ name: 'HQ' }, admin);
      await adminA!.rules.create(
        { name: 'All', classifications: [cat.definitionUpdates, cat.securityUpdates], groups: ['HQ'] },
        admin,
      );

      step('1');
      // 1. First syncs, top-down. A downloads the files of its approvals from the top; B and C approve nothing yet.
      const a1 = await sync(a);
      assert.equal(a1.sync.outcome, 'succeeded');
      assert.equal(a1.content?.filesDownloaded, 3, 'A fetched the three approved files from the top');
      const secPath = (p: string) => p.toUpperCase().includes(top.files.sec.hex);
      assert.equal(top.contentRequests.filter(secPath).length, 1, 'only A asked the top for the file');
      const b1 = await sync(b);
      assert.equal(b1.sync.outcome, 'succeeded');
      const c1 = await sync(c);
      assert.equal(c1.sync.outcome, 'succeeded');
      const atA = await activeMembers(dbA);
      assert.deepEqual([...(await activeMembers(dbB))].sort(), [...atA].sort(), 'B has A catalog');
      assert.deepEqual([...(await activeMembers(dbC))].sort(), [...atA].sort(), 'C has B catalog');

      // B: its own approvals (the security update for Ring 1, nothing else). B's serving process notices the
      // approval and fetches the file from A's /Content/.
      await adminB!.groups.create({ name: 'Ring 1' }, admin);
      await adminB!.approvals.approve(
        { selection: { updateIds: [cat.sec] }, groups: ['Ring 1'], action: 'install' },
        admin,
      );
      await waitFor(async () => (await contentState(dbB, top.files.sec.hex)) === 'verified');
      // C is a replica of B: approving there is refused, naming the upstream (exit 77).
      const refused = await c.cli('approve', cat.secOther, '--group', 'All Computers');
      assert.equal(refused.code, 77, refused.stderr);
      assert.match(refused.stderr, /PB_ERR_REPLICA_READ_ONLY/);
      assert.ok(refused.stderr.includes(`127.0.0.1:${portB}`), `names the upstream: ${refused.stderr}`);
      await assert.rejects(
        adminC.groups.create({ name: 'Local' }, admin),
        (e: Error & { code?: string }) => e.code === 'PB_ERR_REPLICA_READ_ONLY',
      );

      step('2');
      // 2. Unchanged re-syncs: zero GetUpdateData at every tier, counted on both sides of each link.
      const topCalls = top.catalog.updateDataCalls.length;
      const [seenAtA, seenAtB] = [await callsSeenUpstream(dbA), await callsSeenUpstream(dbB)];
      const a2 = await sync(a);
      const b2 = await sync(b);
      const c2 = await sync(c);
      for (const [name, r] of [
        ['A', a2],
        ['B', b2],
        ['C', c2],
      ] as const) {
        assert.equal(r.sync.outcome, 'succeeded', name);
        assert.equal(
          r.sync.calls['GetUpdateData'] ?? 0,
          0,
          `${name}: no GetUpdateData on an unchanged re-sync`,
        );
        assert.equal(r.sync.generationChanged, false, name);
      }
      assert.equal(top.catalog.updateDataCalls.length, topCalls, 'the top answered no GetUpdateData');
      // The registry counts GetRevisionIdList and GetUpdateData calls: all of them were revision lists.
      assert.equal(
        (await callsSeenUpstream(dbA)) - seenAtA,
        b2.sync.calls['GetRevisionIdList'],
        'A: B made no GetUpdateData',
      );
      assert.equal(
        (await callsSeenUpstream(dbB)) - seenAtB,
        (c2.sync.calls['GetRevisionIdList'] ?? 0) + (c2.sync.calls['GetDeployments'] ?? 0),
        'B: C made no GetUpdateData',
      );
      // The replica's sync copied B's group and approval; C fetches the file from B's /Content/.
      assert.ok((c2.sync.calls['GetDeployments'] ?? 0) > 0, 'the replica asked B for its deployments');
      await waitFor(async () => (await contentState(dbC, top.files.sec.hex)) === 'verified');
      assert.equal(top.contentRequests.filter(secPath).length, 1, 'the top served the file once, to A');

      step('3');
      // 3. A Windows-like client at C, in Ring 1 (assigned at C, the group B's): B's approval (Install), not A's
      //    (A approved all three).
      const h = {
        baseUrl: c.baseUrl,
        post: (p: string, body: string, hd?: Record<string, string>) => postSoap(c.baseUrl + p, body, hd),
      };
      const clientId = randomUUID();
      const wua = new WuspClient(h as unknown as Harness, clientId);
      await wua.handshake();
      await wua.register();
      await adminC.groups.addComputer('Ring 1', clientId, admin);
      await new Promise((r) => setTimeout(r, 1_100)); // the serving process re-reads the approvals each second
      await wua.handshake();
      const { report, xmlById } = await simulatedScan(wua);
      const byUpdate = new Map(
        report.delivered.map((d) => [coreFacts(xmlById.get(d.revisionId)!).updateId, d]),
      );
      assert.equal(byUpdate.get(cat.sec)?.deployment.action, 'Install');
      for (const u of [cat.defs, cat.secOther])
        assert.notEqual(byUpdate.get(u)?.deployment.action, 'Install', `${u}: A's approval does not reach C`);
      const ext = await wua.extended([byUpdate.get(cat.sec)!.revisionId]);
      const loc = ext.locations.find((l) => l.digest.toString('hex').toUpperCase() === top.files.sec.hex);
      assert.ok(loc, 'C locates the file');
      assert.equal(new URL(loc.url).origin, c.baseUrl, 'served by C');
      const got = await request(loc.url);
      assert.equal(got.statusCode, 200);
      assert.ok(Buffer.from(await got.body.arrayBuffer()).equals(top.files.sec.bytes), 'byte-exact at C');

      step('4');
      // 4. News at the top: a healthy revision and a poisoned one. One sync per tier brings the first to C;
      //    A quarantines the second, which never goes further.
      const news = published(1);
      const bad = published(2);
      top.catalog.put({
        identity: { updateId: news, revisionNumber: 100 },
        text: definition(news, 'news'),
        listed: true,
      });
      top.catalog.put({
        identity: { updateId: bad, revisionNumber: 100 },
        text: definition(bad, 'poisoned').slice(0, -20),
        listed: true,
      });
      const a3 = await sync(a, [0, 1]);
      assert.equal(a3.sync.counters['revisionsQuarantined'], 1, JSON.stringify(a3.sync));
      assert.deepEqual(
        (await listQuarantine(dbA)).map((q) => q.updateId),
        [bad],
        'A quarantined the poisoned revision',
      );
      for (const [tier, h2] of [
        [b, dbB],
        [c, dbC],
      ] as const) {
        const r = await sync(tier);
        assert.equal(r.sync.outcome, 'succeeded', tier.name);
        assert.equal(r.sync.calls['GetUpdateData'], 1, `${tier.name}: only the news are fetched`);
        const members = await activeMembers(h2);
        assert.ok(members.has(`${news}/100`), `${tier.name}: the news arrived in its next sync`);
        assert.ok(!members.has(`${bad}/100`), `${tier.name}: the poisoned revision never arrives`);
        assert.deepEqual(
          await listQuarantine(h2),
          [],
          `${tier.name} never saw it, not even to quarantine it`,
        );
      }

      step('5');
      // 5. A rollback pin at A: A serves the generation before the news again and keeps it while pinned, even
      //    after syncing something newer from the top. What B sees at its next sync is that generation: the
      //    revision A imported while pinned does not come down, and a downstream synchronizing from scratch gets
      //    exactly the pinned generation. (A revision B already holds stays at B: MS-WSUSSS has no way to take
      //    one back, WSUS neither; docs/upstream.md says so.)
      const atB3 = await activeMembers(dbB);
      const pinned = await a.cliJson<{ active: { generationId: number } }>(['catalog', 'rollback']);
      const later = published(3);
      top.catalog.put({
        identity: { updateId: later, revisionNumber: 100 },
        text: definition(later, 'later'),
        listed: true,
      });
      await sync(a, [0, 1]);
      const servedByA = await activeMembers(dbA);
      assert.ok(!servedByA.has(`${later}/100`), 'A is pinned: the later revision is imported but not served');
      assert.ok(!servedByA.has(`${news}/100`), 'A serves the generation before the news');
      const b4 = await sync(b);
      assert.equal(b4.sync.outcome, 'succeeded');
      const atB4 = await activeMembers(dbB);
      // Reporting roll-up: C's sync (step 4) rolled its computer up to B, B's sync just now rolled it to A.
      for (const tier of [b, a]) {
        const page = await tier.cliJson<{ items: { computerId: string }[] }>([
          'computers',
          'list',
          '--text',
          clientId,
        ]);
        assert.deepEqual(
          page.items.map((x) => x.computerId),
          [clientId],
          `C's computer appears at ${tier.name}`,
        );
      }
      assert.equal(b4.sync.calls['GetUpdateData'] ?? 0, 0, 'nothing new for B while A is pinned');
      assert.deepEqual([...(await activeMembers(dbB))].sort(), [...atB3].sort());
      const fresh = await openTestDb(t, kind);
      const freshRun = await runSync(
        { db: fresh, transport: testTransport(t) },
        { ...syncOptionsFromConfig(await b.config()), nodeId: 'fresh' },
      );
      assert.equal(freshRun.outcome, 'succeeded');
      assert.deepEqual(
        [...(await activeMembers(fresh))].sort(),
        [...servedByA].sort(),
        `a downstream syncing from scratch gets A's pinned generation ${pinned.active.generationId}`,
      );

      step('6');
      // 6. kill -9 of A during B's sync. More revisions at the top make B's fetch long enough to be cut.
      await a.cli('catalog', 'unpin');
      for (let n = 0; n < 400; n++) {
        const u = published(0x1000 + n);
        top.catalog.put({
          identity: { updateId: u, revisionNumber: 100 },
          text: definition(u, `bulk ${n}`),
          listed: true,
        });
      }
      await sync(a, [0, 1]);
      const beforeKill = a.logs().length;
      const running = b.cli('sync', '--quiet', '--json', '--no-content');
      // B's update list from A: the next call is GetUpdateData, which is where A dies.
      await waitFor(() =>
        a
          .logs()
          .slice(beforeKill)
          .some((r) => r.msg === 'downstream server sync: revision list' && r['getConfig'] === false),
      );
      await a.kill9();
      const failed = await running;
      assert.notEqual(failed.code, 0, `B's sync fails while A is down\n${failed.stdout}\n${failed.stderr}`);
      assert.deepEqual(
        [...(await activeMembers(dbB))].sort(),
        [...atB4].sort(),
        'B keeps serving its catalog',
      );
      await a.start();
      const b5 = await sync(b);
      assert.equal(b5.sync.outcome, 'succeeded', JSON.stringify(b5));
      // The same catalog as a clean sync from A, no duplicates or missing revisions.
      const clean = await openTestDb(t, kind);
      const cleanRun = await runSync(
        { db: clean, transport: testTransport(t) },
        { ...syncOptionsFromConfig(await b.config()), nodeId: 'clean' },
      );
      assert.equal(cleanRun.outcome, 'succeeded');
      const atB5 = await activeMembers(dbB);
      assert.deepEqual([...atB5].sort(), [...(await activeMembers(clean))].sort(), 'B equals a clean sync');
      assert.deepEqual([...atB5].sort(), [...(await activeMembers(dbA))].sort(), 'B equals A');
      await checkIntegrity(dbB);
      const history = await b.cliJson<{ outcome: string; kind: string; error: { code: string } | null }[]>([
        'sync',
        'history',
      ]);
      const metadataRuns = history.filter((r) => r.kind === 'metadata');
      assert.equal(metadataRuns[0]?.outcome, 'succeeded');
      const failedRun = metadataRuns[1];
      assert.equal(failedRun?.outcome, 'failed', JSON.stringify(metadataRuns.slice(0, 2)));
      assert.match(failedRun?.error?.code ?? '', /^PB_ERR_UPSTREAM_/, 'a typed error');
      step('done');
    },
  );
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function contentState(h: DbHandle, sha1Hex: string): Promise<string | undefined> {
  const row = await h.db
    .selectFrom('files')
    .select('content_state')
    .where('sha1', '=', Buffer.from(sha1Hex, 'hex'))
    .executeTakeFirst();
  return row?.content_state;
}
