/**
 * A scripted Windows-like scan end to end over real HTTP, on SQLite and PostgreSQL: handshake, SyncUpdates
 * until done (the client behaves like WUA: non-leaf revisions it receives are evaluated as installed and sent
 * back in InstalledNonLeafUpdateIDs, leaves in OtherCachedUpdateIDs), the driver pass, GetExtendedUpdateInfo,
 * ranged downloads of the approved files in shuffled order over several connections, ReportEventBatch, and the
 * reported state read back from storage. The catalog is SYNTHETIC (test/helpers/seed-catalog.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { closeCatalog, payload, seedGeneration, syntheticRevision } from '../../helpers/seed-catalog.js';
import { dialects, startHarness } from './harness.js';
import { reportingEvent, WuspClient, type UpdateInfoOut } from './wusp-client.js';

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const company = id(1);
const family = id(2);
const product = id(3);
const classification = id(4);
const detect1 = id(5);
const detect2 = id(6);
const approvedLeaf = id(10);
const bundle = id(11);
const member1 = id(12);
const member2 = id(13);
const unapproved = id(14);
const declined = id(15);
const fillerCount = 90;

/** The UpdateIdentity of a Core fragment and its prerequisite clauses (bare ids and AtLeastOne groups). */
function coreFacts(xml: string): { updateId: string; clauses: string[][] } {
  const updateId = /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();
  const pre = /<Prerequisites>(.*?)<\/Prerequisites>/s.exec(xml)?.[1] ?? '';
  const clauses: string[][] = [];
  const re = /<AtLeastOne[^>]*>(.*?)<\/AtLeastOne>|<UpdateIdentity UpdateID="([^"]+)"[^>]*\/>/gs;
  for (let m = re.exec(pre); m !== null; m = re.exec(pre)) {
    if (m[2] !== undefined) clauses.push([m[2].toLowerCase()]);
    else clauses.push([...m[1]!.matchAll(/UpdateID="([^"]+)"/g)].map((x) => x[1]!.toLowerCase()));
  }
  return { updateId, clauses };
}

