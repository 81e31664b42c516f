/**
 * The catalog-mode scenario, run on both databases (catalog-sync-*.test.ts): the real documents plus the
 * SYNTHETIC closure documents (see test/helpers/fake-upstream/real-catalog.ts), first a healthy sync, then a
 * poisoned upstream with every injected fault, then an unchanged rerun.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { UpdateId } from '../../../src/domain/ids.js';
import { defaultServerSyncLimits } from '../../../src/protocol/server-sync/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import { catalogStatus, listQuarantine, runSync, type SyncOptions } from '../../../src/sync/index.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { activeMembers, checkIntegrity, openTestDb, testTransport, type DbKind } from './harness.js';

export function catalogScenario(kind: DbKind): void {
  void test(`[${kind}] healthy catalog: real + synthetic closure documents activate; an unchanged rerun fetches nothing`, async (t: TestContext) => {
    const db = await openTestDb(t, kind);
    const catalog = buildRealCatalog();
    const up = await startCatalogUpstream({ entries: catalog.entries, maxUpdatesPerRequest: 25 });
    t.after(() => up.close());
    const transport = testTransport(t);
    const progress: string[] = [];
    const opts: SyncOptions = {
      upstreamUrl: up.serverSyncUrl,
      nodeId: 'test',
      onProgress: (p) => progress.push(p.phase),
    };
    const r1 = await runSync({ db, transport }, opts);
    assert.equal(r1.outcome, 'succeeded', JSON.stringify(await listQuarantine(db)));
    assert.ok(r1.generationChanged);
    const members = await activeMembers(db);
    // 7366a74a names only its product (no classification): product AND classification never selects it (REAL).
    const expected = [...catalog.real, ...catalog.synthetic].filter(
      (i) => i.updateId !== ids.productOnlyLeaf,
    );
    for (const i of expected)
      assert.ok(members.has(`${i.updateId}/${i.revisionNumber}`), `${i.updateId} active`);
    assert.equal(members.size, expected.length);
    assert.ok(
      up.updateDataCalls.every((c) => c.length <= 25),
      'batches within the upstream limit',
    );
    // Every call offered xpress, so every answer above arrived Xpress-encoded and was decoded (soap-server.ts).
    assert.ok(up.requests.length > 0 && up.requests.every((r) => r.headers['accept-encoding'] === 'xpress'));
    assert.ok(progress.includes('categories') && progress.includes('closure') && progress.at(-1) === 'done');
    // Categories are stored for the admin; the Windows family resolved to its products.
    const repos = createRepositories(db);
    const revList = up.requests.filter((r) => r.op === 'GetRevisionIdList').map((r) => r.body);
    assert.match(
      revList[1]!,
      /<Categories><IdAndDelta><Id>8c3fcc84-7410-4a95-8b89-a166a0190486<\/Id><Delta>false<\/Delta>/,
    );
    assert.match(revList[1]!, /<Classifications>.*e0789628-ce08-4437-be74-2495b842f43b.*<\/Classifications>/);
    assert.doesNotMatch(revList[1]!, /<Anchor>/);
    const run = await repos.syncRuns.get(r1.syncRunId);
    assert.equal(run?.outcome, 'succeeded');
    assert.equal(run?.counters.revisionsImported, expected.length);
    await checkIntegrity(db);

    const before = up.count('GetUpdateData');
    const r2 = await runSync({ db, transport }, opts);
    assert.equal(up.count('GetUpdateData'), before, 'an unchanged re-sync makes zero GetUpdateData calls');
    assert.equal(r2.generationChanged, false);
    assert.equal(r2.generationId, r1.generationId);
    const list2 = up.requests.filter((r) => r.op === 'GetRevisionIdList').slice(-1)[0]!.body;
    assert.match(list2, /<Anchor>[^<]+<\/Anchor>/);
    assert.doesNotMatch(list2, /<Delta>false<\/Delta>/, 'Delta is true exactly when an anchor is sent');
    assert.equal((await catalogStatus(db)).stale, false);
  });

  void test(`[${kind}] poisoned upstream: every bad revision quarantined with its reason, the rest activates, the old generation serves meanwhile, a rerun adds nothing`, async (t: TestContext) => {
    const db = await openTestDb(t, kind);
    const catalog = buildRealCatalog();
    let clock = Date.parse('2026-10-04T16:33:26Z');
    const now = () => clock;
    const up = await startCatalogUpstream({ entries: catalog.entries, maxUpdatesPerRequest: 25 });
    t.after(() => up.close());
    const transport = testTransport(t);
    const opts: SyncOptions = {
      upstreamUrl: up.serverSyncUrl,
      nodeId: 'test',
      limits: { ...defaultServerSyncLimits, maxDocumentBytes: 200_000 },
    };
    const r1 = await runSync({ db, transport, now }, opts);
    const g1 = r1.generationId!;
    const g1Members = await activeMembers(db);

    // SYNTHETIC (test) revisions, each matching the product AND classification filter, one per fault.
    const sel = { prerequisites: [[ids.definitionUpdates], [ids.defender]] };
    const g = (n: number) => `0badf00d-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const sha1 = Buffer.alloc(20, 7);
    const add = (n: number, rev: number, text: string, extra: object = {}) =>
      up.put({ identity: { updateId: g(n), revisionNumber: rev }, text, listed: true, ...extra });
    for (let n = 1; n <= 30; n++) add(n, 100, syntheticDocument(g(n), 100, sel)); // healthy newcomers
    add(101, 100, syntheticDocument(g(101), 100, sel).slice(0, -20)); // malformed XML
    add(
      102,
      100,
      syntheticDocument(g(102), 100, {
        prerequisites: [...sel.prerequisites, ['deadbeef-0000-4000-8000-000000000000']],
      }),
    ); // dangling
    add(103, 100, syntheticDocument(g(103), 100, { prerequisites: [...sel.prerequisites, [g(102)]] })); // depends on the dangling one
    add(104, 100, syntheticDocument(g(104), 100, { ...sel, files: [{ name: 'a.exe', sha1, size: 10 }] }), {
      fileDigests: [Buffer.alloc(20, 8).toString('base64')],
    }); // wrong file digest
    add(105, 100, syntheticDocument(g(105), 100, { ...sel, padding: 150_000 })); // oversized (300 KB UTF-16 in its cabinet)
    add(106, 100, syntheticDocument(g(106), 100, sel)); // the upstream faults on it (unknown id)
    add(107, 100, syntheticDocument(g(107), 100, { ...sel, title: 'SYNTHETIC (test) lower duplicate' }));
    add(107, 200, syntheticDocument(g(107), 200, sel)); // duplicate id in the same list: highest kept
    add(108, 100, syntheticDocument(g(108), 100, { ...sel, files: [{ name: 'b.exe', sha1, size: 10 }] }), {
      fileDigests: [],
    }); // digest missing
    (up.faults as { faultingIds?: Set<string> }).faultingIds = new Set([`${g(106)}/100`]);
    up.faults.maxUpdatesPerAnswer = 7; // partial answers
    up.faults.http503 = 2; // 5xx, retried by the transport
    up.faults.hangOnce = true; // a timeout
    up.faults.slowDripOnce = true; // a slow drip
    up.faults.invalidCookie = 1; // the upstream forgets our cookie once

    let servedOld = 0;
    const r2 = await runSync(
      { db, transport, now },
      {
        ...opts,
        afterBatch: async () => {
          // Clients keep being served from the previous generation during the sync.
          assert.equal((await createRepositories(db).generations.getActive())?.generationId, g1);
          assert.deepEqual(await activeMembers(db), g1Members);
          servedOld++;
        },
      },
    );
    assert.ok(servedOld > 3);
    assert.equal(r2.outcome, 'partial');
    assert.notEqual(r2.generationId, g1);
    const q = new Map((await listQuarantine(db)).map((e) => [`${e.updateId}/${e.revisionNumber}`, e]));
    const reason = (n: number, rev = 100) => q.get(`${g(n)}/${rev}`)?.reasonCode;
    assert.equal(reason(101), 'xml_malformed');
    assert.equal(reason(102), 'dangling_prerequisite');
    assert.equal(reason(103), 'dependency');
    assert.equal(q.get(`${g(103)}/100`)?.causedByUpdateId, g(102));
    assert.equal(reason(104), 'file_digest_mismatch');
    assert.equal(reason(105), 'blob_too_large');
    assert.equal(reason(106), 'upstream_fault');
    assert.equal(reason(108), 'file_digest_missing');
    assert.equal(q.size, 7, [...q.keys()].join(' '));
    const members = await activeMembers(db);
    for (let n = 1; n <= 30; n++) assert.ok(members.has(`${g(n)}/100`));
    assert.ok(members.has(`${g(107)}/200`) && !members.has(`${g(107)}/100`));
    for (const k of g1Members) assert.ok(members.has(k), 'nothing healthy lost');
    assert.ok(
      up.updateDataCalls.some((c) => c.length === 1 && c[0]!.updateId === g(106)),
      'bisected down to the bad id',
    );
    assert.ok(up.count('GetCookie') >= 3, 'cookie renewed after InvalidCookie');
    await checkIntegrity(db);

    // Rerun: nothing new, quarantined revisions are not due yet, no GetUpdateData at all.
    const calls = up.count('GetUpdateData');
    const r3 = await runSync({ db, transport, now }, opts);
    assert.equal(up.count('GetUpdateData'), calls);
    assert.equal(r3.generationChanged, false);
    assert.equal(r3.outcome, 'succeeded');
    assert.equal((await listQuarantine(db)).length, 7);

    // A rollback attempt: the upstream now offers a lower revision of a held update (R6): refused and logged.
    add(5, 50, syntheticDocument(g(5), 50, sel));
    const r4 = await runSync({ db, transport, now }, opts);
    assert.equal(r4.counters.rollbacksRejected, 1);
    assert.equal((await listQuarantine(db, { reasonCode: 'revision_rollback' }))[0]?.updateId, g(5));
    assert.ok((await activeMembers(db)).has(`${g(5)}/100`));
    assert.equal(up.count('GetUpdateData'), calls);

    // Backoff: once due (1 h later), the fetch-quarantined revisions are retried; the fixed one is released.
    up.put({
      identity: { updateId: g(101), revisionNumber: 100 },
      text: syntheticDocument(g(101), 100, sel),
      listed: true,
    });
    clock += 2 * 3600_000;
    const r5 = await runSync({ db, transport, now }, opts);
    assert.equal(r5.counters.revisionsReleased, 1);
    assert.ok((await activeMembers(db)).has(`${g(101)}/100`));
    assert.equal(q.get(`${g(106)}/100`)?.retryCount, 0);
    assert.equal(
      (await createRepositories(db).quarantine.get({ updateId: g(106), revisionNumber: 100 }))?.retryCount,
      1,
    );
    await checkIntegrity(db);
  });

  void test(`[${kind}] a broken upstream answering garbage fails the run (typed) instead of quarantining everything`, async (t: TestContext) => {
    const db = await openTestDb(t, kind);
    const up = await startCatalogUpstream({
      entries: buildRealCatalog().entries,
      faults: { garbageAnswers: true },
    });
    t.after(() => up.close());
    await assert.rejects(
      runSync({ db, transport: testTransport(t) }, { upstreamUrl: up.serverSyncUrl, nodeId: 't' }),
      (e: Error & { code?: string }) => e.code === 'PB_ERR_UPSTREAM_PROTOCOL',
    );
    const runs = await createRepositories(db).syncRuns.list(5);
    assert.equal(runs[0]?.outcome, 'failed');
    assert.equal(runs[0]?.error?.code, 'PB_ERR_UPSTREAM_PROTOCOL');
    assert.ok((await listQuarantine(db)).length <= 4);
    assert.equal(await createRepositories(db).generations.getActive(), undefined);
  });
}

export { ids, syntheticDocument };
export type { UpdateId };