for (const { dialect, skip } of dialects) {
  void describe(`scripted Windows-like scan end to end (${dialect})`, { skip }, () => {
    void test('handshake, gated paged scan, extended info, shuffled ranged downloads, reports -> state', async (t) => {
      const files = {
        leaf: { name: 'AM_Delta.exe', bytes: payload(300_000) },
        m1: { name: 'windows-kb1.msu', bytes: payload(1_100_000) },
        m2: { name: 'defs.cab', bytes: payload(70_001) },
      };
      const revisions = [
        syntheticRevision({ updateId: company, type: 'Category', title: 'Company' }),
        syntheticRevision({ updateId: family, type: 'Category', categoryPrerequisites: [company] }),
        syntheticRevision({ updateId: product, type: 'Category', categoryPrerequisites: [family] }),
        syntheticRevision({ updateId: classification, type: 'Category' }),
        syntheticRevision({ updateId: detect1, type: 'Detectoid' }),
        syntheticRevision({ updateId: detect2, type: 'Detectoid', prerequisites: [[detect1]] }),
        syntheticRevision({
          updateId: approvedLeaf,
          type: 'Software',
          prerequisites: [[detect2]],
          categoryPrerequisites: [product, classification],
          files: [files.leaf],
        }),
        syntheticRevision({
          updateId: bundle,
          type: 'Software',
          prerequisites: [[detect1, detect2]],
          categoryPrerequisites: [product],
          bundled: [
            { updateId: member1, revisionNumber: 200 },
            { updateId: member2, revisionNumber: 200 },
          ],
        }),
        syntheticRevision({
          updateId: member1,
          type: 'Software',
          prerequisites: [[detect1]],
          files: [files.m1],
        }),
        syntheticRevision({ updateId: member2, type: 'Software', files: [files.m2] }),
        syntheticRevision({ updateId: unapproved, type: 'Software', categoryPrerequisites: [product] }),
        syntheticRevision({ updateId: declined, type: 'Software', categoryPrerequisites: [product] }),
        ...Array.from({ length: fillerCount }, (_, i) =>
          syntheticRevision({
            updateId: id(1000 + i),
            type: 'Software',
            prerequisites: [[detect2]],
            categoryPrerequisites: [product],
          }),
        ),
      ];
      assert.deepEqual(closeCatalog(revisions), [], 'the synthetic catalog is closed');
      let ringId = '';
      const h = await startHarness(t, dialect, {
        seed: async ({ handle, repos, store }) => {
          await seedGeneration(handle, revisions, Date.parse('2026-10-04T12:00:00Z'));
          const ring = await repos.groups.create({ name: 'Ring 1' });
          ringId = ring.groupId;
          // The client names Ring 1 itself: client-side targeting mode.
          await repos.settings.set('targeting.mode', 'client', 'test');
          await repos.approvals.set(
            [approvedLeaf, bundle].map((u) => ({
              updateId: u,
              groupId: ring.groupId,
              action: 'install' as const,
              approvedBy: 'test',
              approvedVia: 'api',
            })),
          );
          await repos.approvals.decline([declined], { declinedBy: 'test', declinedVia: 'api' });
          for (const f of Object.values(files))
            await store.ingest([f.bytes], {
              sha1: createHash('sha1').update(f.bytes).digest(),
              sha256: createHash('sha256').update(f.bytes).digest(),
              size: f.bytes.length,
            });
          // As the downloader records it: the client service offers an approved update once its files are
          // verified in the store (content mode approved).
          await repos.files.setState(
            Object.values(files).map((f) => createHash('sha1').update(f.bytes).digest()),
            'verified',
          );
        },
        pageSize: 30,
      });
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake('Ring 1');
      await c.register();
      assert.deepEqual(
        (await h.repos.groups.groupsOf(clientId)).map((g) => g.groupId),
        [ringId],
      );

      // The scan loop, as WUA runs it.
      const installed = new Map<number, string>(); // revision id -> update id
      const other = new Map<number, string>();
      const seen = new Map<string, UpdateInfoOut>();
      let pages = 0;
      for (;;) {
        const a = await c.sync({ installed: [...installed.keys()], other: [...other.keys()] });
        pages++;
        assert.ok(pages < 200, 'the scan stays under the 200-trip budget');
        assert.ok(!(a.truncated && a.newUpdates.length === 0), 'never Truncated with an empty page');
        assert.ok(a.newUpdates.length <= 30);
        const installedUpdates = new Set(installed.values());
        for (const u of a.newUpdates) {
          assert.deepEqual(u.deploymentFields, [
            'ID',
            'Action',
            'IsAssigned',
            'LastChangeTime',
            'AutoSelect',
            'AutoDownload',
            'SupersedenceBehavior',
          ]);
          assert.match(u.lastChangeTime, /^\d{4}-\d{2}-\d{2}$/);
          const facts = coreFacts(u.xml);
          // Gating: every prerequisite clause was already satisfied by an installed non-leaf revision.
          for (const clause of facts.clauses)
            assert.ok(
              clause.some((x) => installedUpdates.has(x)),
              `${facts.updateId} offered before its prerequisite ${clause.join('|')}`,
            );
          assert.ok(!seen.has(facts.updateId), `${facts.updateId} offered twice`);
          seen.set(facts.updateId, u);
          (u.isLeaf ? other : installed).set(u.id, facts.updateId);
        }
        if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) break;
      }
      const driver = await c.sync({ installed: [...installed.keys()], driver: true });
      assert.equal(driver.newUpdates.length, 0);
      assert.equal(driver.driverSyncNotNeeded, true);

      // Scope: everything but the declined update; actions as WS2025 maps them.
      assert.equal(seen.size, revisions.length - 1);
      assert.ok(!seen.has(declined));
      const action = (u: string): string => seen.get(u)!.action;
      assert.equal(action(approvedLeaf), 'Install');
      assert.equal(action(bundle), 'Install');
      assert.equal(action(member1), 'Bundle');
      assert.equal(action(member2), 'Bundle');
      assert.equal(action(unapproved), 'PreDeploymentCheck');
      for (const cat of [company, family, product, classification, detect1, detect2])
        assert.equal(action(cat), 'Evaluate');
      // IsLeaf: prerequisite targets are non-leaf; bundle members and plain updates are leaves.
      for (const nl of [company, family, product, detect1, detect2])
        assert.equal(seen.get(nl)!.isLeaf, false);
      for (const l of [approvedLeaf, bundle, member1, member2]) assert.equal(seen.get(l)!.isLeaf, true);
      // A later scan with the full cache gets nothing new.
      const again = await c.sync({ installed: [...installed.keys()], other: [...other.keys()] });
      assert.equal(again.newUpdates.length, 0);
      assert.deepEqual(again.outOfScope, []);

      // Extended info for what will be installed; FileLocations for the held files, in the WSUS grammar.
      const wanted = [approvedLeaf, bundle, member1, member2]
        .map((u) => seen.get(u)!.id)
        .sort((x, y) => x - y);
      const ext = await c.extended(wanted);
      assert.equal(ext.fragments.length, wanted.length * 2);
      assert.deepEqual(
        ext.fragments.slice(0, wanted.length).map((f) => f.id),
        wanted,
      );
      assert.ok(ext.fragments.slice(0, wanted.length).every((f) => f.xml.startsWith('<ExtendedProperties')));
      assert.ok(ext.fragments.slice(wanted.length).every((f) => f.xml.startsWith('<LocalizedProperties>')));
      assert.equal(ext.locations.length, 3);
      const bySha = new Map(
        Object.values(files).map((f) => [createHash('sha1').update(f.bytes).digest('hex'), f]),
      );
      for (const loc of ext.locations) {
        const hex = loc.digest.toString('hex').toUpperCase();
        const f = bySha.get(hex.toLowerCase())!;
        assert.ok(f, 'a FileLocation for a file of the requested revisions');
        const ext2 = f.name.slice(f.name.lastIndexOf('.'));
        assert.equal(loc.url, `${h.baseUrl}/Content/${hex.slice(-2)}/${hex}${ext2}`);
      }

      // Delivery Optimization style: closed ranges of 256 KiB, shuffled, over 4 keep-alive connections.
      const pool = new Pool(h.baseUrl, { connections: 4, pipelining: 1 });
      t.after(() => pool.close());
      const piece = 256 * 1024;
      const jobs: { url: string; start: number; end: number; into: Buffer }[] = [];
      const out = new Map<string, Buffer>();
      for (const loc of ext.locations) {
        const f = bySha.get(loc.digest.toString('hex'))!;
        const into = Buffer.alloc(f.bytes.length);
        out.set(loc.url, into);
        for (let s = 0; s < f.bytes.length; s += piece)
          jobs.push({
            url: new URL(loc.url).pathname,
            start: s,
            end: Math.min(f.bytes.length, s + piece) - 1,
            into,
          });
      }
      for (let i = jobs.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
      }
      await Promise.all(
        jobs.map(async (job) => {
          const r = await pool.request({
            path: job.url,
            method: 'GET',
            headers: { range: `bytes=${job.start}-${job.end}` },
          });
          assert.equal(r.statusCode, 206);
          assert.equal(r.headers['content-range'], `bytes ${job.start}-${job.end}/${job.into.length}`);
          const body = Buffer.from(await r.body.arrayBuffer());
          assert.equal(body.length, job.end - job.start + 1);
          body.copy(job.into, job.start);
        }),
      );
      for (const loc of ext.locations)
        assert.ok(out.get(loc.url)!.equals(bySha.get(loc.digest.toString('hex'))!.bytes), 'byte-exact file');

      // Reports: install succeeded for the leaf, failed for member 2, then the client status lists.
      const t0 = Date.now() - 10_000;
      assert.equal(
        await c.report(
          reportingEvent({
            clientId,
            instanceId: randomUUID(),
            eventId: 183,
            updateId: approvedLeaf,
            revisionNumber: 200,
            at: new Date(t0),
          }) +
            reportingEvent({
              clientId,
              instanceId: randomUUID(),
              eventId: 182,
              updateId: member2,
              revisionNumber: 200,
              hresult: -2145124322,
              at: new Date(t0 + 1),
            }) +
            reportingEvent({
              clientId,
              instanceId: randomUUID(),
              eventId: 156,
              miscData: [
                `U=${unapproved.toUpperCase()}`,
                `V=${approvedLeaf.toUpperCase()};${member1.toUpperCase()}`,
              ],
              at: new Date(t0 + 2),
            }),
        ),
        true,
      );
      const states = Object.fromEntries(
        (await h.repos.updateStatus.listForComputer(clientId)).map((s) => [s.updateId, s.state]),
      );
      // member2 failed (182) and is absent from the later 156: the status list replaces the set.
      assert.deepEqual(states, { [approvedLeaf]: 4, [member1]: 4, [unapproved]: 2, [member2]: 1 });
      const pc = await h.repos.computers.get(clientId);
      assert.ok(pc?.lastSyncAt !== null && pc?.lastReportAt !== null);
      t.diagnostic(`scan: ${pages} SyncUpdates pages for ${seen.size} revisions; ${jobs.length} ranged GETs`);
    });
  });
}
